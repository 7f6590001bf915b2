/**
 * Sockets inside a network namespace for the boot role (docs/architecture.md §8): the DHCP role's trick
 * (`dhcp/netns-socket.ts`: a socket belongs to the namespace it was created in, and a child process can
 * hand it to its parent over IPC), with a helper that stays: TFTP needs a new UDP socket for every
 * transfer (RFC 1350 §4, one ephemeral port each), so the helper creates sockets on request for as long
 * as the namespace is served. One helper per boot network: a bare `node -e` process, about 40 MiB of
 * resident memory (measured in test/integration/boot-service.test.ts; docs/boot.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket as UdpSocket } from 'node:dgram';
import type { Server as NetServer } from 'node:net';
import { BootSocketUnavailable } from '../domain/errors.ts';
import type { TransferSockets } from './tftp/sockets.ts';

/** Runs in the namespace (plain CommonJS, no project imports, so it starts in milliseconds). */
const HELPER = `
const dgram = require('node:dgram');
const net = require('node:net');
const answer = (id, thing, close) => (err) => {
  if (err) process.send({ id, ok: false, error: String(err.message) });
  else process.send({ id, ok: true }, thing, () => close());
};
process.on('message', (m) => {
  if (m.op === 'udp') {
    const s = dgram.createSocket({ type: 'udp4' });
    const done = answer(m.id, s, () => s.close());
    s.once('error', done);
    s.bind({ address: m.address, port: m.port, exclusive: true }, () => { s.off('error', done); done(null); });
  } else if (m.op === 'tcp') {
    const srv = net.createServer();
    const done = answer(m.id, srv, () => srv.close());
    srv.once('error', done);
    srv.listen({ host: m.address, port: m.port, exclusive: true, backlog: 511 }, () => { srv.off('error', done); done(null); });
  }
});
process.on('disconnect', () => process.exit(0));
`;

/** A small heap: the helper only creates sockets (its resident memory stays near a bare Node's). */
const HELPER_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=16'];

interface Pending {
  readonly resolve: (handle: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class NamespaceSockets {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: string | null = null;

  readonly namespace: string;
  private readonly child: ChildProcess;
  private readonly timeoutMs: number;

  private constructor(namespace: string, child: ChildProcess, timeoutMs: number) {
    this.namespace = namespace;
    this.child = child;
    this.timeoutMs = timeoutMs;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('message', (msg: unknown, handle: unknown) => {
      const m = msg as { id?: number; ok?: boolean; error?: string };
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (p === undefined || m.id === undefined) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok === true && handle) p.resolve(handle);
      else p.reject(new BootSocketUnavailable(namespace, m.error ?? 'no socket in the answer'));
    });
    child.on('exit', (code, signal) => {
      this.exited = `helper exited (${signal ?? code}): ${stderr.trim()}`;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new BootSocketUnavailable(namespace, this.exited));
        this.pending.delete(id);
      }
    });
  }

  /** Starts the helper in `namespace` (`ip netns exec`); resolves when it is ready for requests. */
  static async start(namespace: string, options: { timeoutMs?: number } = {}): Promise<NamespaceSockets> {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, ...HELPER_FLAGS, '-e', HELPER], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) => reject(new BootSocketUnavailable(namespace, err.message)));
    });
    return new NamespaceSockets(namespace, child, options.timeoutMs ?? 10_000);
  }

  /** The helper's process id (for its memory in tests and status). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private request(op: 'udp' | 'tcp', address: string, port: number): Promise<unknown> {
    if (this.exited !== null) return Promise.reject(new BootSocketUnavailable(this.namespace, this.exited));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BootSocketUnavailable(this.namespace, `no ${op} socket for ${address}:${port} in time`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ op, id, address, port }, (err) => {
        if (err === null) return;
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new BootSocketUnavailable(this.namespace, err.message));
      });
    });
  }

  /** A UDP socket bound to `address:port` in the namespace (port 0: an ephemeral one). */
  async udp(address: string, port: number): Promise<UdpSocket> {
    return (await this.request('udp', address, port)) as UdpSocket;
  }

  /** A listening TCP server on `address:port` in the namespace; pass it to `http.Server.listen`. */
  async tcp(address: string, port: number): Promise<NetServer> {
    return (await this.request('tcp', address, port)) as NetServer;
  }

  /** TFTP transfer sockets on `address` in the namespace: a new one per transfer, closed after it. */
  transferSockets(address: string): TransferSockets {
    return { open: () => this.udp(address, 0), release: (socket) => socket.close() };
  }

  /** Ends the helper (sockets already handed over stay open in this process). Idempotent. */
  async close(): Promise<void> {
    if (this.exited !== null || this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected)
      this.child.disconnect(); // the helper exits when its channel closes
    else this.child.kill();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
