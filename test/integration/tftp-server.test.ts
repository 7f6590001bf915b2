/**
 * bmnet's TFTP server on loopback, driven by a small TFTP client written here (for what no Debian client
 * does on demand: 500 transfers held open at once, a client that stops ACKing, duplicate ACKs, EDK2's
 * tsize probe aborted with error 8, garbage datagrams), and by tftp-hpa / curl for the resolve hook and WRQ.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { decodePacket, ErrorCode, encodePacket, type TftpOption } from '../../src/boot/tftp/codec.ts';
import { startTftpServer, type TftpEvent, type TftpServer } from '../../src/boot/tftp/server.ts';
import { silentLogger } from '../../src/logging.ts';
import { isAlive, run, until } from '../helpers/sh.ts';

let dir = '';
const servers: TftpServer[] = [];
const sockets: dgram.Socket[] = [];
const payload = randomBytes(64 * 1024 + 5);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

before(async () => {
  for (const name of await readdir(tmpdir())) {
    const m = /^bmnet-tftps-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
      await rm(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  dir = await mkdtemp(join(tmpdir(), `bmnet-tftps-${process.pid}-`));
  await writeFile(join(dir, 'payload.bin'), payload);
  await writeFile(join(dir, 'snponly.efi'), payload);
});

after(async () => {
  for (const s of sockets) s.close();
  for (const s of servers) await s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function serve(extra: Partial<Parameters<typeof startTftpServer>[0]> = {}) {
  const events: TftpEvent[] = [];
  const registry = new Registry();
  const server = await startTftpServer({
    listen: { host: '127.0.0.1', port: 0 },
    root: dir,
    logger: silentLogger(),
    registry,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  servers.push(server);
  return { server, events, registry };
}

/** A client socket that queues what it receives. */
async function clientSocket() {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  const inbox: { packet: ReturnType<typeof decodePacket>; port: number }[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (msg, rinfo) => {
    inbox.push({ packet: decodePacket(msg), port: rinfo.port });
    wake?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket,
    send: (bytes: Uint8Array, port: number) => socket.send(bytes, port, '127.0.0.1'),
    /** The next datagram, within a deadline. */
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error('no datagram before the deadline');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
      const first = inbox.shift();
      if (first === undefined || !first.packet.ok) throw new Error('undecodable datagram from the server');
      return { packet: first.packet.packet, port: first.port };
    },
  };
}

type Client = Awaited<ReturnType<typeof clientSocket>>;

/** Sends a request and waits for the first reply, repeating the request like real clients do. */
async function request(c: Client, bytes: Uint8Array, port: number) {
  for (let attempt = 1; ; attempt++) {
    c.send(bytes, port);
    try {
      return await c.next(1000);
    } catch (err) {
      if (attempt === 10) throw err;
    }
  }
}
const rrq = (filename: string, options: TftpOption[] = []) =>
  encodePacket({ kind: 'rrq', filename, mode: 'octet', options });
const ackOf = (block: number) => encodePacket({ kind: 'ack', block });

/**
 * Reads a file after the request was sent and the first reply taken: ACKs every `windowSize` blocks or
 * the last one, re-ACKs duplicates; `duplicateAcks` sends every ACK twice.
 */
async function receive(c: Client, first: Awaited<ReturnType<Client['next']>>, blockSize: number, windowSize = 1) {
  const chunks: Buffer[] = [];
  let expected = 1;
  let reply = first;
  let dataPackets = 0;
  for (;;) {
    const p = reply.packet;
    if (p.kind === 'error') throw new Error(`server error ${p.code}: ${p.message}`);
    if (p.kind === 'oack') c.send(ackOf(0), reply.port);
    if (p.kind === 'data') {
      dataPackets++;
      if (p.block === (expected & 0xffff)) {
        chunks.push(Buffer.from(p.data));
        const isLast = p.data.length < blockSize;
        if (isLast || expected % windowSize === 0) c.send(ackOf(expected), reply.port);
        if (isLast) return { data: Buffer.concat(chunks), dataPackets };
        expected++;
      } else {
        c.send(ackOf(expected - 1), reply.port); // a gap or a duplicate: say what arrived in order
      }
    }
    reply = await c.next();
  }
}

test('500 transfers are open at once, then all complete byte-exact and are cleaned up', async () => {
  const { server, events } = await serve({ limits: { timeoutMs: 5000 } });
  const count = 500;
  const clients = await Promise.all(Array.from({ length: count }, () => clientSocket()));
  // Every client holds its OACK unanswered: all transfers are open on the server at the same moment.
  // (500 requests at once overflow the listen socket's receive buffer; clients repeat them, as real ones do.)
  const opened = await Promise.all(
    clients.map(async (c) => ({
      c,
      oack: await request(c, rrq('payload.bin', [{ name: 'blksize', value: '1468' }]), server.address.port),
    })),
  );
  assert.ok(opened.every(({ oack }) => oack.packet.kind === 'oack'));
  assert.equal(server.activeTransfers(), count);
  assert.equal(new Set(opened.map(({ oack }) => oack.port)).size, count, 'one ephemeral port per transfer');
  const results = await Promise.all(opened.map(({ c, oack }) => receive(c, oack, 1468)));
  for (const r of results) assert.equal(sha256(r.data), sha256(payload));
  await until(() => server.activeTransfers() === 0, { what: 'all transfers to end' });
  assert.equal(events.filter((e) => e.kind === 'completed').length, count);
});

