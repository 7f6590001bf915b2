/**
 * The dynamic leases of one network, indexed for the per-packet questions of the pool step: the lease on
 * an address, the lease of a MAC, and the lowest address of a pool without a lease — each without
 * walking every lease (a DISCOVER must not cost O(leases): 10,000 clients made that the whole CPU).
 * In-memory data only; the DHCP states keep one table per network and make its changes durable.
 */
import type { Mac } from '../domain/values.ts';
import { ipv4FromNumber, ipv4ToNumber, isIpv4 } from './codec/ipv4.ts';
import type { AddressRange, Lease, LeaseDecision, LeaseIndex } from './model.ts';

export class LeaseTable implements LeaseIndex {
  private readonly byIp = new Map<string, Lease>();
  private readonly byMac = new Map<Mac, Lease>();
  /** Per range (`start-end`): every address from the range's start up to this number has a lease. */
  private readonly leasedUpTo = new Map<string, number>();

  static of(leases: Iterable<Lease>): LeaseTable {
    const t = new LeaseTable();
    for (const l of leases) t.put(l);
    return t;
  }

  get size(): number {
    return this.byIp.size;
  }

  at(ip: string): Lease | undefined {
    return this.byIp.get(ip);
  }

  ofMac(mac: Mac): Lease | undefined {
    return this.byMac.get(mac);
  }

  values(): IterableIterator<Lease> {
    return this.byIp.values();
  }

  firstUnleased(range: AddressRange, usable: (ip: string) => boolean): string | null {
    if (!isIpv4(range.start) || !isIpv4(range.end)) return null;
    const key = `${range.start}-${range.end}`;
    const start = ipv4ToNumber(range.start);
    const end = ipv4ToNumber(range.end);
    let contiguous = true;
    for (let n = Math.max(start, this.leasedUpTo.get(key) ?? start); n <= end; n++) {
      const ip = ipv4FromNumber(n);
      if (this.byIp.has(ip)) {
        if (contiguous) this.leasedUpTo.set(key, n + 1);
        continue;
      }
      contiguous = false; // an unusable address (reserved, the gateway) stops the mark: it may become usable
      if (usable(ip)) return ip;
    }
    return null;
  }

  /**
   * Applies a decision: `put` sets the lease and drops the MAC's other lease (one address per MAC; a
   * quarantined address stays), `remove` drops the lease when the MAC still holds it. Returns the
   * addresses whose lease changed.
   */
  apply(decision: LeaseDecision): string[] {
    if (decision.kind === 'remove') {
      const l = this.byIp.get(decision.ip);
      if (l?.mac !== decision.mac) return [];
      this.delete(l);
      return [l.ip];
    }
    const changed = [decision.lease.ip];
    const previous = this.byMac.get(decision.lease.mac);
    if (previous && previous.ip !== decision.lease.ip) {
      this.delete(previous);
      changed.push(previous.ip);
    }
    this.put(decision.lease);
    return changed;
  }

  private put(l: Lease): void {
    const old = this.byIp.get(l.ip);
    // a MAC renewing its own address keeps its map entry (set replaces in place): deleting and re-adding
    // the key left a deleted slot per renewal, and the maps were rebuilt every few thousand renewals
    if (old && old.mac !== l.mac && this.byMac.get(old.mac) === old) this.byMac.delete(old.mac);
    this.byIp.set(l.ip, l);
    if (l.state !== 'declined') this.byMac.set(l.mac, l);
    else if (old?.mac === l.mac && this.byMac.get(l.mac) === old) this.byMac.delete(l.mac);
  }

  private delete(l: Lease): void {
    this.byIp.delete(l.ip);
    if (this.byMac.get(l.mac) === l) this.byMac.delete(l.mac);
    const n = ipv4ToNumber(l.ip);
    for (const [key, upTo] of this.leasedUpTo) {
      const [start = '', end = ''] = key.split('-');
      if (n < upTo && n >= ipv4ToNumber(start) && n <= ipv4ToNumber(end)) this.leasedUpTo.set(key, n);
    }
  }
}
