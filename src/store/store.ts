/**
 * The store: repositories over Kysely, one transaction per API write (rows + outbox event), and the
 * change feed. Queries are portable SQL; dialect specifics live in the adapter files (sqlite.ts).
 */
import { EventEmitter } from 'node:events';
import type { CompiledQuery, Kysely, SelectQueryBuilder, Transaction } from 'kysely';
import { ipSortKey, parseIp } from '../domain/ip.js';
import type { Network, Port, Segment, Subnet } from '../domain/model.js';
import { NodeRepo } from './nodes.js';
import {
  type NetworkWithSegment,
  networkFromRow,
  networkToRow,
  portFromRow,
  portToRow,
  segmentFromRow,
  segmentToRow,
  subnetFromRow,
  subnetToRow,
} from './rows.js';
import type { Database } from './schema.js';

export type { NetworkWithSegment } from './rows.js';

/** Equality filter pushed into SQL: column = any of values. */
export interface ColumnFilter {
  readonly column: string;
  readonly values: readonly (string | number | null)[];
}

export interface ChangeEvent {
  readonly id: number;
  readonly kind: string;
  readonly resourceId: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

/** A page cut in SQL: ordered by id, after (or before, reversed) a marker id, at most `limit` rows. */
export interface SqlPage {
  readonly limit: number;
  readonly markerId: string | null;
  readonly reverse: boolean;
}

export interface SwitchPortRecord {
  readonly switchName: string;
  readonly port: string;
  readonly desired: unknown;
  readonly observed: unknown;
  readonly isInSync: boolean;
  readonly updatedAt: string;
}

/** Visibility: null = everything (admin), else what a project may see. */
export type Visibility = { readonly projectId: string } | null;

export type Db = Kysely<Database> | Transaction<Database>;

// biome-ignore lint/suspicious/noExplicitAny: Kysely's dynamic column references need a loose builder type here
type AnySelect = SelectQueryBuilder<Database, any, any>;

function applyFilters<Q extends AnySelect>(q: Q, filters: readonly ColumnFilter[]): Q {
  let out = q;
  for (const f of filters) {
    const nonNull = f.values.filter((v) => v !== null);
    const hasNull = nonNull.length !== f.values.length;
    out = out.where((eb) => {
      const ors = [];
      if (nonNull.length === 1) ors.push(eb(eb.ref(f.column), '=', nonNull[0]));
      else if (nonNull.length > 1) ors.push(eb(eb.ref(f.column), 'in', nonNull));
      if (hasNull) ors.push(eb(eb.ref(f.column), 'is', null));
      return eb.or(ors);
    }) as Q;
  }
  return out;
}

function applyPage<Q extends AnySelect>(q: Q, page: SqlPage | undefined): Q {
  if (!page) return q;
  let out = q;
  if (page.markerId !== null) out = out.where((eb) => eb(eb.ref('id'), page.reverse ? '<' : '>', page.markerId)) as Q;
  return out.orderBy('id', page.reverse ? 'desc' : 'asc').limit(page.limit) as Q;
}

export class Repos {
  constructor(
    protected readonly db: Db,
    private readonly now: () => string,
  ) {}

  // --- networks and segments ---
  async getNetwork(id: string): Promise<NetworkWithSegment | null> {
    const row = await this.db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const seg = await this.db.selectFrom('segments').selectAll().where('network_id', '=', id).executeTakeFirst();
    if (!seg) return null;
    return { network: networkFromRow(row), segment: segmentFromRow(seg) };
  }

  async listNetworks(
    filters: readonly ColumnFilter[],
    visible: Visibility,
    page?: SqlPage,
  ): Promise<NetworkWithSegment[]> {
    let q = applyFilters(this.db.selectFrom('networks').selectAll(), filters);
    if (visible) q = q.where((eb) => eb.or([eb('project_id', '=', visible.projectId), eb('shared', '=', 1)]));
    const rows = await applyPage(q, page).execute();
    if (rows.length === 0) return [];
    const segs = await this.db
      .selectFrom('segments')
      .selectAll()
      .where(
        'network_id',
        'in',
        this.db
          .selectFrom('networks')
          .select('id')
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          ),
      )
      .execute();
    const byNet = new Map(segs.map((s) => [s.network_id, segmentFromRow(s)]));
    const out: NetworkWithSegment[] = [];
    for (const r of rows) {
      const segment = byNet.get(r.id);
      if (segment) out.push({ network: networkFromRow(r), segment });
    }
    return out;
  }

