/**
 * TFTP packets: decode and encode only (no socket, no state). RFC 1350 (the protocol), RFC 2347 (option
 * extension, OACK), RFC 2348 (blksize), RFC 2349 (timeout, tsize), RFC 7440 (windowsize).
 */

/** RFC 1350 §5 opcodes; OACK from RFC 2347. */
export const Opcode = { Rrq: 1, Wrq: 2, Data: 3, Ack: 4, Error: 5, Oack: 6 } as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RFC 1350 appendix "Error Codes"; 8 from RFC 2347 (option negotiation refused / transfer aborted). */
export const ErrorCode = {
  NotDefined: 0,
  FileNotFound: 1,
  AccessViolation: 2,
  DiskFull: 3,
  IllegalOperation: 4,
  UnknownTransferId: 5,
  FileExists: 6,
  NoSuchUser: 7,
  OptionRefused: 8,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Option names (lower case; RFC 2347: names are case-insensitive) and their ranges. */
export const OptionName = {
  BlockSize: 'blksize', // RFC 2348
  Timeout: 'timeout', // RFC 2349
  TransferSize: 'tsize', // RFC 2349
  WindowSize: 'windowsize', // RFC 7440
} as const;

export const Limits = {
  defaultBlockSize: 512, // RFC 1350 §2
  minBlockSize: 8, // RFC 2348
  maxBlockSize: 65464, // RFC 2348
  minTimeoutSeconds: 1, // RFC 2349
  maxTimeoutSeconds: 255, // RFC 2349
  minWindowSize: 1, // RFC 7440
  maxWindowSize: 65535, // RFC 7440
  maxBlockNumber: 0xffff, // block numbers are 16 bits and roll over to 0
} as const;

/** RFC 1350 §5 transfer modes ("mail" is obsolete and refused by the server). */
export type TransferMode = 'netascii' | 'octet' | 'mail';

export interface TftpOption {
  readonly name: string;
  readonly value: string;
}

export type TftpPacket =
  | {
      readonly kind: 'rrq' | 'wrq';
      readonly filename: string;
      readonly mode: TransferMode;
      readonly options: readonly TftpOption[];
    }
  | { readonly kind: 'data'; readonly block: number; readonly data: Uint8Array }
  | { readonly kind: 'ack'; readonly block: number }
  | { readonly kind: 'error'; readonly code: number; readonly message: string }
  | { readonly kind: 'oack'; readonly options: readonly TftpOption[] };

export type DecodeFailure =
  | 'too-short'
  | 'unknown-opcode'
  | 'unterminated-string'
  | 'unknown-mode'
  | 'option-without-value'
  | 'empty-option-name';

export type DecodeResult =
  | { readonly ok: true; readonly packet: TftpPacket }
  | { readonly ok: false; readonly reason: DecodeFailure };

const MODES: Readonly<Record<string, TransferMode>> = { netascii: 'netascii', octet: 'octet', mail: 'mail' };

function fail(reason: DecodeFailure): DecodeResult {
  return { ok: false, reason };
}

/** Splits NUL-terminated strings from `from` to the end; null when the last one has no terminator. */
function readStrings(buf: Uint8Array, from: number): string[] | null {
  const out: string[] = [];
  let start = from;
  for (let i = from; i < buf.length; i++) {
    if (buf[i] === 0) {
      out.push(Buffer.from(buf.buffer, buf.byteOffset + start, i - start).toString('latin1'));
      start = i + 1;
    }
  }
  return start === buf.length ? out : null;
}

function decodeOptions(parts: readonly string[]): readonly TftpOption[] | DecodeFailure {
  if (parts.length % 2 !== 0) return 'option-without-value';
  const options: TftpOption[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i] ?? '';
    if (name === '') return 'empty-option-name';
    options.push({ name, value: parts[i + 1] ?? '' });
  }
  return options;
}

