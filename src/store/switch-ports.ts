/** Switch ports' desired and observed state, and LAG names (the reconciler's tables). */
import type { Db } from './filters.ts';

export interface SwitchPortRecord {
  readonly switchName: string;
  readonly port: string;
  readonly desired: unknown;
  readonly observed: unknown;
  readonly isInSync: boolean;
  readonly updatedAt: string;
}

export class SwitchPortRepo {
  private readonly db: Db;
  private readonly now: () => string;

  constructor(db: Db, now: () => string) {
    this.db = db;
    this.now = now;
  }

  async list(switchName?: string): Promise<SwitchPortRecord[]> {
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

  async put(r: Omit<SwitchPortRecord, 'updatedAt'>): Promise<void> {
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

  async delete(switchName: string, port: string): Promise<void> {
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
}