  async insertNetwork(n: Network, s: Segment): Promise<void> {
    await this.db.insertInto('networks').values(networkToRow(n, s)).execute();
    await this.db.insertInto('segments').values(segmentToRow(s)).execute();
  }

  async updateNetwork(n: Network, s: Segment): Promise<void> {
    await this.db.updateTable('networks').set(networkToRow(n, s)).where('id', '=', n.id).execute();
    await this.db.updateTable('segments').set(segmentToRow(s)).where('id', '=', s.id).execute();
  }

  async deleteNetwork(id: string): Promise<void> {
    await this.db.deleteFrom('segments').where('network_id', '=', id).execute();
    await this.db.deleteFrom('networks').where('id', '=', id).execute();
  }

  async usedVlans(physnet: string): Promise<Set<number>> {
    const rows = await this.db
      .selectFrom('segments')
      .select('segmentation_id')
      .where('physical_network', '=', physnet)
      .where('network_type', '=', 'vlan')
      .execute();
    return new Set(rows.map((r) => r.segmentation_id).filter((v): v is number => v !== null));
  }

  async segmentOnPhysnet(physnet: string, networkType: string, vlan: number | null): Promise<Segment | null> {
    let q = this.db
      .selectFrom('segments')
      .selectAll()
      .where('physical_network', '=', physnet)
      .where('network_type', '=', networkType);
    q = vlan === null ? q : q.where('segmentation_id', '=', vlan);
    const row = await q.executeTakeFirst();
    return row ? segmentFromRow(row) : null;
  }

