/** IPv4/IPv6 addresses and CIDRs as bigints, for allocation arithmetic. Pure. */
import { InvalidCIDR, InvalidInput } from './errors.ts';

export type IpVersion = 4 | 6;

export interface Cidr {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
  /** Canonical text, e.g. `10.0.0.0/24`. */
  readonly text: string;
}

const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function ipVersionOf(s: string): IpVersion | null {
  if (V4_RE.test(s)) return 4;
  return parseV6(s) === null ? null : 6;
}

function parseV6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  let head = s;
  let tailV4: bigint | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = s.slice(lastColon + 1);
    if (!V4_RE.test(v4)) return null;
    tailV4 = v4ToBig(v4);
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const parts = head.split('::');
  if (parts.length > 2) return null;
  const left = parts[0] ? parts[0].split(':') : [];
  const right = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  const groups = left.length + right.length;
  if (parts.length === 1 && groups !== 8) return null;
  if (parts.length === 2 && groups > 7) return null;
  const all = [...left, ...Array(8 - groups).fill('0'), ...right];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tailV4 !== null) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

function v4ToBig(s: string): bigint {
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

/** Parses an address; throws InvalidInput naming it. */
export function parseIp(s: string): { version: IpVersion; value: bigint } {
  if (V4_RE.test(s)) return { version: 4, value: v4ToBig(s) };
  const v6 = parseV6(s);
  if (v6 === null) throw new InvalidInput(`'${s}' is not a valid IP address`);
  return { version: 6, value: v6 };
}

export function formatIp(version: IpVersion, v: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical form of an address (lower case, compressed v6). */
export function normalizeIp(s: string): string {
  const { version, value } = parseIp(s);
  return formatIp(version, value);
}

export function bits(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

/** Parses `a.b.c.d/n`; host bits must be zero (Neutron refuses them too). */
export function parseCidr(s: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m?.[1] || !m[2]) throw new InvalidCIDR(s);
  let ip: { version: IpVersion; value: bigint };
  try {
    ip = parseIp(m[1]);
  } catch {
    throw new InvalidCIDR(s);
  }
  const prefix = Number(m[2]);
  const width = bits(ip.version);
  if (prefix > width) throw new InvalidCIDR(s);
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  const network = ip.value & ~hostMask;
  return { version: ip.version, network, prefix, text: `${formatIp(ip.version, network)}/${prefix}` };
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(bits(c.version) - c.prefix);
}

export function cidrLast(c: Cidr): bigint {
  return c.network + cidrSize(c) - 1n;
}

export function cidrContains(c: Cidr, version: IpVersion, v: bigint): boolean {
  return version === c.version && v >= c.network && v <= cidrLast(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= cidrLast(b) && b.network <= cidrLast(a);
}

/** Dotted netmask of an IPv4 prefix. */
export function netmask(prefix: number): string {
  return formatIp(4, ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n));
}

/** Fixed-width hex of an address, so text order is numeric order (portable index key). */
export function ipSortKey(version: IpVersion, v: bigint): string {
  return v.toString(16).padStart(version === 4 ? 8 : 32, '0');
}
