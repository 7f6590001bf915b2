/**
 * bmnet's HTTP boot server on loopback against real curl and an iPXE-style client (the request line
 * and headers iPXE sends): whole files, HEAD, single ranges (206/416), per-node scripts, refusals for
 * traversal, symlinks out of the root, directories and FIFOs, and the boot-trace events.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { type HttpBootEvent, type HttpBootServer, startHttpBootServer } from '../../src/boot/http.ts';
import { silentLogger } from '../../src/logging.ts';
import { isAlive, run, tryRun, until } from '../helpers/sh.ts';

const PREFIX = 'bmnet-http-';
let dir = '';
let server: HttpBootServer;
const events: HttpBootEvent[] = [];
const kernel = randomBytes(5 * 1024 * 1024 + 123);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const base = () => `http://127.0.0.1:${server.address.port}`;

/** curl's status, headers and body (as bytes in a file). */
async function curl(args: string[]): Promise<{ status: number; headers: string; body: Buffer }> {
  const out = join(dir, `curl-${randomBytes(4).toString('hex')}`);
  const headers = `${out}.h`;
  await run('curl', ['-sS', '-o', out, '-D', headers, ...args]);
  const h = await readFile(headers, 'utf8');
  const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(h)?.[1]);
  return { status, headers: h.toLowerCase(), body: await readFile(out).catch(() => Buffer.alloc(0)) };
}

before(async () => {
  if ((await tryRun('sh', ['-c', 'command -v curl'])).code !== 0)
    throw new Error('curl is missing: apt-get install curl');
  for (const name of await readdir(tmpdir())) {
    const m = /^bmnet-http-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1])))
      await rm(join(tmpdir(), name), { recursive: true });
  }
  dir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  const root = join(dir, 'root');
  await mkdir(join(root, 'deploy'), { recursive: true });
  await writeFile(join(root, 'deploy', 'vmlinuz'), kernel);
  await writeFile(join(root, 'deploy', 'empty'), '');
  await writeFile(join(root, 'boot.ipxe'), '#!ipxe\necho static\n');
  await writeFile(join(dir, 'secret'), 'outside the root\n');
  await symlink(join(dir, 'secret'), join(root, 'escape'));
  await symlink('deploy/vmlinuz', join(root, 'alias'));
  await symlink('/dev/null', join(root, 'device'));
  await run('mkfifo', [join(root, 'fifo')]);
  server = await startHttpBootServer({
    listen: { host: '127.0.0.1', port: 0 },
    root,
    logger: silentLogger(),
    registry: new Registry(),
    resolveScript: ({ nodeName, local }) =>
      nodeName === 'n1' ? `#!ipxe\necho node n1 via ${local.address}:${local.port}\n` : null,
    onEvent: (e) => events.push(e),
  });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a whole file arrives byte for byte with its length', async () => {
  const r = await curl([`${base()}/deploy/vmlinuz`]);
  assert.equal(r.status, 200);
  assert.match(r.headers, new RegExp(`content-length: ${kernel.length}\\r`));
  assert.match(r.headers, /accept-ranges: bytes/);
  assert.equal(sha256(r.body), sha256(kernel));
  const done = await until(() =>
    events.find((e) => e.kind === 'completed' && e.path === '/deploy/vmlinuz' && e.method === 'GET'),
  );
  assert.equal(done.kind === 'completed' && done.bytes, kernel.length);
});

test('HEAD answers the headers of GET and no body (EDK2 HTTP boot asks HEAD first)', async () => {
  const r = await curl(['-I', `${base()}/deploy/vmlinuz`]);
  assert.equal(r.status, 200);
  assert.match(r.headers, new RegExp(`content-length: ${kernel.length}\\r`));
  // curl -I writes the headers to the output too: nothing may follow them
  assert.ok(r.body.toString().endsWith('\r\n\r\n'));
  const head = await until(() => events.find((e) => e.kind === 'completed' && e.method === 'HEAD'));
  assert.equal(head.kind === 'completed' && head.bytes, 0);
});

test('a single range is answered 206 with Content-Range', async () => {
  for (const { range, start, end } of [
    { range: '10-19', start: 10, end: 19 },
    { range: '-5', start: kernel.length - 5, end: kernel.length - 1 },
    { range: `${kernel.length - 3}-`, start: kernel.length - 3, end: kernel.length - 1 },
    { range: `100-${kernel.length + 50}`, start: 100, end: kernel.length - 1 },
  ]) {
    const r = await curl(['-r', range, `${base()}/deploy/vmlinuz`]);
    assert.equal(r.status, 206, range);
    assert.match(r.headers, new RegExp(`content-range: bytes ${start}-${end}/${kernel.length}\\r`), range);
    assert.deepEqual(r.body, kernel.subarray(start, end + 1), range);
  }
});

