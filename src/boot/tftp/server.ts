/**
 * The TFTP server's sockets: the listen socket takes requests; every read transfer gets its own
 * ephemeral socket (RFC 1350 §4: a new transfer id), connected to the client so the kernel drops
 * datagrams from anyone else. The protocol lives in `session.ts`; this file carries out its actions.
 */
import type dgram from 'node:dgram';
import { link, realpath, unlink, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../logging.ts';
import { decodePacket, ErrorCode, encodeError, fromNetascii, type TftpOption, type TransferMode } from './codec.ts';
import { FileCache } from './file-cache.ts';
import { findInRoot, findWriteTarget, normalizeRequestPath, REFUSAL_ERROR, type RequestPath } from './root.ts';
import {
  type FailureReason,
  negotiateOptions,
  parseSessionLimits,
  ReadSession,
  type SessionAction,
  type SessionLimits,
  type TransferSession,
  WriteSession,
} from './session.ts';
import { bindListenSocket, localTransferSockets, type TransferSockets } from './sockets.ts';

export interface TftpClient {
  readonly address: string;
  readonly port: number;
}

/** What the `resolve` hook decides for one request. */
export type ResolveResult =
  | { readonly kind: 'content'; readonly data: Uint8Array } // generated content, served from memory
  | { readonly kind: 'root' } // the file of that name under the root
  | { readonly kind: 'refuse'; readonly code: ErrorCode; readonly message: string };

/** Called for every read request with its normalized path (see root.ts) before the root is looked at. */
export type ResolveHook = (path: RequestPath, client: TftpClient) => ResolveResult | Promise<ResolveResult>;

export type TransferFailure =
  | FailureReason
  | { readonly kind: 'socket-error'; readonly message: string }
  | { readonly kind: 'write-error'; readonly message: string }
  | { readonly kind: 'shutdown' };

/** Boot-trace facts, as plain data. `file` is the name as the client sent it. */
export type TftpEvent =
  | {
      readonly kind: 'request';
      readonly client: TftpClient;
      readonly file: string;
      readonly mode: TransferMode;
      readonly options: readonly TftpOption[];
      readonly isWrite: boolean;
    }
  | {
      readonly kind: 'refused';
      readonly client: TftpClient;
      readonly file: string;
      readonly code: ErrorCode;
      readonly message: string;
    }
  | {
      readonly kind: 'completed';
      readonly client: TftpClient;
      readonly file: string;
      readonly isWrite: boolean;
      readonly bytes: number;
      readonly blockSize: number;
      readonly windowSize: number;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'failed';
      readonly client: TftpClient;
      readonly file: string;
      readonly isWrite: boolean;
      readonly bytes: number;
      readonly blockSize: number;
      readonly windowSize: number;
      readonly durationMs: number;
      readonly reason: TransferFailure;
    };

export interface TftpServerOptions {
  /**
   * Where requests arrive: an address and port to bind (69 in production, 0 picks a free one), or a socket
   * already bound (e.g. created in an attachment's namespace and handed over); the server owns it then.
   */
  readonly listen: { readonly host: string; readonly port: number } | { readonly socket: dgram.Socket };
  /** Sockets for transfers (default: new ones on the listen address, in this process's namespace). */
  readonly transferSockets?: TransferSockets;
  readonly root: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly limits?: Partial<SessionLimits>;
  /** Accept write requests (RFC 1350 WRQ) into the root; default false: refused with error 2. */
  readonly allowWrites?: boolean;
  /** Largest file a client may write (default 64 MiB); larger ones end with error 3. */
  readonly maxWriteBytes?: number;
  /** Transfers at once; a request beyond it is answered with error 0 (default 2000). */
  readonly maxTransfers?: number;
  /** Bytes of recently served files kept in memory (default 256 MiB). */
  readonly cacheBytes?: number;
  readonly resolve?: ResolveHook;
  readonly onEvent?: (event: TftpEvent) => void;
  /** Monotonic milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

export interface TftpServer {
  readonly address: { readonly address: string; readonly port: number };
  activeTransfers(): number;
  /** Stops listening and ends every transfer (reported as failed, reason `shutdown`). Idempotent. */
  close(): Promise<void>;
}

interface Transfer {
  readonly socket: dgram.Socket;
  readonly session: TransferSession;
  /** For a write: stores the received file; the transfer completes when it did. */
  readonly commit: (() => Promise<void>) | null;
  readonly client: TftpClient;
  readonly file: string;
  timer: NodeJS.Timeout | null;
  /** When the scheduled timer fires (in `now()` milliseconds). */
  timerAtMs: number;
  /** Removes this transfer's listeners from its socket. */
  detach: () => void;
}

const LISTEN_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function counters(registry: Registry) {
  // Several servers (one per boot network) may share a registry; they share the counters too.
  const existing = (name: string) => {
    const metric = registry.getSingleMetric(name);
    return metric instanceof Counter ? metric : undefined;
  };
  const dropped =
    existing('bmnet_tftp_dropped_packets_total') ??
    new Counter({
      name: 'bmnet_tftp_dropped_packets_total',
      help: 'TFTP datagrams dropped, by reason (malformed, unexpected opcode)',
      labelNames: ['reason'],
      registers: [registry],
    });
  const transfers =
    existing('bmnet_tftp_transfers_total') ??
    new Counter({
      name: 'bmnet_tftp_transfers_total',
      help: 'TFTP requests by outcome (completed, failed, refused)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  return { dropped, transfers };
}

export async function startTftpServer(options: TftpServerOptions): Promise<TftpServer> {
  const log = options.logger;
  const now = options.now ?? (() => performance.now());
  const limits = parseSessionLimits(options.limits);
  const maxTransfers = options.maxTransfers ?? 2000;
  const maxWriteBytes = options.maxWriteBytes ?? 64 * 1024 * 1024;
  const cache = new FileCache(options.cacheBytes ?? 256 * 1024 * 1024);
  const metrics = counters(options.registry);
  const realRoot = await realpath(options.root).catch((err: unknown) => {
    // The server owns a handed-over listen socket: a start that fails closes it, or it stays bound.
    if ('socket' in options.listen) options.listen.socket.close();
    throw err;
  });
  const transfers = new Map<string, Transfer>();
  /** Requests whose content is being looked up (keys as in `transfers`). */
  const starting = new Set<string>();
  let isClosed = false;
  let closing: Promise<void> | null = null;
  const emit = (event: TftpEvent) => {
    try {
      options.onEvent?.(event);
    } catch (err) {
      // A failing trace consumer must not stop transfers; the fact is logged instead.
      log.error({ err, event: event.kind }, 'tftp event consumer failed');
    }
  };

  const listen =
    'socket' in options.listen
      ? options.listen.socket
      : await bindListenSocket(options.listen.host, options.listen.port);
  const sockets = options.transferSockets ?? localTransferSockets(listen.address().address);
  listen.on('message', (msg, rinfo) => onRequest(msg, { address: rinfo.address, port: rinfo.port }));
  listen.on('error', (err) => log.error({ err }, 'tftp listen socket error'));

  // A rack booting at once sends hundreds of requests in a burst; the kernel caps this at net.core.rmem_max.
  listen.setRecvBufferSize(LISTEN_RECEIVE_BUFFER_BYTES);

  function refuse(client: TftpClient, file: string, code: ErrorCode, message: string): void {
    metrics.transfers.inc({ outcome: 'refused' });
    emit({ kind: 'refused', client, file, code, message });
    if (!isClosed) listen.send(encodeError(code, message), client.port, client.address);
  }

  function onRequest(msg: Buffer, client: TftpClient): void {
    const decoded = decodePacket(msg);
    if (!decoded.ok) {
      metrics.dropped.inc({ reason: decoded.reason });
      return;
    }
    const p = decoded.packet;
    if (p.kind !== 'rrq' && p.kind !== 'wrq') {
      metrics.dropped.inc({ reason: `unexpected-${p.kind}` });
      return;
    }
    const key = `${client.address}|${client.port}`;
    if (transfers.has(key) || starting.has(key)) return; // the client repeated its request
    emit({ kind: 'request', client, file: p.filename, mode: p.mode, options: p.options, isWrite: p.kind === 'wrq' });
    const refusal =
      p.kind === 'wrq' && options.allowWrites !== true
        ? { code: ErrorCode.AccessViolation, message: 'Writes are not allowed' }
        : p.mode === 'mail'
          ? { code: ErrorCode.IllegalOperation, message: 'Mail mode is not supported' }
          : transfers.size + starting.size >= maxTransfers
            ? { code: ErrorCode.NotDefined, message: 'Server busy' }
            : null;
    if (refusal !== null) {
      refuse(client, p.filename, refusal.code, refusal.message);
      return;
    }
    starting.add(key);
    const started =
      p.kind === 'wrq'
        ? startWrite(key, client, p.filename, p.mode, p.options)
        : startRead(key, client, p.filename, p.mode, p.options);
    started
      .catch((err: unknown) => {
        log.error({ err, client, file: p.filename }, 'tftp transfer could not start');
        refuse(client, p.filename, ErrorCode.NotDefined, 'Internal server error');
      })
      .finally(() => starting.delete(key));
  }

  async function contentFor(
    name: string,
    mode: TransferMode,
    client: TftpClient,
  ): Promise<{ ok: true; data: Uint8Array } | { ok: false; code: ErrorCode; message: string }> {
    const normalized = normalizeRequestPath(name);
    if (!normalized.ok) return { ok: false, ...REFUSAL_ERROR[normalized.reason] };
    const decided: ResolveResult = options.resolve ? await options.resolve(normalized.path, client) : { kind: 'root' };
    switch (decided.kind) {
      case 'content':
        return { ok: true, data: decided.data };
      case 'refuse':
        return { ok: false, code: decided.code, message: decided.message };
      case 'root': {
        const found = await findInRoot(realRoot, normalized.path);
        if (!found.ok) return { ok: false, ...REFUSAL_ERROR[found.reason] };
        return { ok: true, data: await cache.content(found.file, mode) };
      }
    }
  }

  async function startRead(
    key: string,
    client: TftpClient,
    file: string,
    mode: TransferMode,
    requested: readonly TftpOption[],
  ): Promise<void> {
    const content = await contentFor(file, mode, client);
    if (!content.ok) {
      refuse(client, file, content.code, content.message);
      return;
    }
    const negotiated = negotiateOptions(requested, limits, content.data.length);
    await startTransfer(key, client, file, new ReadSession(content.data, negotiated, limits), null);
  }

  async function startWrite(
    key: string,
    client: TftpClient,
    file: string,
    mode: TransferMode,
    requested: readonly TftpOption[],
  ): Promise<void> {
    const normalized = normalizeRequestPath(file);
    const found = normalized.ok ? await findWriteTarget(realRoot, normalized.path) : normalized;
    if (!found.ok) {
      refuse(client, file, REFUSAL_ERROR[found.reason].code, REFUSAL_ERROR[found.reason].message);
      return;
    }
    const negotiated = negotiateOptions(requested, limits, 'announced');
    if (negotiated.announcedSize !== null && negotiated.announcedSize > maxWriteBytes) {
      refuse(client, file, ErrorCode.DiskFull, `File is larger than ${maxWriteBytes} bytes`);
      return;
    }
    const session = new WriteSession(negotiated, limits, maxWriteBytes);
    const commit = async () => {
      const raw = session.data();
      // Written beside the target, then linked in: readers never see half a file, and a file that
      // appeared meanwhile is not replaced (link fails with EEXIST).
      const temp = `${found.target}.bmnet-${process.pid}-${key.replace(/[^0-9a-f]/gi, '')}.part`;
      await writeFile(temp, mode === 'netascii' ? fromNetascii(raw) : raw, { flag: 'wx' });
      try {
        await link(temp, found.target);
      } finally {
        await unlink(temp);
      }
    };
    await startTransfer(key, client, file, session, commit);
  }

  async function startTransfer(
    key: string,
    client: TftpClient,
    file: string,
    session: TransferSession,
    commit: (() => Promise<void>) | null,
  ): Promise<void> {
    if (isClosed) return;
    const socket = await sockets.open();
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(client.port, client.address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      sockets.release(socket);
      throw err;
    }
    if (isClosed) {
      socket.disconnect();
      sockets.release(socket);
      return;
    }
    const transfer: Transfer = { socket, session, commit, client, file, timer: null, timerAtMs: 0, detach: () => {} };
    transfers.set(key, transfer);
    const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      // A reused socket may still hold a datagram from its previous client.
      if (rinfo.port !== client.port || rinfo.address !== client.address) {
        metrics.dropped.inc({ reason: 'unknown-transfer-id' });
        return;
      }
      const decoded = decodePacket(msg);
      if (!decoded.ok) {
        metrics.dropped.inc({ reason: decoded.reason });
        return;
      }
      apply(key, transfer, session.handle({ kind: 'packet', packet: decoded.packet, nowMs: now() }));
    };
    // A connected UDP socket reports the client's ICMP port unreachable: the client is gone.
    const onError = (err: Error) => end(key, transfer, { kind: 'socket-error', message: err.message });
    socket.on('message', onMessage);
    socket.on('error', onError);
    transfer.detach = () => {
      socket.off('message', onMessage);
      socket.off('error', onError);
    };
    apply(key, transfer, session.start(now()));
  }

  function apply(key: string, t: Transfer, actions: readonly SessionAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          t.socket.send(a.bytes);
          break;
        case 'arm-timer':
          arm(key, t, a.atMs);
          break;
        case 'done':
          release(key, t);
          if (t.commit === null) {
            completed(t, a.bytes, a.durationMs);
          } else {
            t.commit().then(
              () => completed(t, a.bytes, a.durationMs),
              (err: Error) => {
                metrics.transfers.inc({ outcome: 'failed' });
                const reason = { kind: 'write-error', message: err.message } as const;
                emit({ kind: 'failed', ...facts(t), bytes: a.bytes, durationMs: a.durationMs, reason });
              },
            );
          }
          break;
        case 'failed':
          metrics.transfers.inc({ outcome: 'failed' });
          emit({ kind: 'failed', ...facts(t), bytes: a.bytes, durationMs: a.durationMs, reason: a.reason });
          release(key, t);
          break;
      }
    }
  }

  function arm(key: string, t: Transfer, atMs: number): void {
    // Every ACK moves the deadline later. A timer already due before the new deadline is left alone: when
    // it fires early the session asks for the rest, so the per-block path never touches the timer list.
    if (t.timer !== null && t.timerAtMs <= atMs) return;
    if (t.timer !== null) clearTimeout(t.timer);
    t.timerAtMs = atMs;
    t.timer = setTimeout(
      () => {
        t.timer = null;
        apply(key, t, t.session.handle({ kind: 'timer', nowMs: now() }));
      },
      Math.max(0, Math.ceil(atMs - now())),
    );
  }

  function completed(t: Transfer, bytes: number, durationMs: number): void {
    metrics.transfers.inc({ outcome: 'completed' });
    emit({ kind: 'completed', ...facts(t), bytes, durationMs });
  }

  function facts(t: Transfer) {
    return {
      client: t.client,
      file: t.file,
      isWrite: t.commit !== null,
      blockSize: t.session.blockSize,
      windowSize: t.session.windowSize,
    };
  }

  function end(key: string, t: Transfer, reason: TransferFailure): void {
    if (transfers.get(key) !== t) return;
    metrics.transfers.inc({ outcome: 'failed' });
    emit({
      kind: 'failed',
      ...facts(t),
      bytes: t.session.bytesAcknowledged,
      durationMs: t.session.elapsedMs(now()),
      reason,
    });
    release(key, t);
  }

  function release(key: string, t: Transfer): void {
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = null;
    if (transfers.get(key) !== t) return;
    transfers.delete(key);
    t.detach();
    t.socket.disconnect();
    sockets.release(t.socket);
  }

  const bound = listen.address();
  return {
    address: { address: bound.address, port: bound.port },
    activeTransfers: () => transfers.size,
    close() {
      if (closing === null) {
        isClosed = true;
        for (const [key, t] of [...transfers]) end(key, t, { kind: 'shutdown' });
        closing = new Promise<void>((resolve) => listen.close(() => resolve()));
      }
      return closing;
    },
  };
}
