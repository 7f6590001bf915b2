/**
 * HTTP boot server: files from a root, streamed, with `GET`, `HEAD` and single `Range`
 * requests (RFC 9110 §14), and per-node iPXE scripts at `/ipxe/<node name>.ipxe` from a resolver.
 * The root follows the TFTP root's rules (docs/tftp.md, `boot/tftp/root.ts`): no `..` segment, nothing
 * outside the root's real path (symlinks resolved), regular files only. EDK2 HTTP boot sends HEAD then
 * GET; iPXE fetches scripts, kernels and initrds with GET (shared/testbed/README.md).
 */
import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logging.ts';
import { findInRoot, normalizeRequestPath, type RootRefusal } from './tftp/root.ts';

export interface HttpClient {
  readonly address: string;
  readonly port: number;
}

/** What a script request names, and where it came in (the address the client reached). */
export interface ScriptRequest {
  readonly nodeName: string;
  readonly client: HttpClient;
  readonly local: HttpClient;
}

/** The script text for a node, or null when there is no such node (404). */
export type ScriptResolver = (request: ScriptRequest) => string | null | Promise<string | null>;

export type HttpRefusal = RootRefusal | 'bad-path' | 'bad-method' | 'unknown-node' | 'range-not-satisfiable';

/** Boot-trace facts as plain data. `path` is the request path as sent (query string dropped). */
export type HttpBootEvent =
  | {
      readonly kind: 'request';
      readonly client: HttpClient;
      readonly method: string;
      readonly path: string;
      readonly range: string | null;
    }
  | {
      readonly kind: 'refused';
      readonly client: HttpClient;
      readonly method: string;
      readonly path: string;
      readonly status: number;
      readonly reason: HttpRefusal;
    }
  | {
      readonly kind: 'completed';
      readonly client: HttpClient;
      readonly method: string;
      readonly path: string;
      readonly status: number;
      /** Body bytes sent (0 for HEAD). */
      readonly bytes: number;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'failed';
      readonly client: HttpClient;
      readonly method: string;
      readonly path: string;
      readonly status: number;
      /** Body bytes read for the client before it ended. */
      readonly bytes: number;
      readonly durationMs: number;
      readonly reason: 'client-closed' | 'read-error';
    };

export interface HttpBootOptions {
  /** An address to bind (0 picks a free port), or a listening `net.Server` handed over from a namespace. */
  readonly listen: { readonly host: string; readonly port: number } | { readonly handle: NetServer };
  readonly root: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly resolveScript?: ScriptResolver;
  readonly onEvent?: (event: HttpBootEvent) => void;
  /** Monotonic milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

export interface HttpBootServer {
  readonly address: { readonly address: string; readonly port: number };
  /** Stops listening and ends open connections. Idempotent. */
  close(): Promise<void>;
}

/** Script path: `/ipxe/<node name>.ipxe`. */
const SCRIPT_PATH = /^\/ipxe\/([^/]+)\.ipxe$/;

/** Status per refusal; a root refusal not listed (e.g. one added to root.ts later) is 403. */
const STATUS_OF_REFUSAL: Readonly<Partial<Record<HttpRefusal, number>>> = {
  'not-found': 404,
  'unknown-node': 404,
  'bad-path': 400,
  'outside-root': 403,
  'not-a-file': 403,
  unreadable: 403,
  'bad-method': 405,
  'range-not-satisfiable': 416,
};

const CONTENT_TYPE: Readonly<Record<string, string>> = {
  '.ipxe': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.cfg': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.efi': 'application/efi',
};

export type ByteRange =
  | { readonly kind: 'whole' }
  | { readonly kind: 'part'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * RFC 9110 §14.1.2 for one range over `size` bytes. Several ranges, another unit or bad syntax are
 * answered with the whole representation (§14.2 lets a server ignore Range).
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: 'whole' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  const [first, last] = [m[1] ?? '', m[2] ?? ''];
  if (first === '') {
    // suffix range: the last N bytes
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'whole' }; // invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end };
}

function counters(registry: Registry) {
  const name = 'bmnet_http_boot_requests_total';
  const existing = registry.getSingleMetric(name);
  return existing instanceof Counter
    ? existing
    : new Counter({
        name,
        help: 'HTTP boot requests by outcome (completed, failed, refused) and reason',
        labelNames: ['outcome', 'reason'],
        registers: [registry],
      });
}

