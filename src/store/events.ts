/** The outbox: change events written in the transaction of their rows, read in order by the change feed. */
import type { Db } from './filters.ts';

export interface ChangeEvent {
  readonly id: number;
  readonly kind: string;
  readonly resourceId: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

export class Outbox {
  private readonly db: Db;
  private readonly now: () => string;

  constructor(db: Db, now: () => string) {
    this.db = db;
    this.now = now;
  }

  async add(kind: string, resourceId: string, payload: Record<string, unknown> = {}): Promise<void> {
    await this.db
      .insertInto('outbox')
      .values({ kind, resource_id: resourceId, payload: JSON.stringify(payload), created_at: this.now() })
      .execute();
  }

  async after(id: number, limit = 1000): Promise<ChangeEvent[]> {
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
  async lastId(): Promise<number> {
    const r = await this.db.selectFrom('outbox').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r ? Number(r.id) : 0;
  }
}
