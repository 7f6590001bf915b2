/**
 * DHCPv4 message codec (RFC 2131 §2, RFC 2132, RFC 3396). Bytes in, typed packet out, and back.
 * No socket, no policy: the pipeline decides what a packet means.
 */
import { ipv4FromBytes, ipv4ToNumber } from './ipv4.ts';
import { MAGIC_COOKIE, Opt, Overload } from './option-codes.ts';

/** A decoded message. `options` holds every option once, its instances concatenated (RFC 3396 §7). */
export interface DhcpPacket {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** All 16 bytes of the field; the hardware address is the first `hlen`. */
  readonly chaddr: Buffer;
  /** Server host name field, up to its first NUL; empty when the field carries options (overload). */
  readonly sname: string;
  /** Boot file field, up to its first NUL; empty when the field carries options (overload). */
  readonly file: string;
  /** Option code → value, in order of first appearance; Pad, End and Overload (52) are framing, not kept. */
  readonly options: ReadonlyMap<number, Buffer>;
}

/** Why bytes are not a DHCP message; servers count these. */
export type DecodeFailure =
  | 'truncated' // shorter than the fixed header and magic cookie
  | 'bad-op' // op is neither BOOTREQUEST nor BOOTREPLY
  | 'bad-hlen' // hardware address longer than chaddr
  | 'bad-cookie' // no RFC 2131 §3 magic cookie
  | 'option-overrun' // an option's length runs past the end of its field
  | 'bad-overload' // option 52 with a length other than 1 or a value other than 1-3
  | 'overload-loop'; // option 52 inside sname/file (RFC 2132 §9.3 allows it only in the options field)

export type DecodeResult =
  | { readonly ok: true; readonly packet: DhcpPacket }
  | { readonly ok: false; readonly reason: DecodeFailure };

export type EncodeFailure = 'too-large';
export type EncodeResult =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: EncodeFailure };

const SNAME = { offset: 44, length: 64 } as const;
const FILE = { offset: 108, length: 128 } as const;
const COOKIE_OFFSET = 236;
const OPTIONS_OFFSET = 240;
/** RFC 1542 §2.1: a BOOTP message is at least 300 bytes; relays and old ROMs may drop shorter ones. */
export const MIN_MESSAGE_BYTES = 300;

/** Option values by code; a code seen again is joined to its earlier parts in order (RFC 3396 §5). */
type Chunks = Map<number, Buffer>;

/** Walks one options area; fills `chunks`; returns the overload value seen (0 when none) or a failure. */
function readArea(
  buf: Buffer,
  start: number,
  end: number,
  chunks: Chunks,
  allowOverload: boolean,
): number | DecodeFailure {
  let overload = 0;
  let i = start;
  while (i < end) {
    const code = buf[i] ?? Opt.End;
    if (code === Opt.End) break;
    if (code === Opt.Pad) {
      i += 1;
      continue;
    }
    if (i + 1 >= end) return 'option-overrun';
    const len = buf[i + 1] ?? 0;
    if (i + 2 + len > end) return 'option-overrun';
    const data = buf.subarray(i + 2, i + 2 + len);
    if (code === Opt.Overload) {
      if (!allowOverload) return 'overload-loop';
      if (len !== 1 || overload !== 0) return 'bad-overload';
      overload = data[0] ?? 0;
      if (overload !== Overload.File && overload !== Overload.Sname && overload !== Overload.Both)
        return 'bad-overload';
    } else {
      const before = chunks.get(code);
      chunks.set(code, before ? Buffer.concat([before, data]) : data);
    }
    i += 2 + len;
  }
  return overload;
}

function fieldText(buf: Buffer, field: { offset: number; length: number }): string {
  const raw = buf.subarray(field.offset, field.offset + field.length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? raw.length : nul).toString('latin1');
}

export function decodePacket(buf: Buffer): DecodeResult {
  if (buf.length < OPTIONS_OFFSET) return { ok: false, reason: 'truncated' };
  const op = buf.readUInt8(0);
  if (op !== 1 && op !== 2) return { ok: false, reason: 'bad-op' };
  const hlen = buf.readUInt8(2);
  if (hlen > 16) return { ok: false, reason: 'bad-hlen' };
  if (buf.readUInt32BE(COOKIE_OFFSET) !== MAGIC_COOKIE) return { ok: false, reason: 'bad-cookie' };

  const chunks: Chunks = new Map();
  const overload = readArea(buf, OPTIONS_OFFSET, buf.length, chunks, true);
  if (typeof overload === 'string') return { ok: false, reason: overload };
  // RFC 3396 §5: the options field, then `file`, then `sname`
  if (overload & Overload.File) {
    const r = readArea(buf, FILE.offset, FILE.offset + FILE.length, chunks, false);
    if (typeof r === 'string') return { ok: false, reason: r };
  }
  if (overload & Overload.Sname) {
    const r = readArea(buf, SNAME.offset, SNAME.offset + SNAME.length, chunks, false);
    if (typeof r === 'string') return { ok: false, reason: r };
  }
  const options: ReadonlyMap<number, Buffer> = chunks;

  return {
    ok: true,
    packet: {
      op,
      htype: buf.readUInt8(1),
      hlen,
      hops: buf.readUInt8(3),
      xid: buf.readUInt32BE(4),
      secs: buf.readUInt16BE(8),
      flags: buf.readUInt16BE(10),
      ciaddr: ipv4FromBytes(buf, 12),
      yiaddr: ipv4FromBytes(buf, 16),
      siaddr: ipv4FromBytes(buf, 20),
      giaddr: ipv4FromBytes(buf, 24),
      chaddr: Buffer.from(buf.subarray(28, 44)),
      sname: overload & Overload.Sname ? '' : fieldText(buf, SNAME),
      file: overload & Overload.File ? '' : fieldText(buf, FILE),
      options,
    },
  };
}

