/**
 * One TFTP read transfer as a state machine without sockets or clock: events in (a packet from the
 * client, a timer that fired, each with the current time), actions out (send bytes, arm the timer,
 * done, failed). `server.ts` owns the socket and the timer and carries the actions out.
 */
import { InvalidInput } from '../../domain/errors.ts';
import {
  ErrorCode,
  encodeAck,
  encodeDataHeader,
  encodeError,
  encodeOack,
  Limits,
  OptionName,
  type TftpOption,
  type TftpPacket,
} from './codec.ts';

export interface SessionLimits {
  /** Largest `blksize` granted (RFC 2348); 1468 fills a 1500-byte MTU (1500 − 20 IP − 8 UDP − 4 TFTP). */
  readonly maxBlockSize: number;
  /** Largest `windowsize` granted (RFC 7440). */
  readonly maxWindowSize: number;
  /** First retransmission timeout when the client sends no `timeout` option. */
  readonly timeoutMs: number;
  /** Back-off doubles the timeout per retry up to this (or the client's own timeout when larger). */
  readonly maxTimeoutMs: number;
  /** Retransmissions of one window before the transfer fails. */
  readonly maxRetries: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxBlockSize: 1468,
  maxWindowSize: 64,
  timeoutMs: 1000,
  maxTimeoutMs: 8000,
  maxRetries: 5,
};

const LIMIT_RANGES: Readonly<Record<keyof SessionLimits, readonly [number, number]>> = {
  maxBlockSize: [Limits.minBlockSize, Limits.maxBlockSize],
  maxWindowSize: [Limits.minWindowSize, Limits.maxWindowSize],
  timeoutMs: [1, Limits.maxTimeoutSeconds * 1000],
  maxTimeoutMs: [1, 3_600_000],
  maxRetries: [0, 100],
};

/** The defaults with `overrides` applied; each value must be an integer in its range. */
export function parseSessionLimits(overrides: Partial<SessionLimits> = {}): SessionLimits {
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...overrides };
  for (const [key, [min, max]] of Object.entries(LIMIT_RANGES)) {
    const value = limits[key as keyof SessionLimits];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidInput(`TFTP ${key} ${value} is outside ${min}-${max}`);
    }
  }
  return limits;
}

export interface Negotiated {
  readonly blockSize: number;
  readonly windowSize: number;
  readonly timeoutMs: number;
  /** Options to acknowledge; empty means no OACK and DATA 1 (or ACK 0 for a write) is the first reply. */
  readonly acknowledged: readonly TftpOption[];
  /** The size a writing client announced with `tsize` (RFC 2349), when it did. */
  readonly announcedSize: number | null;
}

function parseDecimal(value: string): number | null {
  if (!/^\d{1,10}$/.test(value)) return null;
  return Number(value);
}

/**
 * RFC 2347 negotiation: each option the server understands is answered with the value it will use;
 * unknown or invalid options are left out of the OACK (which the RFC allows). The first occurrence of a
 * repeated option counts. `transferSize` is the file's size for a read, `'announced'` for a write.
 */
export function negotiateOptions(
  options: readonly TftpOption[],
  limits: SessionLimits,
  transferSize: number | 'announced',
): Negotiated {
  let announcedSize: number | null = null;
  let blockSize: number = Limits.defaultBlockSize;
  let windowSize = 1;
  let timeoutMs = limits.timeoutMs;
  const acknowledged: TftpOption[] = [];
  const seen = new Set<string>();
  for (const option of options) {
    const name = option.name.toLowerCase();
    if (seen.has(name)) continue;
    seen.add(name);
    const n = parseDecimal(option.value);
    if (n === null) continue;
    switch (name) {
      case OptionName.BlockSize: // RFC 2348: 8..65464; the server may answer with a smaller value
        if (n < Limits.minBlockSize || n > Limits.maxBlockSize) continue;
        blockSize = Math.min(n, limits.maxBlockSize);
        acknowledged.push({ name: option.name, value: String(blockSize) });
        break;
      case OptionName.TransferSize: // RFC 2349: a reader sends 0 and gets the size; a writer sends the size
        if (transferSize === 'announced') announcedSize = n;
        acknowledged.push({ name: option.name, value: String(transferSize === 'announced' ? n : transferSize) });
        break;
      case OptionName.Timeout: // RFC 2349: 1..255 seconds, accepted as is or not at all
        if (n < Limits.minTimeoutSeconds || n > Limits.maxTimeoutSeconds) continue;
        timeoutMs = n * 1000;
        acknowledged.push({ name: option.name, value: String(n) });
        break;
      case OptionName.WindowSize: // RFC 7440: 1..65535; the server may answer with a smaller value
        if (n < Limits.minWindowSize || n > Limits.maxWindowSize) continue;
        windowSize = Math.min(n, limits.maxWindowSize);
        acknowledged.push({ name: option.name, value: String(windowSize) });
        break;
      default:
        break;
    }
  }
  return { blockSize, windowSize, timeoutMs, acknowledged, announcedSize };
}

