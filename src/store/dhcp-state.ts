/**
 * DhcpState from the database: each network's NetworkView is built from its rows (DHCP-enabled IPv4
 * subnets, ports with fixed IPs as reservations, the DHCP port's address as the server address), cached,
 * and dropped when the change feed names the network, so a packet costs no queries and a changed port is
 * served from the next packet after its commit. Dynamic-pool leases are written (committed) before the
 * reply; boot-trace events are written in batches after it, bounded per MAC and in total.
 */
import { cidrHas, type Ipv4Cidr, isIpv4, parseIpv4Cidr } from '../dhcp/codec/ipv4.js';
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
import type { BootTraceEvent, DropReason, TraceAnswer } from '../dhcp/pipeline.js';
import type { DhcpState, ListenerKey } from '../dhcp/server.js';
import type { Port, Subnet } from '../domain/model.js';
import { isMac, type Mac, parseMac } from '../domain/values.js';
import type { Logger } from '../logging.js';
import type { ChangeEvent, Db, NetworkWithSegment, Store } from './store.js';

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
  /** Trace events are written in one transaction when this many wait, or after `traceFlushMs`. */
  readonly traceBatch?: number;
  readonly traceFlushMs?: number;
}

/** A network's DHCP facts without its leases (the lease table owns those). */
export type NetworkBase = Omit<NetworkView, 'leases'>;

/** One boot-trace entry as stored (the API's timeline row). */
export interface StoredTraceEvent extends BootTraceEvent {
  readonly id: number;
}