/** Space left in one options area while encoding. */
interface Area {
  readonly buf: Buffer;
  pos: number;
  /** Exclusive; one byte before the field's end stays free for End. */
  readonly limit: number;
}

/** Writes as much of `data` as fits (at least one byte, or the whole empty option); returns bytes written. */
function place(area: Area, code: number, data: Buffer, from: number): number {
  const room = area.limit - area.pos - 2;
  const left = data.length - from;
  if (room < 0 || (room === 0 && left > 0)) return -1;
  const n = Math.min(left, room, 255);
  area.buf[area.pos] = code;
  area.buf[area.pos + 1] = n;
  data.copy(area.buf, area.pos + 2, from, from + n);
  area.pos += 2 + n;
  return n;
}

/**
 * Encodes a packet into at most `maxBytes` bytes (the UDP payload limit), padded to 300. Options longer
 * than 255 bytes are split (RFC 3396 §6); when the options field is full, the empty `file` and then
 * `sname` fields carry the rest (option 52, RFC 2132 §9.3).
 */
export function encodePacket(p: DhcpPacket, maxBytes: number): EncodeResult {
  let optionBytes = 0;
  for (const data of p.options.values()) optionBytes += 2 * Math.max(1, Math.ceil(data.length / 255)) + data.length;
  const fitsPlain = OPTIONS_OFFSET + optionBytes + 1 <= maxBytes;
  const size = Math.max(
    MIN_MESSAGE_BYTES,
    fitsPlain ? OPTIONS_OFFSET + optionBytes + 1 : Math.max(OPTIONS_OFFSET + 4, maxBytes),
  );
  // from Node's buffer pool (a fresh zeroed ArrayBuffer per reply costs more than the rest of encoding)
  const buf = Buffer.allocUnsafe(size).fill(0);
  buf.writeUInt8(p.op, 0);
  buf.writeUInt8(p.htype, 1);
  buf.writeUInt8(p.hlen, 2);
  buf.writeUInt8(p.hops, 3);
  buf.writeUInt32BE(p.xid >>> 0, 4);
  buf.writeUInt16BE(p.secs, 8);
  buf.writeUInt16BE(p.flags, 10);
  buf.writeUInt32BE(ipv4ToNumber(p.ciaddr) >>> 0, 12);
  buf.writeUInt32BE(ipv4ToNumber(p.yiaddr) >>> 0, 16);
  buf.writeUInt32BE(ipv4ToNumber(p.siaddr) >>> 0, 20);
  buf.writeUInt32BE(ipv4ToNumber(p.giaddr) >>> 0, 24);
  p.chaddr.copy(buf, 28, 0, 16);
  buf.write(p.sname, SNAME.offset, SNAME.length, 'latin1');
  buf.write(p.file, FILE.offset, FILE.length, 'latin1');
  buf.writeUInt32BE(MAGIC_COOKIE, COOKIE_OFFSET);

  const main: Area = { buf, pos: OPTIONS_OFFSET, limit: size - 1 };
  const areas: Area[] = [main];
  if (!fitsPlain) {
    main.pos += 3; // room for option 52, written once we know which fields were used
    if (p.file === '') areas.push({ buf, pos: FILE.offset, limit: FILE.offset + FILE.length - 1 });
    if (p.sname === '') areas.push({ buf, pos: SNAME.offset, limit: SNAME.offset + SNAME.length - 1 });
  }
  let a = 0;
  for (const [code, data] of p.options) {
    let from = 0;
    for (;;) {
      const area = areas[a];
      if (!area) return { ok: false, reason: 'too-large' };
      const n = place(area, code, data, from);
      if (n < 0) {
        a += 1;
        continue;
      }
      from += n;
      if (from >= data.length) break;
    }
  }
  for (const area of areas) buf[area.pos] = Opt.End;
  if (!fitsPlain) {
    let overload = 0;
    for (const area of areas.slice(1)) {
      if (area.pos === FILE.offset || area.pos === SNAME.offset) continue; // unused: stays a plain empty field
      overload |= area.limit === FILE.offset + FILE.length - 1 ? Overload.File : Overload.Sname;
    }
    if (overload === 0) {
      // everything fitted after all; drop the reserved 52 slot by padding it
      buf.fill(Opt.Pad, OPTIONS_OFFSET, OPTIONS_OFFSET + 3);
    } else buf.set([Opt.Overload, 1, overload], OPTIONS_OFFSET);
    for (const area of areas.slice(1)) if (area.pos === FILE.offset || area.pos === SNAME.offset) buf[area.pos] = 0;
  }
  return { ok: true, bytes: buf.subarray(0, Math.max(MIN_MESSAGE_BYTES, main.pos + 1)) };
}