export type SessionEvent =
  | { readonly kind: 'packet'; readonly packet: TftpPacket; readonly nowMs: number }
  | { readonly kind: 'timer'; readonly nowMs: number };

export type FailureReason =
  | { readonly kind: 'timeout'; readonly retries: number }
  | { readonly kind: 'client-error'; readonly code: number; readonly message: string }
  | { readonly kind: 'protocol-violation'; readonly detail: string }
  | { readonly kind: 'too-large'; readonly maxBytes: number };

export type SessionAction =
  | { readonly kind: 'send'; readonly bytes: readonly Uint8Array[] }
  | { readonly kind: 'arm-timer'; readonly atMs: number }
  | { readonly kind: 'done'; readonly bytes: number; readonly durationMs: number }
  | {
      readonly kind: 'failed';
      readonly reason: FailureReason;
      /** Bytes the client acknowledged before the failure. */
      readonly bytes: number;
      readonly durationMs: number;
    };

type Phase = 'oack' | 'data' | 'finished';

const NO_ACTIONS: readonly SessionAction[] = [];

/** A read transfer of `content` (already converted to netascii when that mode was asked for). */
export class ReadSession implements TransferSession {
  readonly blockSize: number;
  readonly windowSize: number;
  private readonly baseTimeoutMs: number;
  private readonly maxTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly oack: Uint8Array | null;
  /** Number of blocks; the last one is shorter than blockSize (possibly empty), which ends the transfer. */
  private readonly totalBlocks: number;
  private phase: Phase;
  /** Highest block (absolute, not wrapped) the client acknowledged. */
  private acked = 0;
  /** Highest block (absolute) sent so far. */
  private sentUpTo = 0;
  private retries = 0;
  private deadlineMs = 0;
  private startedMs = 0;

  private readonly content: Uint8Array;

  constructor(content: Uint8Array, negotiated: Negotiated, limits: SessionLimits) {
    this.content = content;
    this.blockSize = negotiated.blockSize;
    this.windowSize = negotiated.windowSize;
    this.baseTimeoutMs = negotiated.timeoutMs;
    this.maxTimeoutMs = Math.max(limits.maxTimeoutMs, negotiated.timeoutMs);
    this.maxRetries = limits.maxRetries;
    this.oack = negotiated.acknowledged.length > 0 ? encodeOack(negotiated.acknowledged) : null;
    this.totalBlocks = Math.floor(content.length / this.blockSize) + 1;
    this.phase = this.oack === null ? 'data' : 'oack';
  }

  /** Bytes the client has acknowledged. */
  get bytesAcknowledged(): number {
    return Math.min(this.acked * this.blockSize, this.content.length);
  }

  elapsedMs(nowMs: number): number {
    return nowMs - this.startedMs;
  }

  get isFinished(): boolean {
    return this.phase === 'finished';
  }

  /** The first reply: the OACK, or the first window of data when no option was acknowledged. */
  start(nowMs: number): readonly SessionAction[] {
    this.startedMs = nowMs;
    return this.transmit(nowMs);
  }

  handle(event: SessionEvent): readonly SessionAction[] {
    if (this.phase === 'finished') return NO_ACTIONS;
    if (event.kind === 'timer') return this.onTimer(event.nowMs);
    const p = event.packet;
    switch (p.kind) {
      case 'ack':
        return this.onAck(p.block, event.nowMs);
      case 'error': // RFC 2347: error 8 after an OACK ends the transfer (EDK2 probes tsize this way)
        return this.finish({ kind: 'client-error', code: p.code, message: p.message }, event.nowMs);
      case 'rrq':
      case 'wrq':
      case 'data':
      case 'oack':
        return this.violation(`unexpected ${p.kind.toUpperCase()} during a read`, event.nowMs);
    }
  }

