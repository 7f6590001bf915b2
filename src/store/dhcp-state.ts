/**
 * DhcpState from the database: each network's NetworkView is built from its rows (DHCP-enabled IPv4
 * subnets, ports with fixed IPs as reservations, the DHCP port's address as the server address), cached,
 * and dropped when the change feed names the network, so a packet costs no queries and a changed port is
 * served from the next packet after its commit. Dynamic-pool leases are written (committed) before the
 * reply; boot-trace events are written in batches after it, bounded per MAC and in total.
 */

import { CompiledQuery } from 'kysely';
import { cidrHas, type Ipv4Cidr, isIpv4, parseIpv4Cidr } from '../dhcp/codec/ipv4.js';
import { LeaseTable } from '../dhcp/lease-table.js';
import type {
  AddressRange,
  ExtraDhcpOpt,
  Lease,
  LeaseDecision,
  LeaseState,
  NetworkView,
  Reservation,
  SubnetView,
} from '../dhcp/model.js';
import { mustBeDurable } from '../dhcp/model.js';
import type { DhcpState, ListenerKey } from '../dhcp/server.js';
import type { BootTraceEvent, DropReason, StoredTraceEvent, TraceAnswer } from '../domain/boot-trace.js';
import type { Port, Subnet } from '../domain/model.js';
import { isMac, type Mac, parseMac } from '../domain/values.js';
import type { Logger } from '../logging.js';
import type { BatchExec, ChangeEvent, Db, NetworkWithSegment, Store } from './store.js';

/** Neutron's device_owner of the port that holds a network's DHCP address. */
export const DHCP_DEVICE_OWNER = 'network:dhcp';

export interface StoreDhcpStateOptions {
  readonly leaseSeconds: number;
  /** Dynamic pools by network name or id (config `dhcp.dynamic_pools`). */
  readonly dynamicPools: ReadonlyMap<string, readonly AddressRange[]>;
  /** Relay mode: option 54 and the source of replies (the relay listen address). */
  readonly relayAddress: string | null;
  readonly log: Logger;
  /** Newest events kept per MAC (default 200) and in total (default 100,000). */
  readonly tracePerMac?: number;
  readonly traceTotal?: number;
  /** Trace events are written in one transaction when this many wait (default 32), or after `traceFlushMs` (100). */
  readonly traceBatch?: number;
  readonly traceFlushMs?: number;
}

/** A network's DHCP facts without its leases (the lease table owns those). */
export type NetworkBase = Omit<NetworkView, 'leases'>;

const MAX_PENDING_TRACES = 10_000;
/**
 * Lease commits start at least this far apart: under load a commit takes the leases of every packet of
 * the interval (a commit costs ~1 ms of page writes whatever it holds), when idle it starts at once.
 */
const LEASE_COMMIT_INTERVAL_MS = 2;

