/**
 * Group-committed writes of the dynamic leases (`dhcp_leases`): changed addresses are collected and
 * written together in one transaction, each as the network's lease table has it then; the boot trace
 * waiting meanwhile rides along in the same commit.
 */
import type { Logger } from '../logging.ts';
import type { BootTraceLog, TraceRide } from './boot-trace.ts';
import { type DhcpStatements, type LeaseRow, leaseParams } from './dhcp-sql.ts';
import type { Store } from './store.ts';

/** The in-memory lease tables whose changes are written (the DHCP state's). */
export interface LeaseTables {
  /** The network's current table; undefined when it is not loaded (the network went away). */
  leaseTableOf(networkId: string): { at(ip: string): LeaseRow | undefined } | undefined;
  /** Forgets the network's table after a failed write: it is reloaded from what is durable. */
  dropLeaseTable(networkId: string): void;
}

/**
 * Lease commits start at least this far apart: under load a commit takes the leases of every packet of
 * the interval (a commit costs ~1 ms of page writes whatever it holds), when idle it starts at once.
 */
const LEASE_COMMIT_INTERVAL_MS = 2;

interface LeaseWaiter {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class LeaseWrites implements TraceRide {
  /** Changed addresses per network not yet written, and the packets waiting for that write. */
  private dirtyLeases = new Map<string, Set<string>>();
  private leaseWaiters: LeaseWaiter[] = [];
  /** The scheduled lease commit (a timer or an immediate), and the one running. */
  private leaseWriteScheduled: { readonly cancel: () => void } | null = null;
  private leaseWriting: Promise<void> = Promise.resolve();
  private lastLeaseWriteMs = 0;

  private readonly store: Store;
  private readonly statements: DhcpStatements;
  private readonly trace: BootTraceLog;
  private readonly tables: LeaseTables;
  private readonly log: Logger;

  constructor(store: Store, statements: DhcpStatements, trace: BootTraceLog, tables: LeaseTables, log: Logger) {
    this.store = store;
    this.statements = statements;
    this.trace = trace;
    this.tables = tables;
    this.log = log;
    trace.rideWith(this);
  }

  get writing(): Promise<void> {
    return this.leaseWriting;
  }

  isScheduled(): boolean {
    return this.leaseWriteScheduled !== null;
  }

  /**
   * Marks the addresses of the network to be written with the next commit; when `isDurable`, the
   * promise resolves once that commit is done (and rejects when it failed), else undefined.
   */
  queue(networkId: string, ips: readonly string[], isDurable: boolean): Promise<void> | undefined {
    let dirty = this.dirtyLeases.get(networkId);
    if (!dirty) {
      dirty = new Set();
      this.dirtyLeases.set(networkId, dirty);
    }
    for (const ip of ips) dirty.add(ip);
    if (!this.leaseWriteScheduled) {
      // at most one commit per interval under load (each writes every page it touched); at once when idle
      const wait = this.lastLeaseWriteMs + LEASE_COMMIT_INTERVAL_MS - performance.now();
      if (wait <= 0) {
        const immediate = setImmediate(() => this.startLeaseWrite());
        this.leaseWriteScheduled = { cancel: () => clearImmediate(immediate) };
      } else {
        const timer = setTimeout(() => this.startLeaseWrite(), wait);
        this.leaseWriteScheduled = { cancel: () => clearTimeout(timer) };
      }
    }
    if (!isDurable) return undefined;
    return new Promise<void>((resolve, reject) => this.leaseWaiters.push({ resolve, reject }));
  }

  /** Waits for the running commit and writes what is still queued (e.g. an offer's replaced lease). */
  async close(): Promise<void> {
    await this.leaseWriting;
    if (this.leaseWriteScheduled) await this.startLeaseWrite();
  }

  private startLeaseWrite(): Promise<void> {
    this.leaseWriteScheduled?.cancel();
    this.leaseWriteScheduled = null;
    this.leaseWriting = this.writeLeases();
    return this.leaseWriting;
  }

  private async writeLeases(): Promise<void> {
    this.lastLeaseWriteMs = performance.now();
    const dirty = this.dirtyLeases;
    const waiters = this.leaseWaiters;
    this.dirtyLeases = new Map();
    this.leaseWaiters = [];
    let traces = 0;
    try {
      await this.store.batch((exec) => {
        for (const [networkId, ips] of dirty) {
          const table = this.tables.leaseTableOf(networkId);
          if (!table) continue; // the network went away meanwhile
          const rows: unknown[][] = [];
          for (const ip of ips) {
            const l = table.at(ip);
            if (l) rows.push(leaseParams(networkId, l));
            else this.statements.deleteLease.write(exec, [[networkId, ip]]);
          }
          this.statements.upsertLeases.write(exec, rows);
        }
        // the boot trace waiting meanwhile rides along: one commit instead of two (each costs ~70 µs of
        // WAL writes)
        traces = this.trace.writeAlong(exec);
      });
    } catch (err) {
      for (const networkId of dirty.keys()) this.tables.dropLeaseTable(networkId); // reloaded from what is durable
      for (const w of waiters) w.reject(err);
      if (traces > 0) this.log.warn({ err, events: traces }, 'boot trace not recorded');
      return;
    }
    for (const w of waiters) w.resolve();
  }
}
