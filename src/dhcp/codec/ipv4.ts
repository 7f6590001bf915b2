/** Dotted-quad IPv4 addresses as they appear in DHCP headers and options (4 bytes, network order). */

export const ZERO_ADDRESS = '0.0.0.0';
export const LIMITED_BROADCAST = '255.255.255.255';

/**
 * A dotted quad as an unsigned 32-bit number, or null when `s` is not one (four decimal octets 0-255,
 * no leading zeros, nothing else). By hand rather than a regex and split: every packet asks this a few times.
 */
export function parseIpv4(s: string): number | null {
  if (s.length < 7 || s.length > 15) return null;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots += 1;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null; // a leading zero
      octet = octet * 10 + (c - 48);
      digits += 1;
      if (octet > 255) return null;
    } else return null;
  }
  if (digits === 0 || dots !== 3) return null;
  return n * 256 + octet;
}

export function isIpv4(s: string): boolean {
  return parseIpv4(s) !== null;
}

/** The address as an unsigned 32-bit number; the caller passes a checked dotted quad (else 0). */
export function ipv4ToNumber(s: string): number {
  return parseIpv4(s) ?? 0;
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
  const n = parseIpv4(address);
  return n !== null && (n & prefixMask(c.prefix)) >>> 0 === c.network;
}