interface LeaseWaiter {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface RelayEntry {
  readonly cidr: Ipv4Cidr;
  readonly networkId: string;
}

/** Whether a subnet is served by the DHCPv4 server. */
export function isDhcpSubnet(s: Subnet): boolean {
  return s.enableDhcp && s.ipVersion === 4;
}

/**
 * The NetworkView of one network from its rows; undefined when it has no DHCP-enabled IPv4 subnet or no
 * server address. Pure.
 */
export function buildNetworkBase(args: {
  readonly network: NetworkWithSegment;
  readonly subnets: readonly Subnet[];
  readonly ports: readonly Port[];
  readonly serverAddress: string | null;
  readonly leaseSeconds: number;
  readonly dynamicPools: readonly AddressRange[];
}): NetworkBase | undefined {
  const subnets = args.subnets.filter(isDhcpSubnet);
  if (subnets.length === 0) return undefined;
  const dhcpPort = args.ports.find((p) => p.deviceOwner === DHCP_DEVICE_OWNER);
  const ownAddress = dhcpPort?.fixedIps.find((f) => subnets.some((s) => s.id === f.subnetId))?.ipAddress ?? null;
  const serverAddress = args.serverAddress ?? ownAddress;
  if (serverAddress === null) return undefined;
  const mtu = args.network.network.mtu;
  const views: SubnetView[] = subnets.map((s) => {
    const cidr = parseIpv4Cidr(s.cidr);
    return {
      id: s.id,
      cidr: s.cidr,
      gateway: s.gatewayIp,
      dnsServers: s.dnsNameservers,
      hostRoutes: s.hostRoutes,
      mtu,
      domain: null,
      dynamicPools: args.dynamicPools.filter((r) => cidr !== null && cidrHas(cidr, r.start) && cidrHas(cidr, r.end)),
    };
  });
  const reservations = new Map<Mac, Reservation>();
  for (const p of args.ports) {
    if (p.deviceOwner === DHCP_DEVICE_OWNER || !isMac(p.macAddress)) continue;
    const fixed = p.fixedIps.find((f) => subnets.some((s) => s.id === f.subnetId));
    if (!fixed) continue;
    const mac = parseMac(p.macAddress);
    reservations.set(mac, {
      mac,
      ip: fixed.ipAddress,
      portId: p.id,
      hostname: null,
      extraDhcpOpts: p.extraDhcpOpts.map(
        (o): ExtraDhcpOpt => ({ optName: o.optName, optValue: o.optValue, ipVersion: o.ipVersion }),
      ),
    });
  }
  return {
    networkId: args.network.network.id,
    serverAddress,
    subnets: views,
    reservations,
    leaseSeconds: args.leaseSeconds,
  };
}

/** The network a change event is about, or null when it names none this cache keeps. */
function networkOfEvent(e: ChangeEvent): string | null {
  if (e.kind.startsWith('network.')) return e.resourceId;
  const id = e.payload.networkId;
  return typeof id === 'string' ? id : null;
}

export class StoreDhcpState implements DhcpState {
  private readonly bases = new Map<string, NetworkBase | null>();
  private readonly loading = new Map<string, Promise<NetworkBase | null>>();
  private readonly tables = new Map<string, LeaseTable>();
  /** The last view per network, reused while its base and lease table are the current ones. */
  private readonly views = new Map<string, { readonly base: NetworkBase; readonly view: NetworkView }>();
  private readonly tableLoads = new Map<string, Promise<LeaseTable>>();
  /** Changed addresses per network not yet written, and the packets waiting for that write. */
  private dirtyLeases = new Map<string, Set<string>>();
  private leaseWaiters: LeaseWaiter[] = [];
  /** The scheduled lease commit (a timer or an immediate), and the one running. */
  private leaseWriteScheduled: { readonly cancel: () => void } | null = null;
  private leaseWriting: Promise<void> = Promise.resolve();
  private lastLeaseWriteMs = 0;
  /** Relay mode: DHCP subnets of every network (cidr → network id), dropped on any network/subnet change. */
  private relayIndex: Promise<readonly RelayEntry[]> | null = null;
  /** `relayIndex` once loaded (null while loading or dropped). */
  private relayEntries: readonly RelayEntry[] | null = null;
  private generation = 0;
  private lastEventId = 0;
  private catchingUp: Promise<void> = Promise.resolve();
  /** Change-feed reads queued or running: while any is, a view waits for them (`loadView`). */
  private catchUps = 0;
  private readonly unsubscribe: () => void;
  private pendingTraces: BootTraceEvent[] = [];
  /**
   * The ids of each MAC's stored trace events, oldest first (ids below the total cut may linger until the
   * MAC is next written). The table has no index by MAC, so per-MAC retention is decided here.
   */
  private readonly traceIdsByMac = new Map<Mac, number[]>();
  /** Every id at or below this is deleted by the total retention. */
  private traceCut = 0;
  /** The size of `traceIdsByMac` at which MACs with no live ids are dropped next. */
  private traceSweepAt: number;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly tracePerMac: number;
  private readonly traceTotal: number;
  private readonly traceBatch: number;
  private readonly traceFlushMs: number;
  private readonly statements: Statements;

  private constructor(
    private readonly store: Store,
    private readonly o: StoreDhcpStateOptions,
  ) {
    this.tracePerMac = o.tracePerMac ?? 200;
    this.traceTotal = o.traceTotal ?? 100_000;
    this.traceSweepAt = this.traceTotal / 4;
    // a batch is one transaction that blocks the event loop while it runs: 256 rows took 2–7 ms under
    // DHCP load, 32 well under 1 ms (more commits, but each appends a page or two to the WAL)
    this.traceBatch = o.traceBatch ?? 32;
    this.traceFlushMs = o.traceFlushMs ?? 100;
    this.statements = compileStatements(store.builder);
    this.unsubscribe = store.onCommit(() => {
      this.catchUps += 1;
      this.catchingUp = this.catchingUp
        .then(() => this.catchUp())
        .catch((err: unknown) => {
          this.o.log.warn({ err }, 'dhcp state could not read the change feed; dropping every cached view');
          this.invalidateAll();
        })
        .finally(() => {
          this.catchUps -= 1;
        });
    });
  }

