/** Dotted-quad IPv4 addresses as they appear in DHCP headers and options (4 bytes, network order). */

const DOTTED = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const ZERO_ADDRESS = '0.0.0.0';
export const LIMITED_BROADCAST = '255.255.255.255';

export function isIpv4(s: string): boolean {
  return DOTTED.test(s);
}

/** The address as an unsigned 32-bit number; the caller passes a checked dotted quad. */
export function ipv4ToNumber(s: string): number {
  return s.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function ipv4FromNumber(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export function ipv4FromBytes(b: Uint8Array, offset = 0): string {
  return `${b[offset] ?? 0}.${b[offset + 1] ?? 0}.${b[offset + 2] ?? 0}.${b[offset + 3] ?? 0}`;
}

export function ipv4ToBytes(s: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(ipv4ToNumber(s) >>> 0);
  return b;
}

/** Parsed `a.b.c.d/n` for membership tests. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
}

export function parseIpv4Cidr(s: string): Ipv4Cidr | null {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m?.[1] || !m[2] || !isIpv4(m[1])) return null;
  const prefix = Number(m[2]);
  if (prefix > 32) return null;
  return { network: (ipv4ToNumber(m[1]) & prefixMask(prefix)) >>> 0, prefix };
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function cidrHas(c: Ipv4Cidr, address: string): boolean {
  return isIpv4(address) && (ipv4ToNumber(address) & prefixMask(c.prefix)) >>> 0 === c.network;
}