const MAX_PENDING_TRACES = 10_000;

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
  private readonly leases = new Map<string, Map<string, Lease>>(); // networkId → ip → lease
  /** Relay mode: DHCP subnets of every network (cidr → network id), dropped on any network/subnet change. */
  private relayIndex: Promise<readonly RelayEntry[]> | null = null;
  private generation = 0;
  private lastEventId = 0;
  private catchingUp: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;
  private pendingTraces: BootTraceEvent[] = [];
  private readonly unprunedByMac = new Map<Mac, number>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly tracePerMac: number;
  private readonly traceTotal: number;
  private readonly traceBatch: number;
  private readonly traceFlushMs: number;

  private constructor(
    private readonly store: Store,
    private readonly o: StoreDhcpStateOptions,
  ) {
    this.tracePerMac = o.tracePerMac ?? 200;
    this.traceTotal = o.traceTotal ?? 100_000;
    this.traceBatch = o.traceBatch ?? 256;
    this.traceFlushMs = o.traceFlushMs ?? 100;
    this.unsubscribe = store.onCommit(() => {
      this.catchingUp = this.catchingUp
        .then(() => this.catchUp())
        .catch((err: unknown) => {
          this.o.log.warn({ err }, 'dhcp state could not read the change feed; dropping every cached view');
          this.invalidateAll();
        });
    });
  }

  /** Starts following the change feed from its current end. */
  static async open(store: Store, o: StoreDhcpStateOptions): Promise<StoreDhcpState> {
    const s = new StoreDhcpState(store, o);
    s.lastEventId = await store.lastEventId();
    return s;
  }

  async view(listener: ListenerKey, giaddr: string): Promise<NetworkView | undefined> {
    await this.catchingUp; // every change committed before this packet is in what it sees
    const networkId = listener.kind === 'attached' ? listener.networkId : await this.networkForGiaddr(giaddr);
    if (networkId === null) return undefined;
    const base = await this.base(networkId);
    if (!base) return undefined;
    const leases = await this.leasesOf(networkId);
    return { ...base, leases: [...leases.values()] };
  }

  async persistLease(decision: LeaseDecision): Promise<void> {
    const byIp = await this.leasesOf(decision.networkId);
    const db = this.store.builder;
    if (decision.kind === 'remove') {
      await db
        .deleteFrom('dhcp_leases')
        .where('network_id', '=', decision.networkId)
        .where('ip_address', '=', decision.ip)
        .where('mac_address', '=', decision.mac)
        .execute();
      if (byIp.get(decision.ip)?.mac === decision.mac) byIp.delete(decision.ip);
      return;
    }
    const l = decision.lease;
    // one address per MAC: its older lease goes (a quarantined address stays), in the same transaction
    const replaced = [...byIp.values()].filter((x) => x.mac === l.mac && x.state !== 'declined' && x.ip !== l.ip);
    await this.atomically(async (t) => {
      if (replaced.length > 0) {
        await t
          .deleteFrom('dhcp_leases')
          .where('network_id', '=', decision.networkId)
          .where(
            'ip_address',
            'in',
            replaced.map((x) => x.ip),
          )
          .execute();
      }
      const row = {
        network_id: decision.networkId,
        ip_address: l.ip,
        mac_address: l.mac,
        subnet_id: l.subnetId,
        state: l.state,
        expires_at_ms: l.expiresAtMs,
      };
      await t
        .insertInto('dhcp_leases')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['network_id', 'ip_address']).doUpdateSet({
            mac_address: row.mac_address,
            subnet_id: row.subnet_id,
            state: row.state,
            expires_at_ms: row.expires_at_ms,
          }),
        )
        .execute();
    });
    for (const x of replaced) byIp.delete(x.ip);
    byIp.set(l.ip, l);
  }

  /** Queues the event; it is written with the next batch (a slow disk does not slow boots). */
  async recordTrace(event: BootTraceEvent): Promise<void> {
    if (this.pendingTraces.length >= MAX_PENDING_TRACES) {
      this.o.log.warn({ mac: event.mac, xid: event.xid }, 'boot trace queue full; event not recorded');
      return;
    }
    this.pendingTraces.push(event);
    if (this.pendingTraces.length >= this.traceBatch) void this.flushTraces();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushTraces(), this.traceFlushMs);
      this.flushTimer.unref();
    }
  }

  /** Writes queued trace events; resolves when every event queued before the call is stored. */
  flushTraces(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const batch = this.pendingTraces;
    this.pendingTraces = [];
    this.flushing = this.flushing
      .then(() => (batch.length > 0 ? this.writeTraces(batch) : undefined))
      .catch((err: unknown) => this.o.log.warn({ err, events: batch.length }, 'boot trace not recorded'));
    return this.flushing;
  }

  /** The boot trace of a MAC, oldest first (queued events included). */
  async traceOf(mac: Mac, limit = this.tracePerMac): Promise<StoredTraceEvent[]> {
    await this.flushTraces();
    return readBootTrace(this.store, mac, limit);
  }

  /** Current leases of a network (status output and tests). */
  async leasesOfNetwork(networkId: string): Promise<readonly Lease[]> {
    return [...(await this.leasesOf(networkId)).values()];
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.catchingUp;
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

  private async leasesOf(networkId: string): Promise<Map<string, Lease>> {
    const cached = this.leases.get(networkId);
    if (cached) return cached;
    const rows = await this.store.builder
      .selectFrom('dhcp_leases')
      .selectAll()
      .where('network_id', '=', networkId)
      .execute();
    const again = this.leases.get(networkId); // another packet loaded it meanwhile
    if (again) return again;
    const byIp = new Map<string, Lease>();
    for (const r of rows) {
      if (!isMac(r.mac_address)) continue;
      byIp.set(r.ip_address, {
        mac: parseMac(r.mac_address),
        ip: r.ip_address,
        subnetId: r.subnet_id,
        state: r.state as LeaseState,
        expiresAtMs: Number(r.expires_at_ms),
      });
    }
    this.leases.set(networkId, byIp);
    return byIp;
  }

  private async networkForGiaddr(giaddr: string): Promise<string | null> {
    if (!isIpv4(giaddr)) return null;
    let index = this.relayIndex;
    if (!index) {
      // a change during the load sets relayIndex to null: the stale result is used once, never cached
      const loading = this.loadRelayIndex();
      this.relayIndex = loading;
      loading.catch(() => {
        if (this.relayIndex === loading) this.relayIndex = null;
      });
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
        if (e.kind.startsWith('network.') || e.kind.startsWith('subnet.')) this.relayIndex = null;
        const networkId = networkOfEvent(e);
        if (networkId === null) this.invalidateAll();
        else {
          this.bases.delete(networkId);
          if (e.kind === 'network.deleted') this.leases.delete(networkId);
        }
      }
    }
  }

  /**
   * One transaction on the store's connection, outside `Store.transaction`: lease and trace rows are the
   * DHCP role's own and carry no change event, so they do not wake change-feed consumers.
   */
  private async atomically(fn: (db: Db) => Promise<void>): Promise<void> {
    await this.store.builder.transaction().execute(fn);
  }

  private invalidateAll(): void {
    this.generation += 1;
    this.bases.clear();
    this.relayIndex = null;
  }

  private async writeTraces(batch: readonly BootTraceEvent[]): Promise<void> {
    await this.atomically(async (t) => {
      await t.insertInto('boot_trace').values(batch.map(traceToRow)).execute();
      // retention per MAC: a MAC is cut back to its newest `tracePerMac` once it wrote a quarter of that
      // since its last cut (two queries per MAC per batch would cost more than the events themselves)
      const due: Mac[] = [];
      for (const e of batch) {
        const n = (this.unprunedByMac.get(e.mac) ?? 0) + 1;
        if (n >= Math.max(1, Math.floor(this.tracePerMac / 4))) {
          due.push(e.mac);
          this.unprunedByMac.delete(e.mac);
        } else this.unprunedByMac.set(e.mac, n);
      }
      if (this.unprunedByMac.size > MAX_PENDING_TRACES * 10) this.unprunedByMac.clear();
      for (const mac of new Set(due)) {
        const cut = await t
          .selectFrom('boot_trace')
          .select('id')
          .where('mac_address', '=', mac)
          .orderBy('id', 'desc')
          .offset(this.tracePerMac)
          .limit(1)
          .executeTakeFirst();
        if (cut) await t.deleteFrom('boot_trace').where('mac_address', '=', mac).where('id', '<=', cut.id).execute();
      }
      // retention in total: ids only grow, so everything older than the newest `traceTotal` ids goes
      const newest = await t.selectFrom('boot_trace').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst();
      if (newest)
        await t
          .deleteFrom('boot_trace')
          .where('id', '<=', Number(newest.id) - this.traceTotal)
          .execute();
    });
  }
}

function traceToRow(e: BootTraceEvent) {
  return {
    at_ms: e.atMs,
    network_id: e.networkId,
    mac_address: e.mac,
    xid: e.xid,
    message_type: e.messageType,
    arch: e.arch,
    user_class: e.userClass,
    vendor_class: e.vendorClass,
    answer: e.answer,
    drop_reason: e.dropReason,
    ip_address: e.address,
    bootfile: e.bootfile,
    relay: e.relay,
    relay_agent_info: e.relayAgentInfo,
  };
}

/** The newest `limit` boot-trace events of a MAC, oldest first. */
export async function readBootTrace(store: Store, mac: Mac, limit: number): Promise<StoredTraceEvent[]> {
  const rows = await store.builder
    .selectFrom('boot_trace')
    .selectAll()
    .where('mac_address', '=', mac)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
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
  }));
}