  /** Starts following the change feed from its current end. */
  static async open(store: Store, o: StoreDhcpStateOptions): Promise<StoreDhcpState> {
    const s = new StoreDhcpState(store, o);
    s.lastEventId = await store.lastEventId();
    // one scan of at most `traceTotal` rows: which stored events are whose
    const rows = await store.builder.selectFrom('boot_trace').select(['id', 'mac_address']).orderBy('id').execute();
    for (const r of rows) s.traceIdsOf(r.mac_address as Mac).push(Number(r.id));
    return s;
  }

  view(listener: ListenerKey, giaddr: string): NetworkView | undefined | Promise<NetworkView | undefined> {
    return this.viewAtHand(listener, giaddr) ?? this.loadView(listener, giaddr);
  }

  /** The cached view when the cache is current (no change-feed read running) and holds all of it. */
  private viewAtHand(listener: ListenerKey, giaddr: string): NetworkView | undefined {
    if (this.catchUps > 0) return undefined;
    const networkId = listener.kind === 'attached' ? listener.networkId : this.relayNetworkAtHand(giaddr);
    if (networkId === undefined) return undefined;
    const cached = this.views.get(networkId);
    if (cached === undefined || this.bases.get(networkId) !== cached.base) return undefined;
    return this.tables.get(networkId) === cached.view.leases ? cached.view : undefined;
  }

  private async loadView(listener: ListenerKey, giaddr: string): Promise<NetworkView | undefined> {
    await this.catchingUp; // every change committed before this packet is in what it sees
    const networkId = listener.kind === 'attached' ? listener.networkId : await this.networkForGiaddr(giaddr);
    if (networkId === null) return undefined;
    const base = await this.base(networkId);
    if (!base) return undefined;
    const leases = this.tables.get(networkId) ?? (await this.leasesOf(networkId));
    const cached = this.views.get(networkId);
    if (cached?.base === base && cached.view.leases === leases) return cached.view;
    const view = { ...base, leases };
    this.views.set(networkId, { base, view });
    return view;
  }

  /**
   * Applies the change to the network's lease table at once; the promise resolves when it is committed
   * (undefined when nothing must be: an offer's hold, `mustBeDurable`, or no address changed). Changes
   * are written together in one transaction (group commit, see LEASE_COMMIT_INTERVAL_MS), each address
   * as the table has it then; one whose table is not loaded yet returns a promise either way. A failed write
   * rejects every change of that batch and drops the tables involved, so the next packet sees what is
   * durable.
   */
  persistLease(decision: LeaseDecision): Promise<void> | undefined {
    const table = this.tables.get(decision.networkId);
    if (!table) return this.leasesOf(decision.networkId).then(() => this.persistLease(decision));
    const changed = table.apply(decision);
    // an offer's own hold stays in memory; the leases it replaced are deleted with the next batch
    const durable = mustBeDurable(decision);
    const hold = decision.kind === 'put' && !durable ? decision.lease.ip : null;
    const stored = hold === null ? changed : changed.filter((ip) => ip !== hold);
    if (stored.length === 0) return undefined;
    let dirty = this.dirtyLeases.get(decision.networkId);
    if (!dirty) {
      dirty = new Set();
      this.dirtyLeases.set(decision.networkId, dirty);
    }
    for (const ip of stored) dirty.add(ip);
    if (!this.leaseWriteScheduled) {
      // at most one commit per interval under load (each writes every page it touched); at once when idle
      const wait = this.lastLeaseWriteMs + LEASE_COMMIT_INTERVAL_MS - performance.now();
      if (wait <= 0) {
        const immediate = setImmediate(() => this.startLeaseWrite());
        this.leaseWriteScheduled = { cancel: () => clearImmediate(immediate) };
      } else {
        const timer = setTimeout(() => this.startLeaseWrite(), wait);
        this.leaseWriteScheduled = { cancel: () => clearTimeout(timer) };
      }
    }
    if (!durable) return undefined;
    return new Promise<void>((resolve, reject) => this.leaseWaiters.push({ resolve, reject }));
  }

