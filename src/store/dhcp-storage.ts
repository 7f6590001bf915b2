/** The store side of the DHCP state: lease loads and writes and the boot trace, over one set of compiled statements. */
import { BootTraceLog, type BootTraceLogOptions } from './boot-trace.ts';
import { compileDhcpStatements, type LeaseRow, selectLeases } from './dhcp-sql.ts';
import { type LeaseTables, LeaseWrites } from './lease-writes.ts';
import type { Store } from './store.ts';

export interface DhcpStorage {
  readonly trace: BootTraceLog;
  /** The stored leases of a network. */
  loadLeases(networkId: string): Promise<LeaseRow[]>;
  /** The group-committed writer of the changes `tables` make. */
  leaseWriter(tables: LeaseTables): LeaseWrites;
}

export async function openDhcpStorage(store: Store, o: BootTraceLogOptions): Promise<DhcpStorage> {
  const statements = compileDhcpStatements(store.builder);
  const trace = await BootTraceLog.open(store, statements, o);
  return {
    trace,
    loadLeases: (networkId) => selectLeases(store.builder, networkId),
    leaseWriter: (tables) => new LeaseWrites(store, statements, trace, tables, o.log),
  };
}
