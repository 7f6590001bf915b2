/** Subnets. */
import type { Subnet } from '../domain/model.ts';
import { applyFilters, applyPage, type ColumnFilter, type Db, type SqlPage, type Visibility } from './filters.ts';
import { subnetFromRow, subnetToRow } from './rows.ts';

export class SubnetRepo {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async get(id: string): Promise<Subnet | null> {
    const row = await this.db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? subnetFromRow(row) : null;
  }

  async list(filters: readonly ColumnFilter[], visible: Visibility, page?: SqlPage): Promise<Subnet[]> {
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

  async ofNetworks(networkIds: readonly string[]): Promise<Subnet[]> {
    if (networkIds.length === 0) return [];
    const rows = await this.db.selectFrom('subnets').selectAll().where('network_id', 'in', networkIds).execute();
    return rows.map(subnetFromRow);
  }

  async insert(s: Subnet): Promise<void> {
    await this.db.insertInto('subnets').values(subnetToRow(s)).execute();
  }

  async update(s: Subnet): Promise<void> {
    await this.db.updateTable('subnets').set(subnetToRow(s)).where('id', '=', s.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('subnets').where('id', '=', id).execute();
  }
}
