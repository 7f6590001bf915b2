/** Tenant VLAN allocation from a physnet's ranges. Pure. */
import { InvalidInput, NoNetworkAvailable } from './errors.ts';
import { parseVlan, type Vlan } from './values.ts';

export interface VlanRange {
  readonly first: Vlan;
  readonly last: Vlan;
}

/** Parses `1000:1999` (Neutron's network_vlan_ranges form) or `1000-1999`. */
export function parseVlanRange(s: string): VlanRange {
  const m = /^(\d{1,4})[:-](\d{1,4})$/.exec(s.trim());
  if (!m?.[1] || !m[2]) throw new InvalidInput(`VLAN range '${s}' is not of the form FIRST:LAST`);
  const first = parseVlan(Number(m[1]));
  const last = parseVlan(Number(m[2]));
  if (first > last) throw new InvalidInput(`VLAN range '${s}' ends before it starts`);
  return { first, last };
}

/** The lowest VLAN of the ranges not in `used`; NoNetworkAvailable when all are taken. */
export function allocateVlan(ranges: readonly VlanRange[], used: ReadonlySet<number>): Vlan {
  for (const r of ranges) {
    for (let v = r.first; v <= r.last; v++) if (!used.has(v)) return v as Vlan;
  }
  throw new NoNetworkAvailable();
}

export function inVlanRanges(ranges: readonly VlanRange[], vlan: number): boolean {
  return ranges.some((r) => vlan >= r.first && vlan <= r.last);
}