  private startLeaseWrite(): Promise<void> {
    this.leaseWriteScheduled?.cancel();
    this.leaseWriteScheduled = null;
    this.leaseWriting = this.writeLeases();
    return this.leaseWriting;
  }

  private async writeLeases(): Promise<void> {
    this.lastLeaseWriteMs = performance.now();
    const dirty = this.dirtyLeases;
    const waiters = this.leaseWaiters;
    this.dirtyLeases = new Map();
    this.leaseWaiters = [];
    let traces: BootTraceEvent[] = [];
    try {
      await this.store.batch((exec) => {
        for (const [networkId, ips] of dirty) {
          const table = this.tables.get(networkId);
          if (!table) continue; // the network went away meanwhile
          const rows: unknown[][] = [];
          for (const ip of ips) {
            const l = table.at(ip);
            if (l) rows.push(leaseParams(networkId, l));
            else this.statements.deleteLease.write(exec, [[networkId, ip]]);
          }
          this.statements.upsertLeases.write(exec, rows);
        }
        // the boot trace waiting meanwhile rides along: one commit instead of two (each costs ~70 µs of
        // WAL writes); a savepoint keeps a failed trace write from failing the leases
        traces = this.takeTraces();
        if (traces.length > 0) {
          exec(SAVEPOINT);
          try {
            this.writeTracesIn(exec, traces);
          } catch (err) {
            exec(ROLLBACK_TO_SAVEPOINT);
            this.o.log.warn({ err, events: traces.length }, 'boot trace not recorded');
          }
          exec(RELEASE_SAVEPOINT);
        }
      });
    } catch (err) {
      for (const networkId of dirty.keys()) this.tables.delete(networkId); // reloaded from what is durable
      for (const w of waiters) w.reject(err);
      if (traces.length > 0) this.o.log.warn({ err, events: traces.length }, 'boot trace not recorded');
      return;
    }
    for (const w of waiters) w.resolve();
  }

  /** Queues the event; it is written with the next batch (a slow disk does not slow boots). */
  recordTrace(event: BootTraceEvent): void {
    if (this.pendingTraces.length >= MAX_PENDING_TRACES) {
      this.o.log.warn({ mac: event.mac, xid: event.xid }, 'boot trace queue full; event not recorded');
      return;
    }
    this.pendingTraces.push(event);
    if (this.pendingTraces.length >= this.traceBatch) {
      // a lease commit due within LEASE_COMMIT_INTERVAL_MS takes the batch along
      if (!this.leaseWriteScheduled) void this.flushTraces();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushTraces(), this.traceFlushMs);
      this.flushTimer.unref();
    }
  }

  /** Writes queued trace events; resolves when every event queued before the call is stored. */
  flushTraces(): Promise<void> {
    const batch = this.takeTraces();
    const leaseWrite = this.leaseWriting; // may hold events taken earlier
    this.flushing = this.flushing
      .then(() => leaseWrite)
      .then(() => (batch.length > 0 ? this.store.batch((exec) => this.writeTracesIn(exec, batch)) : undefined))
      .catch((err: unknown) => this.o.log.warn({ err, events: batch.length }, 'boot trace not recorded'));
    return this.flushing;
  }

  /** The queued trace events, now no longer queued. */
  private takeTraces(): BootTraceEvent[] {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const batch = this.pendingTraces;
    this.pendingTraces = [];
    return batch;
  }

  /**
   * The boot trace of a MAC, oldest first (queued events included), read by the ids this state keeps
   * for it: a few primary-key lookups instead of a scan of the table (7 ms at 100,000 rows, on the
   * event loop every DHCP packet shares).
   */
  async traceOf(mac: Mac, limit = this.tracePerMac): Promise<StoredTraceEvent[]> {
    await this.flushTraces();
    const ids = (this.traceIdsByMac.get(mac) ?? []).filter((id) => id > this.traceCut);
    return readBootTrace(this.store, mac, limit, ids);
  }

  /** Current leases of a network (status output and tests). */
  async leasesOfNetwork(networkId: string): Promise<readonly Lease[]> {
    return [...(this.tables.get(networkId) ?? (await this.leasesOf(networkId))).values()];
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.catchingUp;
    await this.leaseWriting;
    if (this.leaseWriteScheduled) await this.startLeaseWrite(); // e.g. an offer's replaced lease
    await this.flushTraces();
  }

  // --- cache ---