test('a client that stops ACKing gets retransmissions with back-off, then the transfer fails and is removed', async () => {
  const { server, events } = await serve({ limits: { timeoutMs: 50, maxRetries: 3 } });
  const c = await clientSocket();
  c.send(rrq('payload.bin'), server.address.port);
  const received: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await c.next();
    assert.ok(r.packet.kind === 'data');
    received.push(r.packet.block);
  }
  assert.deepStrictEqual(received, [1, 1, 1, 1], 'the first block, then 3 retransmissions');
  const failed = await until(() => events.find((e) => e.kind === 'failed'), { what: 'the failure event' });
  assert.deepStrictEqual(failed.kind === 'failed' && failed.reason, { kind: 'timeout', retries: 3 });
  assert.equal(server.activeTransfers(), 0);
});

test('duplicate ACKs do not cause duplicate DATA (no Sorcerer’s Apprentice)', async () => {
  const { server, events } = await serve({ limits: { timeoutMs: 10_000 } });
  const c = await clientSocket();
  c.send(rrq('payload.bin'), server.address.port);
  let r = await c.next();
  const blocks: number[] = [];
  for (;;) {
    assert.ok(r.packet.kind === 'data');
    blocks.push(r.packet.block);
    c.send(ackOf(r.packet.block), r.port);
    c.send(ackOf(r.packet.block), r.port);
    if (r.packet.data.length < 512) break;
    r = await c.next();
  }
  assert.equal(blocks.length, Math.floor(payload.length / 512) + 1);
  assert.equal(new Set(blocks).size, blocks.length, 'every block was sent once');
  await until(() => events.some((e) => e.kind === 'completed'));
});

test('EDK2: tsize probe aborted with error 8, then the windowed read', async () => {
  const { server, events } = await serve();
  const probe = await clientSocket();
  const options = [
    { name: 'tsize', value: '0' },
    { name: 'blksize', value: '1468' },
    { name: 'windowsize', value: '4' },
  ];
  probe.send(rrq('snponly.efi', options), server.address.port);
  const oack = await probe.next();
  assert.deepStrictEqual(oack.packet, {
    kind: 'oack',
    options: [
      { name: 'tsize', value: String(payload.length) },
      { name: 'blksize', value: '1468' },
      { name: 'windowsize', value: '4' },
    ],
  });
  probe.send(encodePacket({ kind: 'error', code: 8, message: 'User aborted the transfer' }), oack.port);
  const failed = await until(() => events.find((e) => e.kind === 'failed'));
  assert.deepStrictEqual(failed.kind === 'failed' && failed.reason, {
    kind: 'client-error',
    code: 8,
    message: 'User aborted the transfer',
  });
  const read = await clientSocket();
  read.send(rrq('snponly.efi', options.slice(1)), server.address.port);
  const result = await receive(read, await read.next(), 1468, 4);
  assert.equal(sha256(result.data), sha256(payload));
  const done = await until(() => events.find((e) => e.kind === 'completed'));
  assert.ok(done.kind === 'completed' && done.windowSize === 4 && done.blockSize === 1468);
});

test('the resolve hook serves generated per-node content and can refuse; the rest comes from the root', async () => {
  const { server, events } = await serve({
    resolve: (path, client) => {
      if (path.startsWith('pxelinux.cfg/01-')) {
        return { kind: 'content', data: Buffer.from(`# for ${path.slice(16)} at ${client.address}\n`) };
      }
      if (path === 'payload.bin') return { kind: 'root' };
      return { kind: 'refuse', code: ErrorCode.FileNotFound, message: 'No such node' };
    },
  });
  const port = String(server.address.port);
  const to = join(dir, 'generated.out');
  await run('curl', ['-sS', `tftp://127.0.0.1:${port}/pxelinux.cfg/01-52-54-00-cf-6a-cd`, '-o', to]);
  assert.equal(await readFile(to, 'utf8'), '# for 52-54-00-cf-6a-cd at 127.0.0.1\n');
  const r = await run('tftp', ['127.0.0.1', port, '-m', 'binary', '-c', 'get', 'other', join(dir, 'x.out')]);
  assert.match(r.stdout + r.stderr, /Error code 1: No such node/);
  await run('tftp', ['127.0.0.1', port, '-m', 'binary', '-c', 'get', 'payload.bin', to]);
  assert.equal(sha256(await readFile(to)), sha256(payload));
  assert.deepStrictEqual(
    events.filter((e) => e.kind === 'request').map((e) => e.file),
    ['pxelinux.cfg/01-52-54-00-cf-6a-cd', 'other', 'payload.bin'],
  );
});