export async function startHttpBootServer(options: HttpBootOptions): Promise<HttpBootServer> {
  const log = options.logger;
  const now = options.now ?? (() => performance.now());
  const requests = counters(options.registry);
  const realRoot = await realpath(options.root).catch((err: unknown) => {
    // The server owns a handed-over listening handle: a start that fails closes it, or it stays bound.
    if ('handle' in options.listen) options.listen.handle.close();
    throw err;
  });
  const emit = (event: HttpBootEvent) => {
    try {
      options.onEvent?.(event);
    } catch (err) {
      log.error({ err, event: event.kind }, 'http boot event consumer failed');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'http boot request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal server error\n');
      else res.destroy();
    });
  });
  // keep-alive connections of firmware that is gone must not hold the server open for long
  server.keepAliveTimeout = 5000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedMs = now();
    const client = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 };
    const method = req.method ?? '';
    const rawPath = (req.url ?? '').split('?')[0] ?? '';
    const range = typeof req.headers.range === 'string' ? req.headers.range : null;
    emit({ kind: 'request', client, method, path: rawPath, range });
    const isHead = method === 'HEAD';

    const refuse = (reason: HttpRefusal, headers: Record<string, string> = {}) => {
      const status = STATUS_OF_REFUSAL[reason] ?? 403;
      requests.inc({ outcome: 'refused', reason });
      emit({ kind: 'refused', client, method, path: rawPath, status, reason });
      const body = `${status === 404 ? 'Not found' : status === 416 ? 'Range not satisfiable' : 'Refused'}\n`;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(body.length), ...headers });
      res.end(isHead ? undefined : body);
    };
    let isReadFailed = false;
    const finish = (status: number, sent: () => number) => {
      res.once('close', () => {
        const facts = { client, method, path: rawPath, status, bytes: sent(), durationMs: now() - startedMs };
        if (res.writableFinished && !isReadFailed) {
          requests.inc({ outcome: 'completed', reason: '' });
          emit({ kind: 'completed', ...facts });
        } else {
          const reason = isReadFailed ? 'read-error' : 'client-closed';
          requests.inc({ outcome: 'failed', reason });
          emit({ kind: 'failed', ...facts, reason });
        }
      });
    };

    if (method !== 'GET' && !isHead) return refuse('bad-method', { allow: 'GET, HEAD' });
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return refuse('bad-path');
    }
    if (!path.startsWith('/') || path.includes('\0')) return refuse('bad-path');

    const script = SCRIPT_PATH.exec(path);
    if (script?.[1] !== undefined && options.resolveScript) {
      const local = { address: req.socket.localAddress ?? '', port: req.socket.localPort ?? 0 };
      const text = await options.resolveScript({ nodeName: script[1], client, local });
      if (text === null) return refuse('unknown-node');
      return sendBuffer(Buffer.from(text, 'utf8'), 'text/plain; charset=utf-8');
    }

    const normalized = normalizeRequestPath(path);
    if (!normalized.ok) return refuse(normalized.reason === 'parent-segment' ? 'outside-root' : 'not-found');
    const found = await findInRoot(realRoot, normalized.path);
    if (!found.ok) return refuse(found.reason);
    const { file } = found;
    const type = CONTENT_TYPE[extname(file.realPath).toLowerCase()] ?? 'application/octet-stream';
    const part = parseRange(range ?? undefined, file.size);
    if (part.kind === 'unsatisfiable')
      return refuse('range-not-satisfiable', { 'content-range': `bytes */${file.size}` });
    const [start, end] = part.kind === 'part' ? [part.start, part.end] : [0, file.size - 1];
    const length = end - start + 1;
    const status = part.kind === 'part' ? 206 : 200;
    res.writeHead(status, {
      'content-type': type,
      'content-length': String(length),
      'accept-ranges': 'bytes',
      'last-modified': new Date(file.mtimeMs).toUTCString(),
      ...(part.kind === 'part' ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
    });
    if (isHead || length === 0) {
      finish(status, () => 0);
      res.end();
      return;
    }
    const stream = createReadStream(file.realPath, { start, end });
    let sent = 0;
    stream.on('data', (chunk) => {
      sent += chunk.length;
    });
    stream.on('error', (err) => {
      // the file went away or shrank mid-transfer: the client sees a short body and the connection end
      log.warn({ err, path: rawPath }, 'http boot file read failed');
      isReadFailed = true;
      res.destroy();
    });
    stream.on('end', () => {
      // the file shrank after it was measured: the promised Content-Length cannot be kept
      if (sent === length) return;
      log.warn({ path: rawPath, sent, length }, 'http boot file shorter than announced');
      isReadFailed = true;
      res.destroy();
    });
    res.once('close', () => stream.destroy());
    finish(status, () => sent);
    stream.pipe(res);

    function sendBuffer(body: Buffer, contentType: string): void {
      const r = parseRange(range ?? undefined, body.length);
      if (r.kind === 'unsatisfiable') {
        refuse('range-not-satisfiable', { 'content-range': `bytes */${body.length}` });
        return;
      }
      const slice = r.kind === 'part' ? body.subarray(r.start, r.end + 1) : body;
      const code = r.kind === 'part' ? 206 : 200;
      res.writeHead(code, {
        'content-type': contentType,
        'content-length': String(slice.length),
        'accept-ranges': 'bytes',
        'cache-control': 'no-store',
        ...(r.kind === 'part' ? { 'content-range': `bytes ${r.start}-${r.end}/${body.length}` } : {}),
      });
      finish(code, () => (isHead ? 0 : slice.length));
      res.end(isHead ? undefined : slice);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if ('handle' in options.listen) server.listen(options.listen.handle, done);
    else server.listen({ host: options.listen.host, port: options.listen.port, exclusive: true }, done);
  });
  server.on('error', (err) => log.error({ err }, 'http boot server error'));
  const bound = server.address();
  const address =
    bound !== null && typeof bound === 'object'
      ? { address: bound.address, port: bound.port }
      : { address: '', port: 0 };
  let closing: Promise<void> | null = null;
  return {
    address,
    close() {
      if (closing === null) {
        closing = new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      return closing;
    },
  };
}
