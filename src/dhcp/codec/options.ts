/**
 * Typed reading and writing of the option values the server uses. A getter tells "absent" from
 * "malformed" so the pipeline can drop and count the second (docs/conventions.md).
 */
import { ipv4FromBytes, ipv4ToBytes } from './ipv4.ts';
import { type MessageTypeCode, Opt } from './option-codes.ts';
import type { DhcpPacket } from './packet.ts';

export type OptionRead<T> =
  | { readonly kind: 'absent' }
  | { readonly kind: 'malformed'; readonly code: number }
  | { readonly kind: 'present'; readonly value: T };

const ABSENT = { kind: 'absent' } as const;

function read<T>(p: DhcpPacket, code: number, parse: (b: Buffer) => T | undefined): OptionRead<T> {
  const data = p.options.get(code);
  if (data === undefined) return ABSENT;
  const value = parse(data);
  return value === undefined ? { kind: 'malformed', code } : { kind: 'present', value };
}

/** The value when present and well-formed, else undefined (for callers that treat both alike). */
export function presentValue<T>(r: OptionRead<T>): T | undefined {
  return r.kind === 'present' ? r.value : undefined;
}

const oneAddress = (b: Buffer) => (b.length === 4 ? ipv4FromBytes(b) : undefined);
const u32 = (b: Buffer) => (b.length === 4 ? b.readUInt32BE(0) : undefined);
const text = (b: Buffer) => (b.length > 0 ? b.toString('latin1') : undefined);

/** 53 (RFC 2132 §9.6). */
export function getMessageType(p: DhcpPacket): OptionRead<MessageTypeCode> {
  return read(p, Opt.MessageType, (b) =>
    b.length === 1 && (b[0] ?? 0) >= 1 && (b[0] ?? 0) <= 8 ? ((b[0] ?? 0) as MessageTypeCode) : undefined,
  );
}

/** 50 (RFC 2132 §9.1). */
export function getRequestedIp(p: DhcpPacket): OptionRead<string> {
  return read(p, Opt.RequestedIp, oneAddress);
}

/** 51 (RFC 2132 §9.2). */
export function getLeaseSeconds(p: DhcpPacket): OptionRead<number> {
  return read(p, Opt.LeaseTime, u32);
}

/** 54 (RFC 2132 §9.7). */
export function getServerId(p: DhcpPacket): OptionRead<string> {
  return read(p, Opt.ServerId, oneAddress);
}

/** 55 (RFC 2132 §9.8). A 0 in the list (EDK2 HTTP boot sends one) is kept, not an error. */
export function getParameterRequestList(p: DhcpPacket): OptionRead<readonly number[]> {
  return read(p, Opt.ParameterRequestList, (b) => (b.length > 0 ? [...b] : undefined));
}

/** 57 (RFC 2132 §9.10): at least 576. */
export function getMaxMessageSize(p: DhcpPacket): OptionRead<number> {
  return read(p, Opt.MaxMessageSize, (b) =>
    b.length === 2 && b.readUInt16BE(0) >= 576 ? b.readUInt16BE(0) : undefined,
  );
}

/** 60 (RFC 2132 §9.13), e.g. `PXEClient:Arch:00007:UNDI:003010`. */
export function getVendorClass(p: DhcpPacket): OptionRead<string> {
  return read(p, Opt.VendorClass, text);
}

/** 61 (RFC 2132 §9.14): type byte and at least one byte of identifier. */
export function getClientId(p: DhcpPacket): OptionRead<Buffer> {
  return read(p, Opt.ClientId, (b) => (b.length >= 2 ? b : undefined));
}

/**
 * 77: RFC 3004 §4 (each class length-prefixed) or iPXE's raw form (the bytes `iPXE`, no length).
 * A value that is not a whole RFC 3004 list is read as one raw class.
 */
export function getUserClasses(p: DhcpPacket): OptionRead<readonly string[]> {
  return read(p, Opt.UserClass, (b) => {
    if (b.length === 0) return undefined;
    const classes: string[] = [];
    let i = 0;
    while (i < b.length) {
      const len = b[i] ?? 0;
      if (len === 0 || i + 1 + len > b.length) return [b.toString('latin1')];
      classes.push(b.toString('latin1', i + 1, i + 1 + len));
      i += 1 + len;
    }
    return classes;
  });
}

