/**
 * The boot trace's storage (`boot_trace`): events are queued and written in batches after the reply,
 * bounded per MAC and in total, and read back per MAC. The table has no index by MAC (see migration
 * 0006), so which stored ids are whose is kept here.
 */
import type { BootTraceEvent, DropReason, StoredTraceEvent, TraceAnswer } from '../domain/boot-trace.ts';
import { type Mac, parseMac } from '../domain/values.ts';
import type { Logger } from '../logging.ts';
import { type DhcpStatements, RELEASE_SAVEPOINT, ROLLBACK_TO_SAVEPOINT, SAVEPOINT, traceParams } from './dhcp-sql.ts';
import type { BatchExec, Store } from './store.ts';

export interface BootTraceLogOptions {
  readonly log: Logger;
  /** Newest events kept per MAC (default 200) and in total (default 100,000). */
  readonly tracePerMac?: number;
  readonly traceTotal?: number;
  /** Trace events are written in one transaction when this many wait (default 32), or after `traceFlushMs` (100). */
  readonly traceBatch?: number;
  readonly traceFlushMs?: number;
}

/** The lease commits the queued events ride along with (lease-writes.ts). */
export interface TraceRide {
  /** Whether a commit is scheduled: it takes the queued events. */
  isScheduled(): boolean;
  /** The commit running (it may hold events taken earlier). */
  readonly writing: Promise<void>;
}

const MAX_PENDING_TRACES = 10_000;

export class BootTraceLog {
  private pendingTraces: BootTraceEvent[] = [];
  /**
   * The ids of each MAC's stored trace events, oldest first (ids below the total cut may linger until the
   * MAC is next written). The table has no index by MAC, so per-MAC retention is decided here.
   */
  private readonly traceIdsByMac = new Map<Mac, number[]>();
  /** Every id at or below this is deleted by the total retention. */
  private traceCut = 0;
  /** The size of `traceIdsByMac` at which MACs with no live ids are dropped next. */
  private traceSweepAt: number;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private ride: TraceRide | null = null;
  private readonly tracePerMac: number;
  private readonly traceTotal: number;
  private readonly traceBatch: number;
  private readonly traceFlushMs: number;

  private readonly store: Store;
  private readonly statements: DhcpStatements;
  private readonly o: BootTraceLogOptions;

  private constructor(store: Store, statements: DhcpStatements, o: BootTraceLogOptions) {
    this.store = store;
    this.statements = statements;
    this.o = o;
    this.tracePerMac = o.tracePerMac ?? 200;
    this.traceTotal = o.traceTotal ?? 100_000;
    this.traceSweepAt = this.traceTotal / 4;
    // a batch is one transaction that blocks the event loop while it runs: 256 rows took 2–7 ms under
    // DHCP load, 32 well under 1 ms (more commits, but each appends a page or two to the WAL)
    this.traceBatch = o.traceBatch ?? 32;
    this.traceFlushMs = o.traceFlushMs ?? 100;
  }

  /** Reads which stored events are whose: one scan of at most `traceTotal` rows. */
  static async open(store: Store, statements: DhcpStatements, o: BootTraceLogOptions): Promise<BootTraceLog> {
    const t = new BootTraceLog(store, statements, o);
    const rows = await store.builder.selectFrom('boot_trace').select(['id', 'mac_address']).orderBy('id').execute();
    for (const r of rows) t.traceIdsOf(r.mac_address as Mac).push(Number(r.id));
    return t;
  }

  /** The lease commits that take queued events along (one commit instead of two). */
  rideWith(ride: TraceRide): void {
    this.ride = ride;
  }

