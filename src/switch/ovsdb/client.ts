/**
 * The OVSDB socket (RFC 7047 over `unix:PATH` or `tcp:HOST:PORT`): one connection, opened on first use and
 * re-opened with exponential back-off after it drops; an `echo` keep-alive that closes a silent connection;
 * requests time out. Framing and messages are in protocol.ts.
 */
import { createConnection, type Socket } from 'node:net';
import { InvalidInput, SwitchUnreachable } from '../../domain/errors.ts';
import type { Logger } from '../../logging.ts';
import {
  answerRequest,
  Correlator,
  decodeMessage,
  decodeTransactResult,
  encodeRequest,
  type Json,
  JsonStreamReader,
  Method,
  type TransactOp,
  type TransactOutcome,
  transactParams,
} from './protocol.ts';

export type OvsdbRemote =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Parses `unix:/run/openvswitch/db.sock` or `tcp:127.0.0.1:6640` (ovsdb-server's active remote syntax). */
export function parseOvsdbRemote(s: string): OvsdbRemote {
  if (s.startsWith('unix:') && s.length > 5) return { kind: 'unix', path: s.slice(5) };
  const m = /^tcp:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(s);
  const port = Number(m?.[2]);
  if (m?.[1] && port >= 1 && port <= 65535) return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port };
  throw new InvalidInput(`'${s}' is not an OVSDB remote (unix:PATH or tcp:HOST:PORT)`);
}

export interface OvsdbClientOptions {
  /** Names the switch in errors and logs. */
  readonly name: string;
  readonly remote: OvsdbRemote;
  readonly logger: Logger;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** An idle connection is probed with `echo` this often; no answer within the request timeout closes it. */
  readonly echoIntervalMs?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** In [0, 1): spreads reconnect attempts (jitter). */
  readonly random?: () => number;
}

interface Pending {
  readonly method: string;
  readonly resolve: (value: { result: unknown; error: unknown }) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One OVSDB connection. Nothing is opened until the first request. */
export class OvsdbClient {
  /** How long a request may wait for its answer; the driver times its own server-side waits below it. */
  readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly echoIntervalMs: number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private readonly random: () => number;
  private readonly log: Logger;
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private echoTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private isClosed = false;
  private lastActivity = Date.now();
  private readonly correlator = new Correlator<Pending>();

  private readonly options: OvsdbClientOptions;

  constructor(options: OvsdbClientOptions) {
    this.options = options;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.echoIntervalMs = options.echoIntervalMs ?? 5_000;
    this.backoff = options.backoff ?? { initialMs: 100, maxMs: 5_000 };
    this.random = options.random ?? Math.random;
    this.log = options.logger.child({ switch: options.name });
  }

  async listDbs(): Promise<readonly string[]> {
    const result = await this.request(Method.ListDbs, []);
    return Array.isArray(result) ? result.filter((x): x is string => typeof x === 'string') : [];
  }

  getSchema(db: string): Promise<unknown> {
    return this.request(Method.GetSchema, [db]);
  }

  /** Runs one transaction; resolves with its outcome (operation errors are a value), rejects with SwitchUnreachable. */
  async transact(db: string, ops: readonly TransactOp[]): Promise<TransactOutcome> {
    try {
      return decodeTransactResult(await this.request(Method.Transact, transactParams(db, ops)), ops.length);
    } catch (err) {
      if (!(err instanceof OvsdbRpcError)) throw err;
      // RFC 7047 §4.1.3: a request-level error (unknown database, malformed operation)
      return { ok: false, error: { error: err.rpcError, details: null, opIndex: null } };
    }
  }

  /** Whether a connection is open now. */
  isConnected(): boolean {
    return this.socket !== null;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const s = this.socket;
    this.socket = null;
    if (this.echoTimer !== null) clearInterval(this.echoTimer);
    this.echoTimer = null;
    this.failAll('client closed');
    if (s !== null) {
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    }
  }

  private unreachable(reason: string, cause?: unknown): SwitchUnreachable {
    return new SwitchUnreachable(this.options.name, reason, cause === undefined ? undefined : { cause });
  }

  private failAll(reason: string, cause?: unknown): void {
    for (const p of this.correlator.drain()) {
      clearTimeout(p.timer);
      p.reject(this.unreachable(`${reason} (during ${p.method})`, cause));
    }
  }

