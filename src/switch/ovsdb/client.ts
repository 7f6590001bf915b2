/**
 * The OVSDB socket (RFC 7047 over `unix:PATH` or `tcp:HOST:PORT`): one connection, opened on first use and
 * re-opened with exponential back-off after it drops; an `echo` keep-alive that closes a silent connection;
 * requests time out. Framing and messages are in protocol.ts.
 */
import { createConnection, type Socket } from 'node:net';
import { InvalidInput, SwitchUnreachable } from '../../domain/errors.js';
import type { Logger } from '../../logging.js';
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
} from './protocol.js';

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

export interface OvsdbClient {
  listDbs(): Promise<readonly string[]>;
  getSchema(db: string): Promise<unknown>;
  /** Runs one transaction; resolves with its outcome (operation errors are a value), rejects with SwitchUnreachable. */
  transact(db: string, ops: readonly TransactOp[]): Promise<TransactOutcome>;
  /** Whether a connection is open now. */
  isConnected(): boolean;
  close(): Promise<void>;
}

export function createOvsdbClient(options: OvsdbClientOptions): OvsdbClient {
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const echoIntervalMs = options.echoIntervalMs ?? 5_000;
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 5_000 };
  const random = options.random ?? Math.random;
  const log = options.logger.child({ switch: options.name });

  let socket: Socket | null = null;
  let connecting: Promise<Socket> | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let echoTimer: NodeJS.Timeout | null = null;
  let failures = 0;
  let isClosed = false;
  let lastActivity = Date.now();
  const correlator = new Correlator<Pending>();

  const unreachable = (reason: string, cause?: unknown) =>
    new SwitchUnreachable(options.name, reason, cause === undefined ? undefined : { cause });

  const failAll = (reason: string, cause?: unknown) => {
    for (const p of correlator.drain()) {
      clearTimeout(p.timer);
      p.reject(unreachable(`${reason} (during ${p.method})`, cause));
    }
  };

  const scheduleReconnect = () => {
    if (isClosed || reconnectTimer !== null || connecting !== null) return;
    const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 20));
    const delayMs = Math.round(base / 2 + (base / 2) * random());
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect().catch(() => undefined); // the failure is logged and counted by connect()
    }, delayMs);
    reconnectTimer.unref();
  };

  const onMessage = (s: Socket, value: unknown) => {
    const decoded = decodeMessage(value);
    if (!decoded.ok) {
      log.warn({ reason: decoded.reason }, 'ovsdb message dropped');
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
        const pending = correlator.settle(message.id);
        if (pending === null) {
          log.warn({ id: message.id }, 'ovsdb response to no request');
          return;
        }
        clearTimeout(pending.timer);
        pending.resolve({ result: message.result, error: message.error });
        return;
      }
    }
  };

  const attach = (s: Socket) => {
    const reader = new JsonStreamReader();
    s.on('data', (chunk: Buffer) => {
      lastActivity = Date.now();
      const framed = reader.push(chunk);
      for (const value of framed.values) onMessage(s, value);
      if (!framed.ok) {
        log.warn({ reason: framed.reason.kind }, 'ovsdb stream unreadable, closing');
        s.destroy();
      }
    });
    s.on('error', (err) => log.debug({ err: err.message }, 'ovsdb socket error'));
    s.on('close', () => {
      if (socket !== s) return;
      socket = null;
      if (echoTimer !== null) clearInterval(echoTimer);
      echoTimer = null;
      failAll('connection closed');
      if (!isClosed) {
        log.warn({}, 'ovsdb connection lost');
        scheduleReconnect();
      }
    });
    echoTimer = setInterval(() => {
      if (Date.now() - lastActivity < echoIntervalMs || correlator.size > 0) return;
      // RFC 7047 §4.1.11: echo as a liveness probe; a timeout closes the connection
      request(Method.Echo, []).catch(() => undefined);
    }, echoIntervalMs);
    echoTimer.unref();
  };

  const connect = (): Promise<Socket> => {
    if (socket !== null) return Promise.resolve(socket);
    if (connecting !== null) return connecting;
    if (reconnectTimer !== null) clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const attempt = new Promise<Socket>((resolve, reject) => {
      const r = options.remote;
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
    connecting = attempt.then(
      (s) => {
        connecting = null;
        if (isClosed) {
          s.destroy();
          throw unreachable('client closed');
        }
        failures = 0;
        socket = s;
        lastActivity = Date.now();
        attach(s);
        log.info({}, 'ovsdb connected');
        return s;
      },
      (err: unknown) => {
        connecting = null;
        failures += 1;
        log.debug({ err: err instanceof Error ? err.message : String(err), failures }, 'ovsdb connect failed');
        scheduleReconnect();
        throw unreachable(err instanceof Error ? err.message : String(err), err);
      },
    );
    return connecting;
  };

  const request = async (method: string, params: readonly Json[]): Promise<unknown> => {
    if (isClosed) throw unreachable('client closed');
    const s = await connect();
    if (s.destroyed) throw unreachable(`connection closed before ${method}`);
    const reply = await new Promise<{ result: unknown; error: unknown }>((resolve, reject) => {
      let id = 0;
      const timer = setTimeout(() => {
        correlator.settle(id);
        reject(unreachable(`no answer to ${method} within ${requestTimeoutMs} ms`));
        s.destroy(); // a connection that does not answer is not trusted again: close it and reconnect
      }, requestTimeoutMs);
      id = correlator.open({ method, resolve, reject, timer });
      s.write(encodeRequest(id, method, params));
    });
    if (reply.error !== null) throw new OvsdbRpcError(method, reply.error);
    return reply.result;
  };

  return {
    async listDbs() {
      const result = await request(Method.ListDbs, []);
      return Array.isArray(result) ? result.filter((x): x is string => typeof x === 'string') : [];
    },
    getSchema(db) {
      return request(Method.GetSchema, [db]);
    },
    async transact(db, ops) {
      try {
        return decodeTransactResult(await request(Method.Transact, transactParams(db, ops)), ops.length);
      } catch (err) {
        if (!(err instanceof OvsdbRpcError)) throw err;
        // RFC 7047 §4.1.3: a request-level error (unknown database, malformed operation)
        return { ok: false, error: { error: err.rpcError, details: null, opIndex: null } };
      }
    },
    isConnected() {
      return socket !== null;
    },
    async close() {
      isClosed = true;
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const s = socket;
      socket = null;
      if (echoTimer !== null) clearInterval(echoTimer);
      echoTimer = null;
      failAll('client closed');
      if (s !== null) {
        await new Promise<void>((resolve) => {
          s.once('close', () => resolve());
          s.end();
          setTimeout(() => s.destroy(), 1000).unref();
        });
      }
    },
  };
}

/** The server answered a request with a JSON-RPC error (RFC 7047 §4: `error` is not null). */
export class OvsdbRpcError extends Error {
  readonly rpcError: string;
  constructor(
    readonly method: string,
    error: unknown,
  ) {
    const text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
    super(`ovsdb ${method} failed: ${text}`);
    this.name = 'OvsdbRpcError';
    this.rpcError = text;
  }
}