export interface SubOption {
  readonly code: number;
  readonly data: Buffer;
}

/** Code/length/value sub-options (RFC 3046 §2.0 for 82; the same layout for 43 and 175). */
export function parseSubOptions(b: Buffer): readonly SubOption[] | undefined {
  const subs: SubOption[] = [];
  let i = 0;
  while (i < b.length) {
    const code = b[i] ?? 0;
    const len = b[i + 1];
    if (len === undefined || i + 2 + len > b.length) return undefined;
    subs.push({ code, data: b.subarray(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return subs;
}

/** 82 (RFC 3046): sub-options kept raw; the server echoes the option byte for byte. */
export function getRelayAgentInfo(p: DhcpPacket): OptionRead<readonly SubOption[]> {
  return read(p, Opt.RelayAgentInfo, (b) => (b.length > 0 ? parseSubOptions(b) : undefined));
}

/** 93 (RFC 4578 §2.1): one or more 16-bit architecture types (0 BIOS, 7/9 EFI x64, 16 EFI x64 HTTP…). */
export function getClientArch(p: DhcpPacket): OptionRead<readonly number[]> {
  return read(p, Opt.ClientArch, (b) => {
    if (b.length === 0 || b.length % 2 !== 0) return undefined;
    return Array.from({ length: b.length / 2 }, (_, i) => b.readUInt16BE(2 * i));
  });
}

export interface ClientNdi {
  readonly type: number;
  readonly major: number;
  readonly minor: number;
}

/** 94 (RFC 4578 §2.2): type 1 = UNDI, then major and minor version. */
export function getClientNdi(p: DhcpPacket): OptionRead<ClientNdi> {
  return read(p, Opt.ClientNdi, (b) =>
    b.length === 3 ? { type: b[0] ?? 0, major: b[1] ?? 0, minor: b[2] ?? 0 } : undefined,
  );
}

/**
 * 97 (RFC 4578 §2.3): type 0 and a 16-byte machine UUID. Firmware sends it in GUID byte order (the
 * first three fields little-endian, as SMBIOS stores it); returned in the canonical text form.
 */
export function getClientUuid(p: DhcpPacket): OptionRead<string> {
  return read(p, Opt.ClientUuid, (b) => {
    if (b.length !== 17 || b[0] !== 0) return undefined;
    const g = b.subarray(1);
    const le = (from: number, n: number) =>
      Buffer.from(g.subarray(from, from + n))
        .reverse()
        .toString('hex');
    const be = (from: number, n: number) => g.subarray(from, from + n).toString('hex');
    return `${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${be(8, 2)}-${be(10, 6)}`;
  });
}

/** 175: iPXE's encapsulated options (ipxe.org/cfg), sub-option code → value. */
export function getIpxeOptions(p: DhcpPacket): OptionRead<ReadonlyMap<number, Buffer>> {
  return read(p, Opt.Ipxe, (b) => {
    const subs = parseSubOptions(b);
    return subs === undefined ? undefined : new Map(subs.map((s) => [s.code, s.data]));
  });
}

// --- writing ---

export function addressesValue(addresses: readonly string[]): Buffer {
  return Buffer.concat(addresses.map(ipv4ToBytes));
}

export function u32Value(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function u16Value(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function textValue(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

export function subOptionsValue(subs: readonly SubOption[]): Buffer {
  return Buffer.concat(subs.map((s) => Buffer.concat([Buffer.from([s.code, s.data.length]), s.data])));
}

export interface ClasslessRoute {
  /** `a.b.c.d/n` */
  readonly destination: string;
  readonly nexthop: string;
}

/** 121 (RFC 3442 §3): prefix length, significant octets of the destination, router. */
export function classlessRoutesValue(routes: readonly ClasslessRoute[]): Buffer {
  return Buffer.concat(
    routes.map((r) => {
      const [dest = '0.0.0.0', lenText = '0'] = r.destination.split('/');
      const len = Number(lenText);
      const significant = ipv4ToBytes(dest).subarray(0, Math.ceil(len / 8));
      return Buffer.concat([Buffer.from([len]), significant, ipv4ToBytes(r.nexthop)]);
    }),
  );
}
