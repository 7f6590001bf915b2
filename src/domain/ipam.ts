/** Subnet address rules: default and validated allocation pools, gateway, and free-address choice. Pure. */
import {
  GatewayConflictWithAllocationPools,
  InvalidAllocationPool,
  InvalidInput,
  InvalidIpForSubnet,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
} from './errors.ts';
import { type Cidr, cidrContains, cidrLast, formatIp, parseIp } from './ip.ts';
import type { AllocationPool } from './model.ts';

export interface PoolRange {
  readonly first: bigint;
  readonly last: bigint;
}

/** The usable host range of a subnet: v4 excludes network and broadcast; v6 excludes the subnet-router anycast. */
function hostRange(c: Cidr): PoolRange | null {
  const first = c.network + 1n;
  const last = c.version === 4 ? cidrLast(c) - 1n : cidrLast(c);
  return first <= last ? { first, last } : null;
}

/** First host address: the default gateway (Neutron's default). */
export function defaultGateway(c: Cidr): string | null {
  const r = hostRange(c);
  return r ? formatIp(c.version, r.first) : null;
}

/** The whole host range minus the gateway. */
export function defaultAllocationPools(c: Cidr, gatewayIp: string | null): AllocationPool[] {
  const r = hostRange(c);
  if (!r) return [];
  const ranges: PoolRange[] = [];
  const gw = gatewayIp === null ? null : parseIp(gatewayIp).value;
  if (gw !== null && gw >= r.first && gw <= r.last) {
    if (gw > r.first) ranges.push({ first: r.first, last: gw - 1n });
    if (gw < r.last) ranges.push({ first: gw + 1n, last: r.last });
  } else {
    ranges.push(r);
  }
  return ranges.map((p) => ({ start: formatIp(c.version, p.first), end: formatIp(c.version, p.last) }));
}

export function validateGateway(c: Cidr, gatewayIp: string): string {
  const ip = parseIp(gatewayIp);
  if (ip.version !== c.version)
    throw new InvalidInput(`gateway_ip ${gatewayIp} does not match IP version ${c.version}`);
  if (!cidrContains(c, ip.version, ip.value)) throw new InvalidIpForSubnet(gatewayIp);
  return formatIp(ip.version, ip.value);
}

/** Validates pools against the subnet and each other; returns them normalised and as ranges. */
export function validateAllocationPools(
  c: Cidr,
  gatewayIp: string | null,
  pools: readonly AllocationPool[],
): AllocationPool[] {
  const ranges: { pool: AllocationPool; range: PoolRange }[] = [];
  for (const pool of pools) {
    const label = `${pool.start}-${pool.end}`;
    let start: { version: 4 | 6; value: bigint };
    let end: { version: 4 | 6; value: bigint };
    try {
      start = parseIp(pool.start);
      end = parseIp(pool.end);
    } catch {
      throw new InvalidAllocationPool(label);
    }
    if (start.version !== c.version || end.version !== c.version || start.value > end.value) {
      throw new InvalidAllocationPool(label);
    }
    if (!cidrContains(c, start.version, start.value) || !cidrContains(c, end.version, end.value)) {
      throw new OutOfBoundsAllocationPool(label, c.text);
    }
    if (c.version === 4 && (start.value === c.network || end.value === cidrLast(c))) {
      throw new OutOfBoundsAllocationPool(label, c.text);
    }
    ranges.push({
      pool: { start: formatIp(c.version, start.value), end: formatIp(c.version, end.value) },
      range: { first: start.value, last: end.value },
    });
  }
  const sorted = [...ranges].sort((a, b) => (a.range.first < b.range.first ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev && cur && cur.range.first <= prev.range.last) {
      throw new OverlappingAllocationPools(
        `${prev.pool.start}-${prev.pool.end}`,
        `${cur.pool.start}-${cur.pool.end}`,
        c.text,
      );
    }
  }
  if (gatewayIp !== null) {
    const gw = parseIp(gatewayIp).value;
    for (const { pool, range } of ranges) {
      if (gw >= range.first && gw <= range.last)
        throw new GatewayConflictWithAllocationPools(`${pool.start}-${pool.end}`, gatewayIp);
    }
  }
  return ranges.map((r) => r.pool);
}

export function poolRanges(pools: readonly AllocationPool[]): PoolRange[] {
  return pools.map((p) => ({ first: parseIp(p.start).value, last: parseIp(p.end).value }));
}

/** Whether an address lies in any pool. */
export function inPools(ranges: readonly PoolRange[], v: bigint): boolean {
  return ranges.some((r) => v >= r.first && v <= r.last);
}

/**
 * The lowest address in the pools that is not in `allocated` (ascending, may hold addresses outside
 * the pools), or null when the pools are full.
 */
export function lowestFree(ranges: readonly PoolRange[], allocated: readonly bigint[]): bigint | null {
  const sortedRanges = [...ranges].sort((a, b) => (a.first < b.first ? -1 : 1));
  let i = 0;
  for (const r of sortedRanges) {
    let candidate = r.first;
    while (i < allocated.length && (allocated[i] ?? 0n) < candidate) i++;
    while (candidate <= r.last) {
      const a = allocated[i];
      if (a === undefined || a > candidate) return candidate;
      candidate = a + 1n;
      i++;
    }
  }
  return null;
}