  /** Queues the event; it is written with the next batch (a slow disk does not slow boots). */
  record(event: BootTraceEvent): void {
    if (this.pendingTraces.length >= MAX_PENDING_TRACES) {
      this.o.log.warn({ mac: event.mac, xid: event.xid }, 'boot trace queue full; event not recorded');
      return;
    }
    this.pendingTraces.push(event);
    if (this.pendingTraces.length >= this.traceBatch) {
      // a lease commit due within its interval takes the batch along
      if (!this.ride?.isScheduled()) void this.flush();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), this.traceFlushMs);
      this.flushTimer.unref();
    }
  }

  /** Writes queued trace events; resolves when every event queued before the call is stored. */
  flush(): Promise<void> {
    const batch = this.take();
    const leaseWrite = this.ride?.writing; // may hold events taken earlier
    this.flushing = this.flushing
      .then(() => leaseWrite)
      .then(() => (batch.length > 0 ? this.store.batch((exec) => this.writeIn(exec, batch)) : undefined))
      .catch((err: unknown) => this.o.log.warn({ err, events: batch.length }, 'boot trace not recorded'));
    return this.flushing;
  }

  /**
   * Writes the queued events inside another batch of `exec` (a lease commit), behind a savepoint that
   * keeps a failed trace write from failing the batch; returns how many it took.
   */
  writeAlong(exec: BatchExec): number {
    const traces = this.take();
    if (traces.length === 0) return 0;
    exec(SAVEPOINT);
    try {
      this.writeIn(exec, traces);
    } catch (err) {
      exec(ROLLBACK_TO_SAVEPOINT);
      this.o.log.warn({ err, events: traces.length }, 'boot trace not recorded');
    }
    exec(RELEASE_SAVEPOINT);
    return traces.length;
  }

  /**
   * The boot trace of a MAC, oldest first (queued events included), read by the ids kept for it: a few
   * primary-key lookups instead of a scan of the table (7 ms at 100,000 rows, on the event loop every
   * DHCP packet shares).
   */
  async traceOf(mac: Mac, limit = this.tracePerMac): Promise<StoredTraceEvent[]> {
    await this.flush();
    const ids = (this.traceIdsByMac.get(mac) ?? []).filter((id) => id > this.traceCut);
    return readBootTrace(this.store, mac, limit, ids);
  }

  /** The queued trace events, now no longer queued. */
  private take(): BootTraceEvent[] {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const batch = this.pendingTraces;
    this.pendingTraces = [];
    return batch;
  }

  private traceIdsOf(mac: Mac): number[] {
    let ids = this.traceIdsByMac.get(mac);
    if (!ids) {
      ids = [];
      this.traceIdsByMac.set(mac, ids);
    }
    return ids;
  }

  /** Writes trace events and applies retention, inside the batch of `exec`. */
  private writeIn(exec: BatchExec, batch: readonly BootTraceEvent[]): void {
    // the table only grows at its end (no index by MAC: a commit writes a few new pages, not one page
    // per MAC), and each MAC's ids are kept here
    const stored = this.statements.insertTraces.write(exec, batch.map(traceParams));
    const byId = stored.map((r) => ({ id: Number(r.id), mac: r.mac_address as Mac })).sort((a, b) => a.id - b.id);
    const touched = new Set<Mac>();
    for (const r of byId) {
      this.traceIdsOf(r.mac).push(r.id);
      touched.add(r.mac);
    }
    // retention in total: ids only grow, so everything older than the newest `traceTotal` ids goes
    const newest = byId.at(-1)?.id;
    if (newest !== undefined && newest - this.traceTotal > this.traceCut) {
      this.traceCut = newest - this.traceTotal;
      this.statements.deleteTracesUpTo.write(exec, [[this.traceCut]]);
    }
    // retention per MAC: a MAC is cut back to its newest `tracePerMac` once a quarter more piled up
    const slack = Math.max(1, Math.floor(this.tracePerMac / 4));
    const cut: unknown[][] = [];
    for (const mac of touched) {
      const ids = this.traceIdsOf(mac);
      const gone = ids.findIndex((id) => id > this.traceCut);
      if (gone !== 0) ids.splice(0, gone === -1 ? ids.length : gone);
      if (ids.length >= this.tracePerMac + slack)
        for (const id of ids.splice(0, ids.length - this.tracePerMac)) cut.push([id]);
    }
    this.statements.deleteTraces.write(exec, cut);
    // MACs not seen for long keep ids the total cut removed: dropped when the map doubled since the last sweep
    if (this.traceIdsByMac.size > this.traceSweepAt) {
      for (const [mac, ids] of this.traceIdsByMac)
        if ((ids.at(-1) ?? 0) <= this.traceCut) this.traceIdsByMac.delete(mac);
      this.traceSweepAt = Math.max(this.traceTotal / 4, 2 * this.traceIdsByMac.size);
    }
  }
}

/** Ids at most passed to one `readBootTrace` (each is a statement parameter); more and it scans. */
const MAX_TRACE_IDS = 2_000;

/**
 * The newest `limit` boot-trace events of a MAC, oldest first. `ids`, when known, holds every id the
 * MAC's events may have (a superset: the MAC is checked too): they are looked up by primary key. Without
 * them the table is scanned: it has no index by MAC (see migration 0006).
 */
export async function readBootTrace(
  store: Store,
  mac: Mac,
  limit: number,
  ids?: readonly number[],
): Promise<StoredTraceEvent[]> {
  if (ids?.length === 0) return [];
  let query = store.builder.selectFrom('boot_trace').selectAll().where('mac_address', '=', mac);
  if (ids !== undefined && ids.length <= MAX_TRACE_IDS) query = query.where('id', 'in', ids);
  const rows = await query.orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse().map((r) => ({
    id: Number(r.id),
    atMs: Number(r.at_ms),
    networkId: r.network_id,
    mac: parseMac(r.mac_address),
    xid: Number(r.xid),
    messageType: r.message_type,
    arch: r.arch,
    userClass: r.user_class,
    vendorClass: r.vendor_class,
    answer: r.answer as TraceAnswer,
    dropReason: r.drop_reason as DropReason | null,
    address: r.ip_address,
    bootfile: r.bootfile,
    relay: r.relay,
    relayAgentInfo: r.relay_agent_info,
    detail: r.detail,
  }));
}