  private scheduleReconnect(): void {
    if (this.isClosed || this.reconnectTimer !== null || this.connecting !== null) return;
    const { backoff } = this;
    const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(this.failures, 20));
    const delayMs = Math.round(base / 2 + (base / 2) * this.random());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch(() => undefined); // the failure is logged and counted by connect()
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private onMessage(s: Socket, value: unknown): void {
    const decoded = decodeMessage(value);
    if (!decoded.ok) {
      this.log.warn({ reason: decoded.reason }, 'ovsdb message dropped');
      return;
    }
    const message = decoded.message;
    switch (message.kind) {
      case 'request':
        s.write(answerRequest(message));
        return;
      case 'notification':
        return;
      case 'response': {
        const pending = this.correlator.settle(message.id);
        if (pending === null) {
          this.log.warn({ id: message.id }, 'ovsdb response to no request');
          return;
        }
        clearTimeout(pending.timer);
        pending.resolve({ result: message.result, error: message.error });
        return;
      }
    }
  }

  private attach(s: Socket): void {
    const reader = new JsonStreamReader();
    s.on('data', (chunk: Buffer) => {
      this.lastActivity = Date.now();
      const framed = reader.push(chunk);
      for (const value of framed.values) this.onMessage(s, value);
      if (!framed.ok) {
        this.log.warn({ reason: framed.reason.kind }, 'ovsdb stream unreadable, closing');
        s.destroy();
      }
    });
    s.on('error', (err) => this.log.debug({ err: err.message }, 'ovsdb socket error'));
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = null;
      if (this.echoTimer !== null) clearInterval(this.echoTimer);
      this.echoTimer = null;
      this.failAll('connection closed');
      if (!this.isClosed) {
        this.log.warn({}, 'ovsdb connection lost');
        this.scheduleReconnect();
      }
    });
    this.echoTimer = setInterval(() => {
      if (Date.now() - this.lastActivity < this.echoIntervalMs || this.correlator.size > 0) return;
      // RFC 7047 §4.1.11: echo as a liveness probe; a timeout closes the connection
      this.request(Method.Echo, []).catch(() => undefined);
    }, this.echoIntervalMs);
    this.echoTimer.unref();
  }

  private connect(): Promise<Socket> {
    if (this.socket !== null) return Promise.resolve(this.socket);
    if (this.connecting !== null) return this.connecting;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const { connectTimeoutMs } = this;
    const attempt = new Promise<Socket>((resolve, reject) => {
      const r = this.options.remote;
      const s =
        r.kind === 'unix' ? createConnection({ path: r.path }) : createConnection({ host: r.host, port: r.port });
      const timer = setTimeout(
        () => s.destroy(new Error(`no connection within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.connecting = attempt.then(
      (s) => {
        this.connecting = null;
        if (this.isClosed) {
          s.destroy();
          throw this.unreachable('client closed');
        }
        this.failures = 0;
        this.socket = s;
        this.lastActivity = Date.now();
        this.attach(s);
        this.log.info({}, 'ovsdb connected');
        return s;
      },
      (err: unknown) => {
        this.connecting = null;
        this.failures += 1;
        const reason = err instanceof Error ? err.message : String(err);
        this.log.debug({ err: reason, failures: this.failures }, 'ovsdb connect failed');
        this.scheduleReconnect();
        throw this.unreachable(reason, err);
      },
    );
    return this.connecting;
  }

  private async request(method: string, params: readonly Json[]): Promise<unknown> {
    if (this.isClosed) throw this.unreachable('client closed');
    const s = await this.connect();
    if (s.destroyed) throw this.unreachable(`connection closed before ${method}`);
    const { requestTimeoutMs, correlator } = this;
    const reply = await new Promise<{ result: unknown; error: unknown }>((resolve, reject) => {
      let id = 0;
      const timer = setTimeout(() => {
        correlator.settle(id);
        reject(this.unreachable(`no answer to ${method} within ${requestTimeoutMs} ms`));
        s.destroy(); // a connection that does not answer is not trusted again: close it and reconnect
      }, requestTimeoutMs);
      id = correlator.open({ method, resolve, reject, timer });
      s.write(encodeRequest(id, method, params));
    });
    if (reply.error !== null) throw new OvsdbRpcError(method, reply.error);
    return reply.result;
  }
}

/** The server answered a request with a JSON-RPC error (RFC 7047 §4: `error` is not null). */
export class OvsdbRpcError extends Error {
  readonly rpcError: string;
  readonly method: string;

  constructor(method: string, error: unknown) {
    const text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
    super(`ovsdb ${method} failed: ${text}`);
    this.method = method;
    this.name = 'OvsdbRpcError';
    this.rpcError = text;
  }
}
