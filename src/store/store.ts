/**
 * The store: one repository per resource over Kysely (networks.ts, subnets.ts, ports.ts,
 * switch-ports.ts, nodes.ts, events.ts), one transaction per API write (rows + outbox event), and the
 * change feed. The only file other folders import. Queries are portable SQL; dialect specifics live in
 * the adapter files (sqlite.ts).
 */
import { EventEmitter } from 'node:events';
import type { CompiledQuery, Kysely } from 'kysely';
import type { Network, Port, Segment, Subnet } from '../domain/model.ts';
import { type ChangeEvent, Outbox } from './events.ts';
import type { ColumnFilter, Db, SqlPage, Visibility } from './filters.ts';
import { NetworkRepo } from './networks.ts';
import { NodeRepo } from './nodes.ts';
import { PortRepo, type UniqueViolation } from './ports.ts';
import type { NetworkWithSegment } from './rows.ts';
import type { Database } from './schema.ts';
import { SubnetRepo } from './subnets.ts';
import { type SwitchPortRecord, SwitchPortRepo } from './switch-ports.ts';

export type { ChangeEvent } from './events.ts';
export type { ColumnFilter, Db, SqlPage, Visibility } from './filters.ts';
export type { NodeOperation } from './nodes.ts';
export type { UniqueViolation } from './ports.ts';
export type { NetworkWithSegment } from './rows.ts';
export type { SwitchPortRecord } from './switch-ports.ts';
export type { NetworkRepo, NodeRepo, Outbox, PortRepo, SubnetRepo, SwitchPortRepo };

/**
 * The repositories bound to one query builder (the store's, or one transaction's), with the flat method
 * names callers used before the split.
 */
export class Repos {
  readonly networks: NetworkRepo;
  readonly subnets: SubnetRepo;
  readonly ports: PortRepo;
  /** Named apart from the flat `switchPorts()` listing callers use. */
  readonly switchPortRepo: SwitchPortRepo;
  readonly outbox: Outbox;
  private readonly nodeRepo: NodeRepo;

  protected readonly db: Db;

  constructor(db: Db, now: () => string, uniqueViolation: UniqueViolation) {
    this.db = db;
    this.networks = new NetworkRepo(db);
    this.subnets = new SubnetRepo(db);
    this.ports = new PortRepo(db, uniqueViolation);
    this.switchPortRepo = new SwitchPortRepo(db, now);
    this.outbox = new Outbox(db, now);
    this.nodeRepo = new NodeRepo(db);
  }

  // --- networks and segments ---
  getNetwork(id: string): Promise<NetworkWithSegment | null> {
    return this.networks.get(id);
  }
  listNetworks(filters: readonly ColumnFilter[], visible: Visibility, page?: SqlPage): Promise<NetworkWithSegment[]> {
    return this.networks.list(filters, visible, page);
  }
  insertNetwork(n: Network, s: Segment): Promise<void> {
    return this.networks.insert(n, s);
  }
  updateNetwork(n: Network, s: Segment): Promise<void> {
    return this.networks.update(n, s);
  }
  deleteNetwork(id: string): Promise<void> {
    return this.networks.delete(id);
  }
  usedVlans(physnet: string): Promise<Set<number>> {
    return this.networks.usedVlans(physnet);
  }
  segmentOnPhysnet(physnet: string, networkType: string, vlan: number | null): Promise<Segment | null> {
    return this.networks.segmentOnPhysnet(physnet, networkType, vlan);
  }
  getSegment(id: string): Promise<Segment | null> {
    return this.networks.getSegment(id);
  }
  listSegments(filters: readonly ColumnFilter[], visible: Visibility): Promise<Segment[]> {
    return this.networks.listSegments(filters, visible);
  }

  // --- subnets ---
  getSubnet(id: string): Promise<Subnet | null> {
    return this.subnets.get(id);
  }
  listSubnets(filters: readonly ColumnFilter[], visible: Visibility, page?: SqlPage): Promise<Subnet[]> {
    return this.subnets.list(filters, visible, page);
  }
  subnetsOfNetworks(networkIds: readonly string[]): Promise<Subnet[]> {
    return this.subnets.ofNetworks(networkIds);
  }
  insertSubnet(s: Subnet): Promise<void> {
    return this.subnets.insert(s);
  }
  updateSubnet(s: Subnet): Promise<void> {
    return this.subnets.update(s);
  }
  deleteSubnet(id: string): Promise<void> {
    return this.subnets.delete(id);
  }