/** Decodes one datagram. Never throws: a malformed packet is a `reason` the server counts. */
export function decodePacket(buf: Uint8Array): DecodeResult {
  if (buf.length < 2) return fail('too-short');
  const opcode = ((buf[0] ?? 0) << 8) | (buf[1] ?? 0);
  switch (opcode) {
    case Opcode.Rrq:
    case Opcode.Wrq: {
      const parts = readStrings(buf, 2);
      if (parts === null) return fail('unterminated-string');
      const [filename, modeName, ...rest] = parts;
      if (filename === undefined || modeName === undefined) return fail('too-short');
      const mode = MODES[modeName.toLowerCase()];
      if (mode === undefined) return fail('unknown-mode');
      const options = decodeOptions(rest);
      if (typeof options === 'string') return fail(options);
      return { ok: true, packet: { kind: opcode === Opcode.Rrq ? 'rrq' : 'wrq', filename, mode, options } };
    }
    case Opcode.Data: {
      if (buf.length < 4) return fail('too-short');
      const block = ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
      return { ok: true, packet: { kind: 'data', block, data: buf.subarray(4) } };
    }
    case Opcode.Ack: {
      // Some firmware pads ACKs; the bytes after the block number carry nothing.
      if (buf.length < 4) return fail('too-short');
      return { ok: true, packet: { kind: 'ack', block: ((buf[2] ?? 0) << 8) | (buf[3] ?? 0) } };
    }
    case Opcode.Error: {
      if (buf.length < 4) return fail('too-short');
      const code = ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
      // RFC 1350 §5: ErrMsg is NUL-terminated; clients that omit the NUL still mean the rest as the message.
      let end = buf.indexOf(0, 4);
      if (end < 0) end = buf.length;
      const message = Buffer.from(buf.buffer, buf.byteOffset + 4, end - 4).toString('latin1');
      return { ok: true, packet: { kind: 'error', code, message } };
    }
    case Opcode.Oack: {
      const parts = readStrings(buf, 2);
      if (parts === null) return fail('unterminated-string');
      const options = decodeOptions(parts);
      if (typeof options === 'string') return fail(options);
      return { ok: true, packet: { kind: 'oack', options } };
    }
    default:
      return fail('unknown-opcode');
  }
}

function header(opcode: Opcode, word: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt16BE(opcode, 0);
  b.writeUInt16BE(word & 0xffff, 2);
  return b;
}

function strings(values: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const v of values) {
    out.push(Buffer.from(v, 'latin1'), Buffer.alloc(1));
  }
  return out;
}

function optionStrings(options: readonly TftpOption[]): string[] {
  return options.flatMap((o) => [o.name, o.value]);
}

/** The 4-byte DATA header; the server sends it with the payload as a second buffer (no copy). */
export function encodeDataHeader(block: number): Buffer {
  return header(Opcode.Data, block);
}

export function encodeAck(block: number): Buffer {
  return header(Opcode.Ack, block);
}

export function encodeError(code: number, message: string): Buffer {
  return Buffer.concat([header(Opcode.Error, code), ...strings([message])]);
}

export function encodeOack(options: readonly TftpOption[]): Buffer {
  const op = Buffer.allocUnsafe(2);
  op.writeUInt16BE(Opcode.Oack, 0);
  return Buffer.concat([op, ...strings(optionStrings(options))]);
}

export function encodePacket(p: TftpPacket): Buffer {
  switch (p.kind) {
    case 'rrq':
    case 'wrq': {
      const op = Buffer.allocUnsafe(2);
      op.writeUInt16BE(p.kind === 'rrq' ? Opcode.Rrq : Opcode.Wrq, 0);
      return Buffer.concat([op, ...strings([p.filename, p.mode, ...optionStrings(p.options)])]);
    }
    case 'data':
      return Buffer.concat([encodeDataHeader(p.block), p.data]);
    case 'ack':
      return encodeAck(p.block);
    case 'error':
      return encodeError(p.code, p.message);
    case 'oack':
      return encodeOack(p.options);
  }
}

/**
 * RFC 1350 §5 / RFC 764 netascii: a line end is CR LF and a bare CR is CR NUL. The server stores files
 * with Unix line ends, so LF becomes CR LF and CR becomes CR NUL.
 */
export function toNetascii(data: Uint8Array): Buffer {
  let extra = 0;
  for (const b of data) if (b === 0x0a || b === 0x0d) extra++;
  const out = Buffer.allocUnsafe(data.length + extra);
  let j = 0;
  for (const b of data) {
    if (b === 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else if (b === 0x0d) {
      out[j++] = 0x0d;
      out[j++] = 0x00;
    } else {
      out[j++] = b;
    }
  }
  return out;
}

/** The reverse of `toNetascii` for files written by clients: CR LF becomes LF, CR NUL becomes CR. */
export function fromNetascii(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  let j = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i] ?? 0;
    const next = data[i + 1];
    if (b === 0x0d && next === 0x0a) {
      out[j++] = 0x0a;
      i++;
    } else if (b === 0x0d && next === 0x00) {
      out[j++] = 0x0d;
      i++;
    } else {
      out[j++] = b;
    }
  }
  return out.subarray(0, j);
}