test('a write request is refused with error 2 (tftp-hpa put)', async () => {
  const { server, events } = await serve();
  const local = join(dir, 'upload.src');
  await writeFile(local, 'data');
  const r = await run('tftp', ['127.0.0.1', String(server.address.port), '-m', 'binary', '-c', 'put', local, 'up']);
  assert.match(r.stdout + r.stderr, /Error code 2: Writes are not allowed/);
  assert.ok(events.some((e) => e.kind === 'request' && e.isWrite));
});

test('malformed datagrams are dropped and counted; the server keeps serving', async () => {
  const { server, registry } = await serve();
  const c = await clientSocket();
  const garbage = [[0], [0, 9, 1, 2], [0, 1, 65, 0, 111, 99], [0, 1, 65, 0, 98, 105, 110, 0], [0, 4, 0, 1]];
  for (const g of garbage) c.send(Buffer.from(g), server.address.port);
  c.send(rrq('payload.bin'), server.address.port);
  const first = await c.next();
  c.send(Buffer.from([0, 42]), first.port); // garbage on the transfer port too
  const result = await receive(c, first, 512);
  assert.equal(sha256(result.data), sha256(payload));
  const metric = await registry.getSingleMetric('bmnet_tftp_dropped_packets_total')?.get();
  const byReason = Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.reason, v.value]));
  assert.deepStrictEqual(byReason, {
    'too-short': 1,
    'unknown-opcode': 2,
    'unterminated-string': 1,
    'unknown-mode': 1,
    'unexpected-ack': 1,
  });
});

test('a repeated request from the same client port starts one transfer', async () => {
  const { server, events } = await serve();
  const c = await clientSocket();
  c.send(rrq('payload.bin', [{ name: 'tsize', value: '0' }]), server.address.port);
  c.send(rrq('payload.bin', [{ name: 'tsize', value: '0' }]), server.address.port);
  const result = await receive(c, await c.next(), 512);
  assert.equal(sha256(result.data), sha256(payload));
  await until(() => events.some((e) => e.kind === 'completed'));
  assert.equal(events.filter((e) => e.kind === 'request').length, 1);
});

test('a handed-over listen socket and a pool of transfer sockets: the socket is reused, on a new port each time', async () => {
  const listen = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => listen.bind(0, '127.0.0.1', resolve));
  const pooled = dgram.createSocket('udp4');
  pooled.on('error', () => undefined);
  await new Promise<void>((resolve) => pooled.bind(0, '127.0.0.1', resolve));
  sockets.push(pooled);
  const released: boolean[] = [];
  const { server, events } = await serve({
    listen: { socket: listen },
    transferSockets: {
      open: async () => pooled,
      release: (s) => released.push(s === pooled),
    },
  });
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await clientSocket();
    const first = await request(c, rrq('payload.bin'), server.address.port);
    ports.push(first.port);
    const result = await receive(c, first, 512);
    assert.equal(sha256(result.data), sha256(payload));
    await until(() => released.length === i + 1, { what: 'the socket back in the pool' });
  }
  // Linux gives a socket bound to port 0 a new ephemeral port when it is disconnected and connected again.
  assert.equal(new Set(ports).size, 3);
  assert.deepStrictEqual(released, [true, true, true]);
  assert.equal(events.filter((e) => e.kind === 'completed').length, 3);
});

test('beyond maxTransfers a request is refused with error 0; close() ends open transfers as shutdown', async () => {
  const { server, events } = await serve({ maxTransfers: 1 });
  const holder = await clientSocket();
  const oack = await request(holder, rrq('payload.bin', [{ name: 'tsize', value: '0' }]), server.address.port);
  assert.equal(oack.packet.kind, 'oack');
  const late = await clientSocket();
  const refused = await request(late, rrq('payload.bin'), server.address.port);
  assert.deepStrictEqual(refused.packet, { kind: 'error', code: 0, message: 'Server busy' });
  await server.close();
  const failed = events.find((e) => e.kind === 'failed');
  assert.deepStrictEqual(failed?.kind === 'failed' && failed.reason, { kind: 'shutdown' });
  assert.equal(server.activeTransfers(), 0);
});

test('IPv6: curl fetches from [::1]', async () => {
  const { server } = await serve({ listen: { host: '::1', port: 0 } });
  const to = join(dir, 'v6.out');
  await run('curl', ['-sS', `tftp://[::1]:${server.address.port}/payload.bin`, '--tftp-blksize', '1468', '-o', to]);
  assert.equal(sha256(await readFile(to)), sha256(payload));
});