  private async base(networkId: string): Promise<NetworkBase | null> {
    const cached = this.bases.get(networkId);
    if (cached !== undefined) return cached;
    const inFlight = this.loading.get(networkId);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const load = this.loadBase(networkId).finally(() => this.loading.delete(networkId));
    this.loading.set(networkId, load);
    const base = await load;
    // a change committed while loading may not be in what we read: keep it only if nothing changed since
    if (generation === this.generation) this.bases.set(networkId, base);
    return base;
  }

  private async loadBase(networkId: string): Promise<NetworkBase | null> {
    const network = await this.store.getNetwork(networkId);
    if (!network) return null;
    const [subnets, ports] = await Promise.all([
      this.store.subnetsOfNetworks([networkId]),
      this.store.listPorts([{ column: 'network_id', values: [networkId] }], null),
    ]);
    const pools = this.o.dynamicPools.get(network.network.id) ?? this.o.dynamicPools.get(network.network.name) ?? [];
    return (
      buildNetworkBase({
        network,
        subnets,
        ports,
        serverAddress: this.o.relayAddress,
        leaseSeconds: this.o.leaseSeconds,
        dynamicPools: pools,
      }) ?? null
    );
  }

  private leasesOf(networkId: string): Promise<LeaseTable> {
    const cached = this.tables.get(networkId);
    if (cached) return Promise.resolve(cached);
    const inFlight = this.tableLoads.get(networkId);
    if (inFlight) return inFlight;
    const load = this.loadLeases(networkId).finally(() => this.tableLoads.delete(networkId));
    this.tableLoads.set(networkId, load);
    return load;
  }

  private async loadLeases(networkId: string): Promise<LeaseTable> {
    const rows = await this.store.builder
      .selectFrom('dhcp_leases')
      .selectAll()
      .where('network_id', '=', networkId)
      .execute();
    const leases: Lease[] = [];
    for (const r of rows) {
      if (!isMac(r.mac_address)) continue;
      leases.push({
        mac: parseMac(r.mac_address),
        ip: r.ip_address,
        subnetId: r.subnet_id,
        state: r.state as LeaseState,
        expiresAtMs: Number(r.expires_at_ms),
      });
    }
    const table = LeaseTable.of(leases);
    this.tables.set(networkId, table);
    return table;
  }

  private dropRelayIndex(): void {
    this.relayIndex = null;
    this.relayEntries = null;
  }

  /** The network of a relayed request from the loaded index; undefined when not loaded or none matches. */
  private relayNetworkAtHand(giaddr: string): string | undefined {
    if (this.relayEntries === null || !isIpv4(giaddr)) return undefined;
    return this.relayEntries.find((e) => cidrHas(e.cidr, giaddr))?.networkId;
  }

  private async networkForGiaddr(giaddr: string): Promise<string | null> {
    if (!isIpv4(giaddr)) return null;
    let index = this.relayIndex;
    if (!index) {
      // a change during the load sets relayIndex to null: the stale result is used once, never cached
      const loading = this.loadRelayIndex();
      this.relayIndex = loading;
      loading.then(
        (entries) => {
          if (this.relayIndex === loading) this.relayEntries = entries;
        },
        () => {
          if (this.relayIndex === loading) this.relayIndex = null;
        },
      );
      index = loading;
    }
    return (await index).find((e) => cidrHas(e.cidr, giaddr))?.networkId ?? null;
  }

