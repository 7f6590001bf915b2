/**
 * DhcpState kept in memory: networks given by the caller (config-only mode, tests), dynamic leases in a
 * map, and a bounded boot trace per MAC. Leases do not survive a restart; the store-backed state does.
 */

import type { BootTraceEvent } from '../domain/boot-trace.ts';
import type { Mac } from '../domain/values.ts';
import { LeaseTable } from './lease-table.ts';
import { type Lease, type LeaseDecision, type NetworkView, subnetFor } from './model.ts';
import type { DhcpState, ListenerKey } from './server.ts';

/** A network without its leases: the state owns those. */
export type NetworkConfig = Omit<NetworkView, 'leases'>;

export class MemoryDhcpState implements DhcpState {
  private readonly networks = new Map<string, NetworkConfig>();
  private readonly leases = new Map<string, LeaseTable>();
  private readonly traces = new Map<Mac, BootTraceEvent[]>();

  private readonly tracePerMac: number;
  private readonly traceMacs: number;

  /** Keeps the last `tracePerMac` events of the last `traceMacs` MACs seen (spoofed MACs cannot fill memory). */
  constructor(tracePerMac = 100, traceMacs = 10_000) {
    this.tracePerMac = tracePerMac;
    this.traceMacs = traceMacs;
  }

  /** Adds or replaces a network; its leases are kept. */
  putNetwork(network: NetworkConfig): void {
    this.networks.set(network.networkId, network);
  }

  removeNetwork(networkId: string): void {
    this.networks.delete(networkId);
    this.leases.delete(networkId);
  }

  view(listener: ListenerKey, giaddr: string): NetworkView | undefined {
    const network =
      listener.kind === 'attached'
        ? this.networks.get(listener.networkId)
        : [...this.networks.values()].find((n) => subnetFor(n.subnets, giaddr) !== undefined);
    if (!network) return undefined;
    return { ...network, leases: this.tableOf(network.networkId) };
  }

  /** Nothing to wait for: these leases live only in memory. */
  persistLease(decision: LeaseDecision): undefined {
    this.tableOf(decision.networkId).apply(decision);
    return undefined;
  }

  private tableOf(networkId: string): LeaseTable {
    let table = this.leases.get(networkId);
    if (!table) {
      table = new LeaseTable();
      this.leases.set(networkId, table);
    }
    return table;
  }

  recordTrace(event: BootTraceEvent): void {
    const list = this.traces.get(event.mac) ?? [];
    list.push(event);
    if (list.length > this.tracePerMac) list.splice(0, list.length - this.tracePerMac);
    this.traces.delete(event.mac); // re-insert: the map's order is least recently seen first
    this.traces.set(event.mac, list);
    for (const mac of this.traces.keys()) {
      if (this.traces.size <= this.traceMacs) break;
      this.traces.delete(mac);
    }
  }

  /** Current leases of a network (for `bmnet` status output and tests). */
  leasesOf(networkId: string): readonly Lease[] {
    return [...(this.leases.get(networkId)?.values() ?? [])];
  }

  /** The boot trace of a MAC, oldest first. */
  traceOf(mac: Mac): readonly BootTraceEvent[] {
    return this.traces.get(mac) ?? [];
  }
}
