/**
 * The SQL of the DHCP tables' hot path (`dhcp_leases`, `boot_trace`): each statement built by Kysely
 * once per row count and then run with parameters inside a store batch (lease-writes.ts, boot-trace.ts).
 */
import { CompiledQuery } from 'kysely';
import type { BootTraceEvent } from '../domain/boot-trace.ts';
import type { BatchExec, Db } from './store.ts';

/** A `dhcp_leases` row of one network as the writes take it and the load returns it. */
export interface LeaseRow {
  readonly mac: string;
  readonly ip: string;
  readonly subnetId: string;
  readonly state: string;
  readonly expiresAtMs: number;
}

export const SAVEPOINT = CompiledQuery.raw('savepoint boot_trace');
export const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('rollback to savepoint boot_trace');
export const RELEASE_SAVEPOINT = CompiledQuery.raw('release savepoint boot_trace');

/** Row counts the multi-row statements are compiled for; a batch goes out in the largest that fit. */
const CHUNK_ROWS = [256, 64, 16, 4, 1] as const;

/**
 * A statement of the hot path, built and compiled by Kysely (for the store's dialect) once per row
 * count and then run with the rows' parameters: a batch costs no query building, and the SQL texts
 * repeat, so the store's prepared-statement cache holds them.
 */
class RowStatement {
  private readonly compiled = new Map<number, CompiledQuery>();

  private readonly build: (rows: number) => CompiledQuery;
  private readonly parametersPerRow: number;

  constructor(build: (rows: number) => CompiledQuery, parametersPerRow: number) {
    this.build = build;
    this.parametersPerRow = parametersPerRow;
  }

  /** Runs the statement for `rows` in a batch; returns what it returned (RETURNING), in no particular order. */
  write(exec: BatchExec, rows: readonly (readonly unknown[])[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < rows.length; ) {
      const size = CHUNK_ROWS.find((n) => n <= rows.length - i) ?? 1;
      const parameters: unknown[] = [];
      for (let r = i; r < i + size; r++) for (const v of rows[r] ?? []) parameters.push(v);
      for (const r of exec({ ...this.statement(size), parameters })) out.push(r);
      i += size;
    }
    return out;
  }

  private statement(rows: number): CompiledQuery {
    const cached = this.compiled.get(rows);
    if (cached) return cached;
    const q = this.build(rows);
    if (q.parameters.length !== rows * this.parametersPerRow) {
      throw new Error(
        `compiled statement takes ${q.parameters.length} parameters, not ${rows}×${this.parametersPerRow}`,
      );
    }
    this.compiled.set(rows, q);
    return q;
  }
}

/** The statements of the lease and boot-trace writes, compiled for `db`'s dialect. */
export function compileDhcpStatements(db: Db) {
  const lease = { network_id: '', ip_address: '', mac_address: '', subnet_id: '', state: '', expires_at_ms: 0 };
  const trace = traceRow(null);
  const times = <T>(n: number, row: T): T[] => Array.from({ length: n }, () => row);
  return {
    // rows: leaseParams
    upsertLeases: new RowStatement(
      (n) =>
        db
          .insertInto('dhcp_leases')
          .values(times(n, lease))
          .onConflict((oc) =>
            oc.columns(['network_id', 'ip_address']).doUpdateSet((eb) => ({
              mac_address: eb.ref('excluded.mac_address'),
              subnet_id: eb.ref('excluded.subnet_id'),
              state: eb.ref('excluded.state'),
              expires_at_ms: eb.ref('excluded.expires_at_ms'),
            })),
          )
          .compile(),
      Object.keys(lease).length,
    ),
    // rows: network id, address (one at a time: only replaced and released leases go)
    deleteLease: new RowStatement(
      () => db.deleteFrom('dhcp_leases').where('network_id', '=', '').where('ip_address', '=', '').compile(),
      2,
    ),
    // rows: traceParams; returns id and mac_address of each row
    insertTraces: new RowStatement(
      (n) => db.insertInto('boot_trace').values(times(n, trace)).returning(['id', 'mac_address']).compile(),
      Object.keys(trace).length,
    ),
    // rows: an id each
    deleteTraces: new RowStatement((n) => db.deleteFrom('boot_trace').where('id', 'in', times(n, 0)).compile(), 1),
    // rows: one, the highest id to delete
    deleteTracesUpTo: new RowStatement(() => db.deleteFrom('boot_trace').where('id', '<=', 0).compile(), 1),
  };
}

export type DhcpStatements = ReturnType<typeof compileDhcpStatements>;

/** In the column order of `upsertLeases`. */
export function leaseParams(networkId: string, l: LeaseRow): unknown[] {
  return [networkId, l.ip, l.mac, l.subnetId, l.state, l.expiresAtMs];
}

function traceRow(e: BootTraceEvent | null) {
  return {
    at_ms: e?.atMs ?? 0,
    network_id: e?.networkId ?? '',
    mac_address: e?.mac ?? '',
    xid: e?.xid ?? 0,
    message_type: e?.messageType ?? '',
    arch: e?.arch ?? null,
    user_class: e?.userClass ?? null,
    vendor_class: e?.vendorClass ?? null,
    answer: e?.answer ?? '',
    drop_reason: e?.dropReason ?? null,
    ip_address: e?.address ?? null,
    bootfile: e?.bootfile ?? null,
    relay: e?.relay ?? null,
    relay_agent_info: e?.relayAgentInfo ?? null,
    detail: e?.detail ?? null,
  };
}

/** In the column order of `insertTraces`. */
export function traceParams(e: BootTraceEvent): unknown[] {
  return Object.values(traceRow(e));
}

/** The stored leases of a network. */
export async function selectLeases(db: Db, networkId: string): Promise<LeaseRow[]> {
  const rows = await db.selectFrom('dhcp_leases').selectAll().where('network_id', '=', networkId).execute();
  return rows.map((r) => ({
    mac: r.mac_address,
    ip: r.ip_address,
    subnetId: r.subnet_id,
    state: r.state,
    expiresAtMs: Number(r.expires_at_ms),
  }));
}
