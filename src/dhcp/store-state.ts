/**
 * DhcpState from the database: each network's NetworkView is built from its rows (network-base.ts),
 * cached, and dropped when the change feed names the network, so a packet costs no queries and a changed
 * port is served from the next packet after its commit. Dynamic-pool leases are written (committed)
 * before the reply and boot-trace events in batches after it, by the store's DHCP tables (`DhcpTables`).
 */
import type { BootTraceEvent, StoredTraceEvent } from '../domain/boot-trace.ts';
import { isMac, type Mac, parseMac } from '../domain/values.ts';
import type { Logger } from '../logging.ts';
import type { ChangeEvent, Store } from '../store/store.ts';
import { cidrHas, type Ipv4Cidr, isIpv4, parseIpv4Cidr } from './codec/ipv4.ts';
import { LeaseTable } from './lease-table.ts';
import type { AddressRange, Lease, LeaseDecision, LeaseState, NetworkView } from './model.ts';
import { mustBeDurable } from './model.ts';
import { buildNetworkBase, isDhcpSubnet, type NetworkBase } from './network-base.ts';
import type { DhcpState, ListenerKey } from './server.ts';

export interface StoreDhcpStateOptions {
  readonly leaseSeconds: number;
  /** Dynamic pools by network name or id (config `dhcp.dynamic_pools`). */
  readonly dynamicPools: ReadonlyMap<string, readonly AddressRange[]>;
  /** Relay mode: option 54 and the source of replies (the relay listen address). */
  readonly relayAddress: string | null;
  readonly log: Logger;
}

/** A `dhcp_leases` row as the store returns it (parsed here). */
export interface StoredLease {
  readonly mac: string;
  readonly ip: string;
  readonly subnetId: string;
  readonly state: string;
  readonly expiresAtMs: number;
}

/** The lease tables whose changes the writer stores (this state's). */
export interface LeaseTableSource {
  leaseTableOf(networkId: string): LeaseTable | undefined;
  dropLeaseTable(networkId: string): void;
}

/** The store's DHCP tables as this state uses them: store/dhcp-storage.ts, wired by main.ts. */
export interface DhcpTables {
  readonly trace: {
    record(event: BootTraceEvent): void;
    flush(): Promise<void>;
    traceOf(mac: Mac, limit?: number): Promise<StoredTraceEvent[]>;
  };
  loadLeases(networkId: string): Promise<readonly StoredLease[]>;
  leaseWriter(tables: LeaseTableSource): {
    queue(networkId: string, ips: readonly string[], isDurable: boolean): Promise<void> | undefined;
    close(): Promise<void>;
  };
}

interface RelayEntry {
  readonly cidr: Ipv4Cidr;
  readonly networkId: string;
}

/** The network a change event is about, or null when it names none this cache keeps. */
function networkOfEvent(e: ChangeEvent): string | null {
  if (e.kind.startsWith('network.')) return e.resourceId;
  const id = e.payload.networkId;
  return typeof id === 'string' ? id : null;
}

export class StoreDhcpState implements DhcpState, LeaseTableSource {
  private readonly bases = new Map<string, NetworkBase | null>();
  private readonly loading = new Map<string, Promise<NetworkBase | null>>();
  private readonly tables = new Map<string, LeaseTable>();
  /** The last view per network, reused while its base and lease table are the current ones. */
  private readonly views = new Map<string, { readonly base: NetworkBase; readonly view: NetworkView }>();
  private readonly tableLoads = new Map<string, Promise<LeaseTable>>();
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
  private readonly leaseWriter: ReturnType<DhcpTables['leaseWriter']>;

  private readonly store: Store;
  private readonly tablesOfStore: DhcpTables;
  private readonly o: StoreDhcpStateOptions;

  private constructor(store: Store, tablesOfStore: DhcpTables, o: StoreDhcpStateOptions) {
    this.store = store;
    this.tablesOfStore = tablesOfStore;
    this.o = o;
    this.leaseWriter = tablesOfStore.leaseWriter(this);
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
  static async open(store: Store, tables: DhcpTables, o: StoreDhcpStateOptions): Promise<StoreDhcpState> {
    const s = new StoreDhcpState(store, tables, o);
    s.lastEventId = await store.lastEventId();
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
   * are written together in one transaction (group commit, store/lease-writes.ts), each address
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
    return this.leaseWriter.queue(decision.networkId, stored, durable);
  }

  /** Queues the event; it is written with the next batch (a slow disk does not slow boots). */
  recordTrace(event: BootTraceEvent): void {
    this.tablesOfStore.trace.record(event);
  }

  /** Writes queued trace events; resolves when every event queued before the call is stored. */
  flushTraces(): Promise<void> {
    return this.tablesOfStore.trace.flush();
  }

  /** The boot trace of a MAC, oldest first (queued events included). */
  traceOf(mac: Mac, limit?: number): Promise<StoredTraceEvent[]> {
    return this.tablesOfStore.trace.traceOf(mac, limit);
  }

  leaseTableOf(networkId: string): LeaseTable | undefined {
    return this.tables.get(networkId);
  }

  dropLeaseTable(networkId: string): void {
    this.tables.delete(networkId);
  }

  /** Current leases of a network (status output and tests). */
  async leasesOfNetwork(networkId: string): Promise<readonly Lease[]> {
    return [...(this.tables.get(networkId) ?? (await this.leasesOf(networkId))).values()];
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.catchingUp;
    await this.leaseWriter.close(); // e.g. an offer's replaced lease
    await this.tablesOfStore.trace.flush();
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
    const leases: Lease[] = [];
    for (const r of await this.tablesOfStore.loadLeases(networkId)) {
      if (!isMac(r.mac)) continue;
      leases.push({
        mac: parseMac(r.mac),
        ip: r.ip,
        subnetId: r.subnetId,
        state: r.state as LeaseState,
        expiresAtMs: r.expiresAtMs,
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
}