  // --- ports and addresses ---
  getPort(id: string): Promise<Port | null> {
    return this.ports.get(id);
  }
  listPorts(
    filters: readonly ColumnFilter[],
    visible: Visibility,
    portIds?: readonly string[],
    page?: SqlPage,
  ): Promise<Port[]> {
    return this.ports.list(filters, visible, portIds, page);
  }
  portIdsWithAddress(ip: { ipAddress?: readonly string[]; subnetId?: readonly string[] }): Promise<string[]> {
    return this.ports.idsWithAddress(ip);
  }
  portOnNetworkWithMac(networkId: string, mac: string): Promise<Port | null> {
    return this.ports.onNetworkWithMac(networkId, mac);
  }
  countPorts(networkId: string, exceptDeviceOwner: string): Promise<number> {
    return this.ports.count(networkId, exceptDeviceOwner);
  }
  insertPort(p: Port): Promise<void> {
    return this.ports.insert(p);
  }
  updatePort(p: Port): Promise<void> {
    return this.ports.update(p);
  }
  deletePort(id: string): Promise<void> {
    return this.ports.delete(id);
  }
  deletePortsOfNetwork(networkId: string): Promise<string[]> {
    return this.ports.deleteOfNetwork(networkId);
  }
  allocationOwner(subnetId: string, ip: string): Promise<string | null> {
    return this.ports.allocationOwner(subnetId, ip);
  }
  countAllocations(subnetId: string): Promise<number> {
    return this.ports.countAllocations(subnetId);
  }
  highestAllocated(subnetId: string, from: string, to: string): Promise<string | null> {
    return this.ports.highestAllocated(subnetId, from, to);
  }
  allocatedBetween(subnetId: string, from: string, to: string): Promise<string[]> {
    return this.ports.allocatedBetween(subnetId, from, to);
  }
  bindablePorts(): Promise<{ port: Port; segment: Segment }[]> {
    return this.ports.bindable();
  }

  // --- switch state (reconciler) ---
  switchPorts(switchName?: string): Promise<SwitchPortRecord[]> {
    return this.switchPortRepo.list(switchName);
  }
  putSwitchPort(r: Omit<SwitchPortRecord, 'updatedAt'>): Promise<void> {
    return this.switchPortRepo.put(r);
  }
  deleteSwitchPort(switchName: string, port: string): Promise<void> {
    return this.switchPortRepo.delete(switchName, port);
  }
  lagNames(): Promise<{ switchName: string; groupKey: string; lagName: string }[]> {
    return this.switchPortRepo.lagNames();
  }
  addLagName(switchName: string, groupKey: string, lagName: string): Promise<void> {
    return this.switchPortRepo.addLagName(switchName, groupKey, lagName);
  }

  /** Nodes and node operations (bmnet's node API), in this transaction or store. */
  nodes(): NodeRepo {
    return this.nodeRepo;
  }

  // --- change feed ---
  addEvent(kind: string, resourceId: string, payload: Record<string, unknown> = {}): Promise<void> {
    return this.outbox.add(kind, resourceId, payload);
  }
  eventsAfter(id: number, limit = 1000): Promise<ChangeEvent[]> {
    return this.outbox.after(id, limit);
  }
  /** The id of the newest change event (0 when none): where a consumer starting now begins. */
  lastEventId(): Promise<number> {
    return this.outbox.lastId();
  }

  /** The query builder (the transaction's inside one), for a role's own tables: store/dhcp-sql.ts, store/boot-trace.ts. */
  get builder(): Db {
    return this.db;
  }
}

/**
 * A transaction's view: repositories bound to one transaction (`tx.networks`, `tx.subnets`, `tx.ports`,
 * `tx.switchPortRepo`, `tx.nodes()`, `tx.outbox`), plus the flat names.
 */
export type Tx = Repos;

/** Runs one compiled statement of a batch and returns its rows (none unless it selects or returns). */
export type BatchExec = (query: CompiledQuery) => readonly Record<string, unknown>[];

/**
 * Runs `fn` in one transaction whose statements run back to back: committed when `fn` returns, rolled
 * back when it throws. `fn` is synchronous: nothing else runs on the event loop meanwhile.
 */
export type Batcher = <T>(fn: (exec: BatchExec) => T) => Promise<T>;

export class Store extends Repos {
  private readonly feed = new EventEmitter();

  private readonly kysely: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  private readonly clock: () => string;
  /** Runs after the database is closed: the adapter's own threads or connections. */
  private readonly afterClose: () => Promise<void>;
  private readonly batcher: Batcher | null;
  private readonly uniqueViolation: UniqueViolation;

  constructor(
    kysely: Kysely<Database>,
    dialect: 'sqlite' | 'postgres',
    clock: () => string,
    afterClose: () => Promise<void> = async () => {},
    batcher: Batcher | null = null,
    uniqueViolation: UniqueViolation = () => null,
  ) {
    super(kysely, clock, uniqueViolation);
    this.kysely = kysely;
    this.dialect = dialect;
    this.clock = clock;
    this.afterClose = afterClose;
    this.batcher = batcher;
    this.uniqueViolation = uniqueViolation;
    this.feed.setMaxListeners(0);
  }

  /** Runs `fn` in one transaction; the change feed is told after commit. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const result = await this.kysely
      .transaction()
      .execute((trx) => fn(new Repos(trx, this.clock, this.uniqueViolation)));
    this.feed.emit('committed');
    return result;
  }

  /**
   * A hot-path write of a role's own tables (the DHCP leases and boot trace): compiled statements in one
   * transaction, run back to back (`Batcher`), without the per-statement promises of a Kysely transaction
   * (~10 statements per lease commit). No change event: nothing else reads these tables by the feed.
   */
  batch<T>(fn: (exec: BatchExec) => T): Promise<T> {
    if (this.batcher === null) throw new Error(`the ${this.dialect} store does not run statement batches`);
    return this.batcher(fn);
  }

  /** Calls `listener` after every commit (consumers then read `eventsAfter(lastSeen)`). */
  onCommit(listener: () => void): () => void {
    this.feed.on('committed', listener);
    return () => this.feed.off('committed', listener);
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
    await this.afterClose();
  }
}

/** Neutron's timestamp form: `2026-11-26T01:02:03Z`. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