  private onAck(block: number, nowMs: number): readonly SessionAction[] {
    if (this.phase === 'oack') {
      // RFC 2347: the client confirms the OACK with ACK 0; anything else is stale or stray.
      if (block !== 0) return NO_ACTIONS;
      this.phase = 'data';
      this.retries = 0;
      return this.transmit(nowMs);
    }
    // Map the 16-bit block number onto the blocks in flight (acked..sentUpTo); numbers roll over to 0.
    const n = this.acked + ((block - this.acked) & Limits.maxBlockNumber);
    // A duplicate ACK of an already acknowledged block is never answered: answering it is what doubles
    // every later block (Sorcerer's Apprentice, RFC 1123 §4.2.3.1). Retransmission is the timer's job.
    if (n === this.acked || n > this.sentUpTo) return NO_ACTIONS;
    this.acked = n;
    this.retries = 0;
    if (n === this.totalBlocks) return this.finish(null, nowMs);
    // RFC 7440 §4: an ACK inside the window means the blocks after it were lost; send on from there.
    return this.transmit(nowMs);
  }

  private onTimer(nowMs: number): readonly SessionAction[] {
    // A timer that fires early (clocks differ in rounding) is armed again for the same deadline.
    if (nowMs < this.deadlineMs) return [{ kind: 'arm-timer', atMs: this.deadlineMs }];
    if (this.retries >= this.maxRetries) return this.finish({ kind: 'timeout', retries: this.retries }, nowMs);
    this.retries++;
    return this.transmit(nowMs);
  }

  /** Sends the OACK or the window after the last acknowledged block, and arms the timer. */
  private transmit(nowMs: number): SessionAction[] {
    const actions: SessionAction[] = [];
    if (this.phase === 'oack' && this.oack !== null) {
      actions.push({ kind: 'send', bytes: [this.oack] });
    } else {
      const last = Math.min(this.acked + this.windowSize, this.totalBlocks);
      for (let n = this.acked + 1; n <= last; n++) {
        const offset = (n - 1) * this.blockSize;
        const data = this.content.subarray(offset, Math.min(offset + this.blockSize, this.content.length));
        actions.push({ kind: 'send', bytes: [encodeDataHeader(n), data] });
      }
      this.sentUpTo = Math.max(this.sentUpTo, last);
    }
    const delay = Math.min(this.baseTimeoutMs * 2 ** this.retries, this.maxTimeoutMs);
    this.deadlineMs = nowMs + delay;
    actions.push({ kind: 'arm-timer', atMs: this.deadlineMs });
    return actions;
  }

  /** RFC 1350 §7: an illegal packet ends the transfer with error 4. */
  private violation(detail: string, nowMs: number): readonly SessionAction[] {
    return [
      { kind: 'send', bytes: [encodeError(ErrorCode.IllegalOperation, detail)] },
      ...this.finish({ kind: 'protocol-violation', detail }, nowMs),
    ];
  }

  private finish(reason: FailureReason | null, nowMs: number): readonly SessionAction[] {
    this.phase = 'finished';
    const durationMs = nowMs - this.startedMs;
    const bytes = this.bytesAcknowledged;
    if (reason === null) return [{ kind: 'done', bytes, durationMs }];
    return [{ kind: 'failed', reason, bytes, durationMs }];
  }
}

/** What the server needs of a transfer in either direction. */
export interface TransferSession {
  readonly blockSize: number;
  readonly windowSize: number;
  /** Bytes acknowledged: sent and confirmed for a read, received in order for a write. */
  readonly bytesAcknowledged: number;
  elapsedMs(nowMs: number): number;
  start(nowMs: number): readonly SessionAction[];
  handle(event: SessionEvent): readonly SessionAction[];
}

/**
 * A write transfer (RFC 1350 WRQ): ACK 0 or the OACK first, then an ACK per window of DATA (RFC 7440),
 * the last ACK for the short block that ends it. Out-of-order or repeated DATA is answered with an ACK of
 * the last block received in order, so the sender resends from there. `data()` is the file once done.
 */
export class WriteSession implements TransferSession {
  readonly blockSize: number;
  readonly windowSize: number;
  private readonly baseTimeoutMs: number;
  private readonly maxTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly oack: Uint8Array | null;
  private readonly chunks: Uint8Array[] = [];
  private isFinishedFlag = false;
  /** Blocks received in order (absolute, not wrapped). */
  private received = 0;
  /** The last block acknowledged to the sender. */
  private ackedUpTo = 0;
  private bytes = 0;
  private retries = 0;
  private deadlineMs = 0;
  private startedMs = 0;

  private readonly maxBytes: number;