  private async loadRelayIndex(): Promise<RelayEntry[]> {
    const subnets = (await this.store.listSubnets([{ column: 'enable_dhcp', values: [1] }], null)).filter(isDhcpSubnet);
    const out: RelayEntry[] = [];
    for (const s of subnets) {
      const cidr = parseIpv4Cidr(s.cidr);
      if (cidr) out.push({ cidr, networkId: s.networkId });
    }
    // longest prefix first: the most specific subnet holding giaddr wins
    return out.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const events = await this.store.eventsAfter(this.lastEventId);
      if (events.length === 0) return;
      for (const e of events) {
        this.lastEventId = e.id;
        if (e.kind === 'port.status') continue; // the reconciler's own outcome; no DHCP fact changes
        this.generation += 1;
        if (e.kind.startsWith('network.') || e.kind.startsWith('subnet.')) this.dropRelayIndex();
        const networkId = networkOfEvent(e);
        if (networkId === null) this.invalidateAll();
        else {
          this.bases.delete(networkId);
          if (e.kind === 'network.deleted') {
            this.tables.delete(networkId);
            this.views.delete(networkId);
          }
        }
      }
    }
  }

  private invalidateAll(): void {
    this.generation += 1;
    this.bases.clear();
    this.dropRelayIndex();
  }

  private traceIdsOf(mac: Mac): number[] {
    let ids = this.traceIdsByMac.get(mac);
    if (!ids) {
      ids = [];
      this.traceIdsByMac.set(mac, ids);
    }
    return ids;
  }

  /** Writes trace events and applies retention, inside the batch of `exec`. */
  private writeTracesIn(exec: BatchExec, batch: readonly BootTraceEvent[]): void {
    // the table only grows at its end (no index by MAC: a commit writes a few new pages, not one page
    // per MAC), and each MAC's ids are kept here
    const stored = this.statements.insertTraces.write(exec, batch.map(traceParams));
    const byId = stored.map((r) => ({ id: Number(r.id), mac: r.mac_address as Mac })).sort((a, b) => a.id - b.id);
    const touched = new Set<Mac>();
    for (const r of byId) {
      this.traceIdsOf(r.mac).push(r.id);
      touched.add(r.mac);
    }
    // retention in total: ids only grow, so everything older than the newest `traceTotal` ids goes
    const newest = byId.at(-1)?.id;
    if (newest !== undefined && newest - this.traceTotal > this.traceCut) {
      this.traceCut = newest - this.traceTotal;
      this.statements.deleteTracesUpTo.write(exec, [[this.traceCut]]);
    }
    // retention per MAC: a MAC is cut back to its newest `tracePerMac` once a quarter more piled up
    const slack = Math.max(1, Math.floor(this.tracePerMac / 4));
    const cut: unknown[][] = [];
    for (const mac of touched) {
      const ids = this.traceIdsOf(mac);
      const gone = ids.findIndex((id) => id > this.traceCut);
      if (gone !== 0) ids.splice(0, gone === -1 ? ids.length : gone);
      if (ids.length >= this.tracePerMac + slack)
        for (const id of ids.splice(0, ids.length - this.tracePerMac)) cut.push([id]);
    }
    this.statements.deleteTraces.write(exec, cut);
    // MACs not seen for long keep ids the total cut removed: dropped when the map doubled since the last sweep
    if (this.traceIdsByMac.size > this.traceSweepAt) {
      for (const [mac, ids] of this.traceIdsByMac)
        if ((ids.at(-1) ?? 0) <= this.traceCut) this.traceIdsByMac.delete(mac);
      this.traceSweepAt = Math.max(this.traceTotal / 4, 2 * this.traceIdsByMac.size);
    }
  }
}

const SAVEPOINT = CompiledQuery.raw('savepoint boot_trace');
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('rollback to savepoint boot_trace');
const RELEASE_SAVEPOINT = CompiledQuery.raw('release savepoint boot_trace');

/** Row counts the multi-row statements are compiled for; a batch goes out in the largest that fit. */
const CHUNK_ROWS = [256, 64, 16, 4, 1] as const;

/**
 * A statement of the hot path, built and compiled by Kysely (for the store's dialect) once per row
 * count and then run with the rows' parameters: a batch costs no query building, and the SQL texts
 * repeat, so the store's prepared-statement cache holds them.
 */
class RowStatement {
  private readonly compiled = new Map<number, CompiledQuery>();

  constructor(
    private readonly build: (rows: number) => CompiledQuery,
    private readonly parametersPerRow: number,
  ) {}

  /** Runs the statement for `rows` in a batch; returns what it returned (RETURNING), in no particular order. */
  write(exec: BatchExec, rows: readonly (readonly unknown[])[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < rows.length; ) {
      const size = CHUNK_ROWS.find((n) => n <= rows.length - i) ?? 1;
      const parameters: unknown[] = [];
      for (let r = i; r < i + size; r++) for (const v of rows[r] ?? []) parameters.push(v);
      for (const r of exec({ ...this.statement(size), parameters })) out.push(r);
      i += size;
    }
    return out;
  }

  private statement(rows: number): CompiledQuery {
    const cached = this.compiled.get(rows);
    if (cached) return cached;
    const q = this.build(rows);
    if (q.parameters.length !== rows * this.parametersPerRow) {
      throw new Error(
        `compiled statement takes ${q.parameters.length} parameters, not ${rows}×${this.parametersPerRow}`,
      );
    }
    this.compiled.set(rows, q);
    return q;
  }
}