  async getSegment(id: string): Promise<Segment | null> {
    const row = await this.db.selectFrom('segments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? segmentFromRow(row) : null;
  }

  async listSegments(filters: readonly ColumnFilter[], visible: Visibility): Promise<Segment[]> {
    let q = applyFilters(this.db.selectFrom('segments').selectAll(), filters);
    if (visible) {
      q = q.where(
        'network_id',
        'in',
        this.db.selectFrom('networks').select('id').where('project_id', '=', visible.projectId),
      );
    }
    return (await q.execute()).map(segmentFromRow);
  }

  // --- subnets ---
  async getSubnet(id: string): Promise<Subnet | null> {
    const row = await this.db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? subnetFromRow(row) : null;
  }

  async listSubnets(filters: readonly ColumnFilter[], visible: Visibility, page?: SqlPage): Promise<Subnet[]> {
    let q = applyFilters(this.db.selectFrom('subnets').selectAll(), filters);
    if (visible) {
      q = q.where((eb) =>
        eb.or([
          eb('project_id', '=', visible.projectId),
          eb('network_id', 'in', this.db.selectFrom('networks').select('id').where('shared', '=', 1)),
        ]),
      );
    }
    return (await applyPage(q, page).execute()).map(subnetFromRow);
  }

  async subnetsOfNetworks(networkIds: readonly string[]): Promise<Subnet[]> {
    if (networkIds.length === 0) return [];
    const rows = await this.db.selectFrom('subnets').selectAll().where('network_id', 'in', networkIds).execute();
    return rows.map(subnetFromRow);
  }

  async insertSubnet(s: Subnet): Promise<void> {
    await this.db.insertInto('subnets').values(subnetToRow(s)).execute();
  }

  async updateSubnet(s: Subnet): Promise<void> {
    await this.db.updateTable('subnets').set(subnetToRow(s)).where('id', '=', s.id).execute();
  }

  async deleteSubnet(id: string): Promise<void> {
    await this.db.deleteFrom('subnets').where('id', '=', id).execute();
  }

  // --- ports and addresses ---
  async getPort(id: string): Promise<Port | null> {
    const row = await this.db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? portFromRow(row) : null;
  }

  async listPorts(
    filters: readonly ColumnFilter[],
    visible: Visibility,
    portIds?: readonly string[],
    page?: SqlPage,
  ): Promise<Port[]> {
    let q = applyFilters(this.db.selectFrom('ports').selectAll(), filters);
    if (visible) q = q.where('project_id', '=', visible.projectId);
    if (portIds) {
      if (portIds.length === 0) return [];
      q = q.where('id', 'in', portIds);
    }
    return (await applyPage(q, page).execute()).map(portFromRow);
  }

  async portIdsWithAddress(ip: { ipAddress?: readonly string[]; subnetId?: readonly string[] }): Promise<string[]> {
    let q = this.db.selectFrom('ip_allocations').select('port_id').distinct();
    if (ip.ipAddress) q = q.where('ip_address', 'in', ip.ipAddress);
    if (ip.subnetId) q = q.where('subnet_id', 'in', ip.subnetId);
    return (await q.execute()).map((r) => r.port_id);
  }

  async portOnNetworkWithMac(networkId: string, mac: string): Promise<Port | null> {
    const row = await this.db
      .selectFrom('ports')
      .selectAll()
      .where('network_id', '=', networkId)
      .where('mac_address', '=', mac)
      .executeTakeFirst();
    return row ? portFromRow(row) : null;
  }

  async countPorts(networkId: string, exceptDeviceOwner: string): Promise<number> {
    const r = await this.db
      .selectFrom('ports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('network_id', '=', networkId)
      .where('device_owner', '!=', exceptDeviceOwner)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insertPort(p: Port): Promise<void> {
    await this.db.insertInto('ports').values(portToRow(p)).execute();
    await this.insertAllocations(p);
  }

  /** Rewrites the port row and its address rows. */
  async updatePort(p: Port): Promise<void> {
    await this.db.updateTable('ports').set(portToRow(p)).where('id', '=', p.id).execute();
    await this.db.deleteFrom('ip_allocations').where('port_id', '=', p.id).execute();
    await this.insertAllocations(p);
  }

  private async insertAllocations(p: Port): Promise<void> {
    if (p.fixedIps.length === 0) return;
    await this.db
      .insertInto('ip_allocations')
      .values(
        p.fixedIps.map((f) => ({
          subnet_id: f.subnetId,
          ip_address: f.ipAddress,
          ip_sort: sortKeyOf(f.ipAddress),
          port_id: p.id,
          network_id: p.networkId,
        })),
      )
      .execute();
  }

  async deletePort(id: string): Promise<void> {
    await this.db.deleteFrom('ip_allocations').where('port_id', '=', id).execute();
    await this.db.deleteFrom('ports').where('id', '=', id).execute();
  }

  async deletePortsOfNetwork(networkId: string): Promise<string[]> {
    const ids = (await this.db.selectFrom('ports').select('id').where('network_id', '=', networkId).execute()).map(
      (r) => r.id,
    );
    await this.db.deleteFrom('ip_allocations').where('network_id', '=', networkId).execute();
    await this.db.deleteFrom('ports').where('network_id', '=', networkId).execute();
    return ids;
  }

  async allocationOwner(subnetId: string, ip: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('ip_allocations')
      .select('port_id')
      .where('subnet_id', '=', subnetId)
      .where('ip_address', '=', ip)
      .executeTakeFirst();
    return r?.port_id ?? null;
  }

  async countAllocations(subnetId: string): Promise<number> {
    const r = await this.db
      .selectFrom('ip_allocations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('subnet_id', '=', subnetId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Highest allocated sort key within [from, to], or null. */
  async highestAllocated(subnetId: string, from: string, to: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('ip_allocations')
      .select('ip_sort')
      .where('subnet_id', '=', subnetId)
      .where('ip_sort', '>=', from)
      .where('ip_sort', '<=', to)
      .orderBy('ip_sort', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r?.ip_sort ?? null;
  }

  /** All allocated sort keys within [from, to], ascending. */
  async allocatedBetween(subnetId: string, from: string, to: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('ip_allocations')
      .select('ip_sort')
      .where('subnet_id', '=', subnetId)
      .where('ip_sort', '>=', from)
      .where('ip_sort', '<=', to)
      .orderBy('ip_sort', 'asc')
      .execute();
    return rows.map((r) => r.ip_sort);
  }

  // --- switch state (reconciler) ---
  /** Bare-metal ports with a host: the candidates for switch binding, with their network's segment. */
  async bindablePorts(): Promise<{ port: Port; segment: Segment }[]> {
    const ports = (
      await this.db
        .selectFrom('ports')
        .selectAll()
        .where('vnic_type', '=', 'baremetal')
        .where('host_id', '!=', '')
        .execute()
    ).map(portFromRow);
    if (ports.length === 0) return [];
    const segs = await this.db
      .selectFrom('segments')
      .selectAll()
      .where('network_id', 'in', [...new Set(ports.map((p) => p.networkId))])
      .execute();
    const byNet = new Map(segs.map((r) => [r.network_id, segmentFromRow(r)]));
    return ports.flatMap((port) => {
      const segment = byNet.get(port.networkId);
      return segment ? [{ port, segment }] : [];
    });
  }

  async switchPorts(switchName?: string): Promise<SwitchPortRecord[]> {
    let q = this.db.selectFrom('switch_ports').selectAll();
    if (switchName !== undefined) q = q.where('switch_name', '=', switchName);
    const rows = await q.orderBy('switch_name').orderBy('port').execute();
    return rows.map((r) => ({
      switchName: r.switch_name,
      port: r.port,
      desired: JSON.parse(r.desired) as unknown,
      observed: JSON.parse(r.observed) as unknown,
      isInSync: r.in_sync === 1,
      updatedAt: r.updated_at,
    }));
  }

  async putSwitchPort(r: Omit<SwitchPortRecord, 'updatedAt'>): Promise<void> {
    const row = {
      switch_name: r.switchName,
      port: r.port,
      desired: JSON.stringify(r.desired),
      observed: JSON.stringify(r.observed),
      in_sync: r.isInSync ? 1 : 0,
      updated_at: this.now(),
    };
    await this.db
      .insertInto('switch_ports')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['switch_name', 'port']).doUpdateSet({
          desired: row.desired,
          observed: row.observed,
          in_sync: row.in_sync,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  async deleteSwitchPort(switchName: string, port: string): Promise<void> {
    await this.db.deleteFrom('switch_ports').where('switch_name', '=', switchName).where('port', '=', port).execute();
  }

  async lagNames(): Promise<{ switchName: string; groupKey: string; lagName: string }[]> {
    const rows = await this.db.selectFrom('switch_lags').selectAll().execute();
    return rows.map((r) => ({ switchName: r.switch_name, groupKey: r.group_key, lagName: r.lag_name }));
  }

  async addLagName(switchName: string, groupKey: string, lagName: string): Promise<void> {
    await this.db
      .insertInto('switch_lags')
      .values({ switch_name: switchName, group_key: groupKey, lag_name: lagName })
      .execute();
  }

  /** Nodes and node operations (bmnet's node API), in this transaction or store. */
  nodes(): NodeRepo {
    return new NodeRepo(this.db);
  }

  // --- change feed ---
  async addEvent(kind: string, resourceId: string, payload: Record<string, unknown> = {}): Promise<void> {
    await this.db
      .insertInto('outbox')
      .values({ kind, resource_id: resourceId, payload: JSON.stringify(payload), created_at: this.now() })
      .execute();
  }

  async eventsAfter(id: number, limit = 1000): Promise<ChangeEvent[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', '>', id)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      kind: r.kind,
      resourceId: r.resource_id,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      createdAt: r.created_at,
    }));
  }

  /** The id of the newest change event (0 when none): where a consumer starting now begins. */
  async lastEventId(): Promise<number> {
    const r = await this.db.selectFrom('outbox').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r ? Number(r.id) : 0;
  }

  /** The query builder (the transaction's inside one), for a role's own tables: store/dhcp-state.ts. */
  get builder(): Db {
    return this.db;
  }
}

function sortKeyOf(ip: string): string {
  const { version, value } = parseIp(ip);
  return ipSortKey(version, value);
}

/** A transaction's view: repositories bound to one transaction. */
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

  constructor(
    private readonly kysely: Kysely<Database>,
    readonly dialect: 'sqlite' | 'postgres',
    private readonly clock: () => string,
    /** Runs after the database is closed: the adapter's own threads or connections. */
    private readonly afterClose: () => Promise<void> = async () => {},
    private readonly batcher: Batcher | null = null,
  ) {
    super(kysely, clock);
    this.feed.setMaxListeners(0);
  }

  /** Runs `fn` in one transaction; the change feed is told after commit. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const result = await this.kysely.transaction().execute((trx) => fn(new Repos(trx, this.clock)));
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