  constructor(negotiated: Negotiated, limits: SessionLimits, maxBytes: number) {
    this.maxBytes = maxBytes;
    this.blockSize = negotiated.blockSize;
    this.windowSize = negotiated.windowSize;
    this.baseTimeoutMs = negotiated.timeoutMs;
    this.maxTimeoutMs = Math.max(limits.maxTimeoutMs, negotiated.timeoutMs);
    this.maxRetries = limits.maxRetries;
    this.oack = negotiated.acknowledged.length > 0 ? encodeOack(negotiated.acknowledged) : null;
  }

  get bytesAcknowledged(): number {
    return this.bytes;
  }

  get isFinished(): boolean {
    return this.isFinishedFlag;
  }

  elapsedMs(nowMs: number): number {
    return nowMs - this.startedMs;
  }

  /** The received file. */
  data(): Buffer {
    return Buffer.concat(this.chunks);
  }

  start(nowMs: number): readonly SessionAction[] {
    this.startedMs = nowMs;
    return [this.confirmation(), this.armTimer(nowMs)];
  }

  handle(event: SessionEvent): readonly SessionAction[] {
    if (this.isFinishedFlag) return NO_ACTIONS;
    if (event.kind === 'timer') {
      if (event.nowMs < this.deadlineMs) return [{ kind: 'arm-timer', atMs: this.deadlineMs }];
      if (this.retries >= this.maxRetries) return this.finish({ kind: 'timeout', retries: this.retries }, event.nowMs);
      this.retries++;
      return [this.confirmation(), this.armTimer(event.nowMs)];
    }
    const p = event.packet;
    switch (p.kind) {
      case 'data':
        return this.onData(p.block, p.data, event.nowMs);
      case 'error':
        return this.finish({ kind: 'client-error', code: p.code, message: p.message }, event.nowMs);
      case 'rrq':
      case 'wrq':
      case 'ack':
      case 'oack':
        return this.fail(
          ErrorCode.IllegalOperation,
          { kind: 'protocol-violation', detail: `unexpected ${p.kind.toUpperCase()} during a write` },
          event.nowMs,
        );
    }
  }

  private onData(block: number, data: Uint8Array, nowMs: number): readonly SessionAction[] {
    const n = this.received + ((block - this.received) & Limits.maxBlockNumber);
    // RFC 7440 §4: anything but the next block (a repeat, or a gap) is answered with the last good block.
    if (n !== this.received + 1) return [{ kind: 'send', bytes: [encodeAck(this.received)] }];
    if (data.length > this.blockSize) {
      const detail = `DATA ${block} carries ${data.length} bytes, more than blksize ${this.blockSize}`;
      return this.fail(ErrorCode.IllegalOperation, { kind: 'protocol-violation', detail }, nowMs);
    }
    if (this.bytes + data.length > this.maxBytes) {
      return this.fail(ErrorCode.DiskFull, { kind: 'too-large', maxBytes: this.maxBytes }, nowMs);
    }
    this.chunks.push(data);
    this.bytes += data.length;
    this.received = n;
    this.retries = 0;
    if (data.length < this.blockSize) {
      this.isFinishedFlag = true;
      return [
        { kind: 'send', bytes: [encodeAck(n)] },
        { kind: 'done', bytes: this.bytes, durationMs: nowMs - this.startedMs },
      ];
    }
    if (n - this.ackedUpTo < this.windowSize) return [this.armTimer(nowMs)];
    this.ackedUpTo = n;
    return [{ kind: 'send', bytes: [encodeAck(n)] }, this.armTimer(nowMs)];
  }

  /** The OACK until the first DATA arrived, then the ACK of the last block received in order. */
  private confirmation(): SessionAction {
    if (this.received === 0 && this.oack !== null) return { kind: 'send', bytes: [this.oack] };
    this.ackedUpTo = this.received;
    return { kind: 'send', bytes: [encodeAck(this.received)] };
  }

  private armTimer(nowMs: number): SessionAction {
    this.deadlineMs = nowMs + Math.min(this.baseTimeoutMs * 2 ** this.retries, this.maxTimeoutMs);
    return { kind: 'arm-timer', atMs: this.deadlineMs };
  }

  private fail(code: ErrorCode, reason: FailureReason, nowMs: number): readonly SessionAction[] {
    const message = reason.kind === 'too-large' ? `File is larger than ${reason.maxBytes} bytes` : 'Illegal operation';
    return [{ kind: 'send', bytes: [encodeError(code, message)] }, ...this.finish(reason, nowMs)];
  }

  private finish(reason: FailureReason, nowMs: number): readonly SessionAction[] {
    this.isFinishedFlag = true;
    return [{ kind: 'failed', reason, bytes: this.bytes, durationMs: nowMs - this.startedMs }];
  }
}
