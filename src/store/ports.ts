/** Ports and their address rows (ip_allocations). */
import { MacAddressInUse } from '../domain/errors.ts';
import { ipSortKey, parseIp } from '../domain/ip.ts';
import type { Port, Segment } from '../domain/model.ts';
import { applyFilters, applyPage, type ColumnFilter, type Db, type SqlPage, type Visibility } from './filters.ts';
import { portFromRow, portToRow, segmentFromRow } from './rows.ts';

/** The columns of the unique index a failed statement violated, or null for any other failure (per dialect). */
export type UniqueViolation = (err: unknown) => readonly string[] | null;

export class PortRepo {
  private readonly db: Db;
  private readonly uniqueViolation: UniqueViolation;

  constructor(db: Db, uniqueViolation: UniqueViolation) {
    this.db = db;
    this.uniqueViolation = uniqueViolation;
  }

  async get(id: string): Promise<Port | null> {
    const row = await this.db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? portFromRow(row) : null;
  }

  async list(
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

  async idsWithAddress(ip: { ipAddress?: readonly string[]; subnetId?: readonly string[] }): Promise<string[]> {
    let q = this.db.selectFrom('ip_allocations').select('port_id').distinct();
    if (ip.ipAddress) q = q.where('ip_address', 'in', ip.ipAddress);
    if (ip.subnetId) q = q.where('subnet_id', 'in', ip.subnetId);
    return (await q.execute()).map((r) => r.port_id);
  }

  async onNetworkWithMac(networkId: string, mac: string): Promise<Port | null> {
    const row = await this.db
      .selectFrom('ports')
      .selectAll()
      .where('network_id', '=', networkId)
      .where('mac_address', '=', mac)
      .executeTakeFirst();
    return row ? portFromRow(row) : null;
  }

  async count(networkId: string, exceptDeviceOwner: string): Promise<number> {
    const r = await this.db
      .selectFrom('ports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('network_id', '=', networkId)
      .where('device_owner', '!=', exceptDeviceOwner)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Throws MacAddressInUse when the network has a port with this MAC already (its unique index). */
  async insert(p: Port): Promise<void> {
    await this.macChecked(p, () => this.db.insertInto('ports').values(portToRow(p)).execute());
    await this.insertAllocations(p);
  }

  /** Rewrites the port row and its address rows. */
  async update(p: Port): Promise<void> {
    await this.macChecked(p, () => this.db.updateTable('ports').set(portToRow(p)).where('id', '=', p.id).execute());
    await this.db.deleteFrom('ip_allocations').where('port_id', '=', p.id).execute();
    await this.insertAllocations(p);
  }

  /** The index ports_network_mac turned into the error the API answers (409), as its own check does. */
  private async macChecked(p: Port, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (this.uniqueViolation(err)?.includes('mac_address')) throw new MacAddressInUse(p.networkId, p.macAddress);
      throw err;
    }
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

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('ip_allocations').where('port_id', '=', id).execute();
    await this.db.deleteFrom('ports').where('id', '=', id).execute();
  }

  async deleteOfNetwork(networkId: string): Promise<string[]> {
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

  /** Bare-metal ports with a host: the candidates for switch binding, with their network's segment. */
  async bindable(): Promise<{ port: Port; segment: Segment }[]> {
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
}

function sortKeyOf(ip: string): string {
  const { version, value } = parseIp(ip);
  return ipSortKey(version, value);
}