test('a range past the end is 416 with the size; several ranges get the whole file', async () => {
  const r = await curl(['-r', `${kernel.length}-`, `${base()}/deploy/vmlinuz`]);
  assert.equal(r.status, 416);
  assert.match(r.headers, new RegExp(`content-range: bytes \\*/${kernel.length}\\r`));
  const several = await curl(['-r', '0-1,5-6', `${base()}/deploy/vmlinuz`]);
  assert.equal(several.status, 200);
  assert.equal(several.body.length, kernel.length);
});

test('an empty file is 200 with length 0', async () => {
  const r = await curl([`${base()}/deploy/empty`]);
  assert.equal(r.status, 200);
  assert.match(r.headers, /content-length: 0\r/);
});

test('missing files are 404; traversal, symlinks out of the root, devices, FIFOs and directories are refused', async () => {
  const cases: [string, number][] = [
    ['/nothing-here', 404],
    ['/deploy/nothing/deeper', 404],
    ['/../secret', 403],
    ['/deploy/../../secret', 403],
    ['/%2e%2e/secret', 403],
    ['/deploy%2f..%2f..%2fsecret', 403],
    ['/escape', 403],
    ['/device', 403],
    ['/fifo', 403],
    ['/deploy', 403],
    ['/%zz', 400],
  ];
  for (const [path, status] of cases) {
    const r = await curl(['--path-as-is', `${base()}${path}`]);
    assert.equal(r.status, status, path);
    assert.ok(!r.body.toString().includes('outside the root'), path);
  }
  const refused = events.filter((e) => e.kind === 'refused').map((e) => e.kind === 'refused' && e.reason);
  assert.ok(refused.includes('outside-root') && refused.includes('not-a-file') && refused.includes('not-found'));
});

test('a symlink inside the root to a file inside it is served', async () => {
  const r = await curl([`${base()}/alias`]);
  assert.equal(r.status, 200);
  assert.equal(sha256(r.body), sha256(kernel));
});

test('other methods are 405 with Allow', async () => {
  const r = await curl(['-X', 'POST', '-d', 'x', `${base()}/boot.ipxe`]);
  assert.equal(r.status, 405);
  assert.match(r.headers, /allow: get, head/);
});

test("a node's script comes from the resolver; an unknown node is 404", async () => {
  const r = await curl([`${base()}/ipxe/n1.ipxe`]);
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), `#!ipxe\necho node n1 via 127.0.0.1:${server.address.port}\n`);
  assert.match(r.headers, /cache-control: no-store/);
  assert.equal((await curl([`${base()}/ipxe/n2.ipxe`])).status, 404);
  const part = await curl(['-r', '0-5', `${base()}/ipxe/n1.ipxe`]);
  assert.equal(part.status, 206);
  assert.equal(part.body.toString(), '#!ipxe');
});

/** What iPXE's HTTP client sends (iPXE src/net/tcp/httpcore.c): HTTP/1.1, keep-alive, its user agent. */
function ipxeGet(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.address.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nConnection: keep-alive\r\nUser-Agent: iPXE/1.0.0+ (4bd064de)\r\nHost: 127.0.0.1:${server.address.port}\r\n\r\n`,
      ),
    );
    socket.on('data', (c) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      const headerEnd = all.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(all.subarray(0, headerEnd).toString())?.[1]);
      if (all.length - headerEnd - 4 >= length) {
        socket.end();
        resolve(all);
      }
    });
    socket.on('error', reject);
  });
}

test('an iPXE-style keep-alive GET gets the script with its length', async () => {
  const reply = (await ipxeGet('/ipxe/n1.ipxe')).toString();
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(reply, /\r\n\r\n#!ipxe\necho node n1/);
});

test('a client that goes away mid-file is a failed event with the bytes sent so far', async () => {
  const before = events.length;
  await new Promise<void>((resolve, reject) => {
    const socket = connect(server.address.port, '127.0.0.1');
    socket.on('connect', () => socket.write('GET /deploy/vmlinuz HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
  const failed = await until(() => events.slice(before).find((e) => e.kind === 'failed'));
  assert.equal(failed.kind === 'failed' && failed.reason, 'client-closed');
  assert.ok(failed.kind === 'failed' && failed.bytes < kernel.length);
});
