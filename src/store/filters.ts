/** The SQL cuts every listing shares: equality filters, visibility and pages, as dialect-neutral Kysely. */
import type { Kysely, SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** Equality filter pushed into SQL: column = any of values. */
export interface ColumnFilter {
  readonly column: string;
  readonly values: readonly (string | number | null)[];
}

/** A page cut in SQL: ordered by id, after (or before, reversed) a marker id, at most `limit` rows. */
export interface SqlPage {
  readonly limit: number;
  readonly markerId: string | null;
  readonly reverse: boolean;
}

/** Visibility: null = everything (admin), else what a project may see. */
export type Visibility = { readonly projectId: string } | null;

/** The query builder a repository runs on: the store's own, or one transaction's. */
export type Db = Kysely<Database> | Transaction<Database>;

// biome-ignore lint/suspicious/noExplicitAny: Kysely's dynamic column references need a loose builder type here
type AnySelect = SelectQueryBuilder<Database, any, any>;

export function applyFilters<Q extends AnySelect>(q: Q, filters: readonly ColumnFilter[]): Q {
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

export function applyPage<Q extends AnySelect>(q: Q, page: SqlPage | undefined): Q {
  if (!page) return q;
  let out = q;
  if (page.markerId !== null) out = out.where((eb) => eb(eb.ref('id'), page.reverse ? '<' : '>', page.markerId)) as Q;
  return out.orderBy('id', page.reverse ? 'desc' : 'asc').limit(page.limit) as Q;
}
