/** Networks and their segments. */
import type { Network, Segment } from '../domain/model.ts';
import { applyFilters, applyPage, type ColumnFilter, type Db, type SqlPage, type Visibility } from './filters.ts';
import { type NetworkWithSegment, networkFromRow, networkToRow, segmentFromRow, segmentToRow } from './rows.ts';

export class NetworkRepo {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async get(id: string): Promise<NetworkWithSegment | null> {
    const row = await this.db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const seg = await this.db.selectFrom('segments').selectAll().where('network_id', '=', id).executeTakeFirst();
    if (!seg) return null;
    return { network: networkFromRow(row), segment: segmentFromRow(seg) };
  }

  async list(filters: readonly ColumnFilter[], visible: Visibility, page?: SqlPage): Promise<NetworkWithSegment[]> {
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

  async insert(n: Network, s: Segment): Promise<void> {
    await this.db.insertInto('networks').values(networkToRow(n, s)).execute();
    await this.db.insertInto('segments').values(segmentToRow(s)).execute();
  }

  async update(n: Network, s: Segment): Promise<void> {
    await this.db.updateTable('networks').set(networkToRow(n, s)).where('id', '=', n.id).execute();
    await this.db.updateTable('segments').set(segmentToRow(s)).where('id', '=', s.id).execute();
  }

  async delete(id: string): Promise<void> {
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
}