function compileStatements(db: Db) {
  const lease = { network_id: '', ip_address: '', mac_address: '', subnet_id: '', state: '', expires_at_ms: 0 };
  const trace = traceRow(null);
  const times = <T>(n: number, row: T): T[] => Array.from({ length: n }, () => row);
  return {
    // rows: leaseParams
    upsertLeases: new RowStatement(
      (n) =>
        db
          .insertInto('dhcp_leases')
          .values(times(n, lease))
          .onConflict((oc) =>
            oc.columns(['network_id', 'ip_address']).doUpdateSet((eb) => ({
              mac_address: eb.ref('excluded.mac_address'),
              subnet_id: eb.ref('excluded.subnet_id'),
              state: eb.ref('excluded.state'),
              expires_at_ms: eb.ref('excluded.expires_at_ms'),
            })),
          )
          .compile(),
      Object.keys(lease).length,
    ),
    // rows: network id, address (one at a time: only replaced and released leases go)
    deleteLease: new RowStatement(
      () => db.deleteFrom('dhcp_leases').where('network_id', '=', '').where('ip_address', '=', '').compile(),
      2,
    ),
    // rows: traceParams; returns id and mac_address of each row
    insertTraces: new RowStatement(
      (n) => db.insertInto('boot_trace').values(times(n, trace)).returning(['id', 'mac_address']).compile(),
      Object.keys(trace).length,
    ),
    // rows: an id each
    deleteTraces: new RowStatement((n) => db.deleteFrom('boot_trace').where('id', 'in', times(n, 0)).compile(), 1),
    // rows: one, the highest id to delete
    deleteTracesUpTo: new RowStatement(() => db.deleteFrom('boot_trace').where('id', '<=', 0).compile(), 1),
  };
}

type Statements = ReturnType<typeof compileStatements>;

/** In the column order of `upsertLeases`. */
function leaseParams(networkId: string, l: Lease): unknown[] {
  return [networkId, l.ip, l.mac, l.subnetId, l.state, l.expiresAtMs];
}

function traceRow(e: BootTraceEvent | null) {
  return {
    at_ms: e?.atMs ?? 0,
    network_id: e?.networkId ?? '',
    mac_address: e?.mac ?? '',
    xid: e?.xid ?? 0,
    message_type: e?.messageType ?? '',
    arch: e?.arch ?? null,
    user_class: e?.userClass ?? null,
    vendor_class: e?.vendorClass ?? null,
    answer: e?.answer ?? '',
    drop_reason: e?.dropReason ?? null,
    ip_address: e?.address ?? null,
    bootfile: e?.bootfile ?? null,
    relay: e?.relay ?? null,
    relay_agent_info: e?.relayAgentInfo ?? null,
    detail: e?.detail ?? null,
  };
}

/** In the column order of `insertTrace`. */
function traceParams(e: BootTraceEvent): unknown[] {
  return Object.values(traceRow(e));
}

/** Ids at most passed to one `readBootTrace` (each is a statement parameter); more and it scans. */
const MAX_TRACE_IDS = 2_000;

/**
 * The newest `limit` boot-trace events of a MAC, oldest first. `ids`, when known, holds every id the
 * MAC's events may have (a superset: the MAC is checked too): they are looked up by primary key. Without
 * them the table is scanned: it has no index by MAC (see migration 0006).
 */
export async function readBootTrace(
  store: Store,
  mac: Mac,
  limit: number,
  ids?: readonly number[],
): Promise<StoredTraceEvent[]> {
  if (ids?.length === 0) return [];
  let query = store.builder.selectFrom('boot_trace').selectAll().where('mac_address', '=', mac);
  if (ids !== undefined && ids.length <= MAX_TRACE_IDS) query = query.where('id', 'in', ids);
  const rows = await query.orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse().map((r) => ({
    id: Number(r.id),
    atMs: Number(r.at_ms),
    networkId: r.network_id,
    mac: parseMac(r.mac_address),
    xid: Number(r.xid),
    messageType: r.message_type,
    arch: r.arch,
    userClass: r.user_class,
    vendorClass: r.vendor_class,
    answer: r.answer as TraceAnswer,
    dropReason: r.drop_reason as DropReason | null,
    address: r.ip_address,
    bootfile: r.bootfile,
    relay: r.relay,
    relayAgentInfo: r.relay_agent_info,
    detail: r.detail,
  }));
}
