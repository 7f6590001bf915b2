/** List queries the Neutron way: filters (repeat = any of), fields, sort_key/sort_dir, limit/marker pagination. */
import { HTTPBadRequest } from '../domain/errors.ts';
import type { ColumnFilter, SqlPage } from '../store/store.ts';
import type { Json, JsonObject } from './wire.ts';

export type QueryValues = Readonly<Record<string, string | string[] | undefined>>;

export type FilterKind = 'string' | 'bool' | 'int';
export interface Filterable {
  readonly kind: FilterKind;
  /** SQL column when the filter can be pushed into the query. */
  readonly column?: string;
}

const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

export interface ListQuery {
  readonly sql: ColumnFilter[];
  /** Filters applied to the wire objects (attributes without a column). */
  readonly memory: { readonly attr: string; readonly values: readonly string[] }[];
  /** Everything else a resource handles itself (e.g. ports' `fixed_ips=ip_address=…`). */
  readonly special: Map<string, string[]>;
  readonly fields: readonly string[];
  readonly sort: readonly { readonly key: string; readonly desc: boolean }[];
  readonly limit: number | null;
  readonly marker: string | null;
  readonly pageReverse: boolean;
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function boolValue(attr: string, s: string): number {
  const l = s.toLowerCase();
  if (l === 'true' || l === '1') return 1;
  if (l === 'false' || l === '0') return 0;
  throw new HTTPBadRequest(`Invalid input for ${attr}. Reason: '${s}' cannot be converted to boolean.`);
}

export function parseListQuery(
  q: QueryValues,
  filterable: Readonly<Record<string, Filterable>>,
  special: readonly string[],
  maxPageSize: number,
): ListQuery {
  const sql: ColumnFilter[] = [];
  const memory: { attr: string; values: string[] }[] = [];
  const specials = new Map<string, string[]>();
  for (const [key, raw] of Object.entries(q)) {
    if (CONTROL.has(key)) continue;
    const values = all(raw);
    if (special.includes(key)) {
      specials.set(key, values);
      continue;
    }
    const f = filterable[key];
    if (!f) throw new HTTPBadRequest(`${key} is invalid attribute for filtering`);
    if (f.column) {
      sql.push({
        column: f.column,
        values: values.map((v) =>
          f.kind === 'bool' ? boolValue(key, v) : f.kind === 'int' && /^\d+$/.test(v) ? Number(v) : v,
        ),
      });
    } else memory.push({ attr: key, values });
  }
  const keys = all(q.sort_key);
  const dirs = all(q.sort_dir);
  if (dirs.length > 0 && dirs.length !== keys.length)
    throw new HTTPBadRequest('The number of sort_keys and sort_dirs must be same');
  const sort = keys.map((key, i) => {
    if (!filterable[key] && key !== 'id') throw new HTTPBadRequest(`${key} is an invalid attribute for sort_keys`);
    const dir = (dirs[i] ?? 'asc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc')
      throw new HTTPBadRequest(`${dirs[i]} is an invalid value for sort_dirs, valid values are: asc, desc`);
    return { key, desc: dir === 'desc' };
  });
  let limit: number | null = null;
  const rawLimit = all(q.limit)[0];
  if (rawLimit !== undefined && rawLimit !== '') {
    if (!/^\d+$/.test(rawLimit))
      throw new HTTPBadRequest(`Limit must be an integer 0 or greater and not '${rawLimit}'`);
    const n = Number(rawLimit);
    limit = n === 0 ? null : Math.min(n, maxPageSize);
  }
  return {
    sql,
    memory,
    special: specials,
    fields: all(q.fields),
    sort,
    limit,
    marker: all(q.marker)[0] ?? null,
    pageReverse: (all(q.page_reverse)[0] ?? '').toLowerCase() === 'true',
  };
}

/**
 * The page to cut in SQL when nothing else needs every row first: no in-memory filter and the order is
 * by id (what openstacksdk's limit/marker pagination uses). One row more than the limit tells whether a
 * next page exists.
 */
export function sqlPageOf(q: ListQuery): SqlPage | undefined {
  if (q.limit === null || q.memory.length > 0) return undefined;
  if (q.sort.some((s) => s.key !== 'id' || s.desc)) return undefined;
  return { limit: q.limit + 1, markerId: q.marker, reverse: q.pageReverse };
}

function matches(v: Json | undefined, wanted: string): boolean {
  if (typeof v === 'boolean') return v === (wanted.toLowerCase() === 'true' || wanted === '1');
  if (v === null || v === undefined) return wanted === '' || wanted === 'None';
  if (typeof v === 'number') return String(v) === wanted;
  if (typeof v === 'string') return v === wanted;
  return false;
}

function compare(a: Json | undefined, b: Json | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

export interface Page {
  readonly items: JsonObject[];
  readonly links: JsonObject[];
}

/** Applies memory filters, sorting, pagination and field selection to wire objects. */
export function pageOf(
  items: JsonObject[],
  q: ListQuery,
  selfUrl: (params: URLSearchParams) => string,
  original: URLSearchParams,
  isCutInSql = false,
): Page {
  let rows = items.filter((item) => q.memory.every((f) => f.values.some((w) => matches(item[f.attr], w))));
  if (isCutInSql) return cutPage(rows, q, selfUrl, original);
  const sort =
    q.sort.length > 0 || q.limit !== null || q.marker !== null ? [...q.sort, { key: 'id', desc: false }] : [];
  if (sort.length > 0) {
    rows = [...rows].sort((a, b) => {
      for (const s of sort) {
        const c = compare(a[s.key], b[s.key]);
        if (c !== 0) return s.desc ? -c : c;
      }
      return 0;
    });
  }
  const links: JsonObject[] = [];
  if (q.limit !== null || q.marker !== null) {
    let start = 0;
    let end = rows.length;
    const at = q.marker === null ? -1 : rows.findIndex((r) => r.id === q.marker);
    if (q.pageReverse) {
      end = at >= 0 ? at : rows.length;
      start = q.limit === null ? 0 : Math.max(0, end - q.limit);
    } else {
      start = at >= 0 ? at + 1 : 0;
      end = q.limit === null ? rows.length : Math.min(rows.length, start + q.limit);
    }
    const page = rows.slice(start, end);
    const link = (marker: string, reverse: boolean, rel: string) =>
      links.push(pageLink(original, selfUrl, marker, reverse, rel));
    const first = page[0];
    const last = page[page.length - 1];
    if (q.limit !== null && last && end < rows.length) link(String(last.id), false, 'next');
    if (first && start > 0) link(String(first.id), true, 'previous');
    rows = page;
  }
  return { items: selectFields(rows, q.fields), links };
}

/** A `next`/`previous` link: the request's query with this marker (and page_reverse for previous pages). */
function pageLink(
  original: URLSearchParams,
  selfUrl: (p: URLSearchParams) => string,
  marker: string,
  reverse: boolean,
  rel: string,
): JsonObject {
  const p = new URLSearchParams(original);
  p.delete('marker');
  p.delete('page_reverse');
  p.set('marker', marker);
  if (reverse) p.set('page_reverse', 'True');
  return { href: selfUrl(p), rel };
}

function selectFields(rows: JsonObject[], fields: readonly string[]): JsonObject[] {
  if (fields.length === 0) return rows;
  return rows.map((r) => {
    const o: JsonObject = {};
    for (const f of fields) if (f in r) o[f] = r[f] as Json;
    return o;
  });
}

/** Links for a page SQL already cut (limit + 1 rows, ordered by id; reversed pages come newest first). */
function cutPage(
  rows: JsonObject[],
  q: ListQuery,
  selfUrl: (p: URLSearchParams) => string,
  original: URLSearchParams,
): Page {
  const limit = q.limit ?? rows.length;
  const hasMore = rows.length > limit;
  let page = rows.slice(0, limit);
  if (q.pageReverse) page = page.reverse();
  const links: JsonObject[] = [];
  const link = (marker: unknown, reverse: boolean, rel: string) =>
    links.push(pageLink(original, selfUrl, String(marker), reverse, rel));
  const first = page[0];
  const last = page[page.length - 1];
  const hasNext = q.pageReverse ? q.marker !== null : hasMore;
  const hasPrevious = q.pageReverse ? hasMore : q.marker !== null;
  if (last && hasNext) link(last.id, false, 'next');
  if (first && hasPrevious) link(first.id, true, 'previous');
  return { items: selectFields(page, q.fields), links };
}
