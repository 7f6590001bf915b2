/**
 * bmnet's TFTP server on loopback against the real clients from Debian: tftp-hpa (`tftp`), atftp and
 * curl. Files must arrive byte for byte; refusals must reach the client with the right error code.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { startTftpServer, type TftpEvent, type TftpServer } from '../../src/boot/tftp/server.ts';
import { silentLogger } from '../../src/logging.ts';
import { isAlive, run, tryRun, until } from '../helpers/sh.ts';

const PREFIX = 'bmnet-tftp-';
let dir = '';
let root = '';
let server: TftpServer;
const events: TftpEvent[] = [];
const files = {
  small: randomBytes(3000),
  exact: randomBytes(1468 * 4), // a multiple of the block size: ends with an empty block
  medium: randomBytes(3 * 1024 * 1024 + 17),
  large: randomBytes(5 * 1024 * 1024),
};

async function removeStaleDirs(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    const m = /^bmnet-tftp-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
      await rm(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const port = () => String(server.address.port);

async function need(cmd: string, pkg: string): Promise<void> {
  const r = await tryRun('sh', ['-c', `command -v ${cmd}`]);
  if (r.code !== 0) throw new Error(`${cmd} is missing: apt-get install ${pkg}`);
}

before(async () => {
  await need('tftp', 'tftp-hpa');
  await need('atftp', 'atftp');
  await need('curl', 'curl');
  await removeStaleDirs();
  dir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  root = join(dir, 'root');
  await mkdir(join(root, 'pxelinux.cfg'), { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(join(root, name), data);
  await writeFile(join(root, 'pxelinux.cfg', 'default'), 'DEFAULT deploy\nLABEL deploy\n  KERNEL vmlinuz\n');
  await writeFile(join(dir, 'secret'), 'outside the root\n');
  await symlink(join(dir, 'secret'), join(root, 'escape'));
  await symlink('small', join(root, 'alias'));
  await mkdir(join(root, 'subdir'));
  await run('mkfifo', [join(root, 'fifo')]);
  server = await startTftpServer({
    listen: { host: '127.0.0.1', port: 0 },
    root,
    logger: silentLogger(),
    registry: new Registry(),
    onEvent: (e) => events.push(e),
  });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const out = (name: string) => join(dir, `out-${name}-${Math.random().toString(36).slice(2)}`);

const downloads: { name: string; file: keyof typeof files; fetch: (file: string, to: string) => Promise<unknown> }[] = [
  {
    name: 'tftp-hpa (RFC 1350, 512-byte blocks, no options)',
    file: 'medium',
    fetch: (f, to) => run('tftp', ['-v', '127.0.0.1', port(), '-m', 'binary', '-c', 'get', f, to]),
  },
  {
    name: 'atftp with blksize 1468 and tsize',
    file: 'medium',
    fetch: (f, to) =>
      run('atftp', ['--option', 'blksize 1468', '--option', 'tsize 0', '-g', '-r', f, '-l', to, '127.0.0.1', port()]),
  },
  {
    name: 'atftp with windowsize 8 (RFC 7440)',
    file: 'medium',
    fetch: (f, to) =>
      run('atftp', [
        ...['--option', 'blksize 1468', '--option', 'tsize 0', '--option', 'windowsize 8'],
        ...['-g', '-r', f, '-l', to, '127.0.0.1', port()],
      ]),
  },
  {
    name: 'curl with --tftp-blksize 1468',
    file: 'medium',
    fetch: (f, to) => run('curl', ['-sS', `tftp://127.0.0.1:${port()}/${f}`, '--tftp-blksize', '1468', '-o', to]),
  },
  {
    name: 'curl, a file that is a multiple of the block size',
    file: 'exact',
    fetch: (f, to) => run('curl', ['-sS', `tftp://127.0.0.1:${port()}/${f}`, '--tftp-blksize', '1468', '-o', to]),
  },
  {
    name: 'tftp-hpa, a small file',
    file: 'small',
    fetch: (f, to) => run('tftp', ['127.0.0.1', port(), '-m', 'binary', '-c', 'get', f, to]),
  },
];

for (const { name, file, fetch } of downloads) {
  test(`${name} downloads a byte-exact file`, async () => {
    const to = out(file);
    await fetch(file, to);
    assert.equal(sha256(await readFile(to)), sha256(files[file]));
  });
}

test('a symlink inside the root is followed, and the completion is reported', async () => {
  const to = out('alias');
  await run('tftp', ['127.0.0.1', port(), '-m', 'binary', '-c', 'get', 'alias', to]);
  assert.equal(sha256(await readFile(to)), sha256(files.small));
  const done = await until(() => events.find((e) => e.kind === 'completed' && e.file === 'alias'));
  assert.ok(done.kind === 'completed');
  assert.equal(done.bytes, files.small.length);
  assert.equal(done.blockSize, 512);
  assert.equal(done.client.address, '127.0.0.1');
});

test('netascii mode (tftp-hpa -m ascii) gives back the text file', async () => {
  const to = out('ascii');
  await run('tftp', ['127.0.0.1', port(), '-m', 'ascii', '-c', 'get', 'pxelinux.cfg/default', to]);
  assert.equal(await readFile(to, 'utf8'), 'DEFAULT deploy\nLABEL deploy\n  KERNEL vmlinuz\n');
});

const refusals: { name: string; file: string; code: number }[] = [
  { name: 'a missing file', file: 'missing.efi', code: 1 },
  { name: 'a path with ..', file: '../secret', code: 2 },
  { name: 'a .. hidden in the middle', file: 'pxelinux.cfg/../../secret', code: 2 },
  { name: 'a symlink leaving the root', file: 'escape', code: 2 },
  { name: 'a directory', file: 'subdir', code: 2 },
  { name: 'a FIFO (not a regular file)', file: 'fifo', code: 2 },
  { name: 'an absolute path outside the root (the leading / is dropped)', file: '/etc/passwd', code: 1 },
];
for (const { name, file, code } of refusals) {
  test(`tftp-hpa sees error ${code} for ${name}`, async () => {
    const r = await run('tftp', ['127.0.0.1', port(), '-m', 'binary', '-c', 'get', file, out('refused')]);
    assert.match(r.stdout + r.stderr, new RegExp(`Error code ${code}:`));
    const refused = events.find((e) => e.kind === 'refused' && e.file === file);
    assert.equal(refused?.kind === 'refused' && refused.code, code);
  });
}

test('atftp and curl see the refusals too', async () => {
  const atftp = await tryRun('atftp', ['-g', '-r', 'escape', '-l', out('a'), '127.0.0.1', port()]);
  assert.match(atftp.stdout + atftp.stderr, /Access violation/);
  // curl: 68 = CURLE_TFTP_NOTFOUND (error 1), 69 = CURLE_TFTP_PERM (error 2)
  const missing = await tryRun('curl', ['-sS', `tftp://127.0.0.1:${port()}/missing`, '-o', out('c')]);
  assert.equal(missing.code, 68);
  const escaping = await tryRun('curl', ['-sS', `tftp://127.0.0.1:${port()}/escape`, '-o', out('c')]);
  assert.equal(escaping.code, 69);
});

test('a file over 32 MiB at blksize 512 crosses block 65535 and arrives intact (tftp-hpa)', async () => {
  const big = randomBytes(33 * 1024 * 1024 + 100);
  await writeFile(join(root, 'big.img'), big);
  const to = out('big');
  await run('tftp', ['127.0.0.1', port(), '-m', 'binary', '-c', 'get', 'big.img', to], { timeoutMs: 300_000 });
  assert.equal(sha256(await readFile(to)), sha256(big));
  const done = await until(() => events.find((e) => e.kind === 'completed' && e.file === 'big.img'), {
    what: 'the completion event of big.img',
  });
  assert.ok(done.kind === 'completed' && done.bytes === big.length && done.blockSize === 512);
  await rm(to);
  await rm(join(root, 'big.img'));
});

test('with allowWrites, tftp-hpa, atftp (windowsize 8) and curl write byte-exact files; refusals carry codes 2, 3, 6', async (t) => {
  const inbox = join(dir, 'inbox');
  await mkdir(join(inbox, 'uploads'), { recursive: true });
  const writeEvents: TftpEvent[] = [];
  const writable = await startTftpServer({
    listen: { host: '127.0.0.1', port: 0 },
    root: inbox,
    logger: silentLogger(),
    registry: new Registry(),
    allowWrites: true,
    maxWriteBytes: 4 * 1024 * 1024,
    onEvent: (e) => writeEvents.push(e),
  });
  t.after(() => writable.close());
  const wport = String(writable.address.port);
  const local = join(root, 'medium');
  await run('tftp', ['127.0.0.1', wport, '-m', 'binary', '-c', 'put', local, 'uploads/hpa.bin']);
  await run('atftp', [
    ...['--option', 'blksize 1468', '--option', 'windowsize 8'],
    ...['-p', '-l', local, '-r', 'uploads/atftp.bin', '127.0.0.1', wport],
  ]);
  await run('curl', ['-sS', '-T', local, `tftp://127.0.0.1:${wport}/uploads/curl.bin`, '--tftp-blksize', '1468']);
  await until(() => writeEvents.filter((e) => e.kind === 'completed').length === 3, { what: 'three stored files' });
  for (const name of ['hpa.bin', 'atftp.bin', 'curl.bin']) {
    assert.equal(sha256(await readFile(join(inbox, 'uploads', name))), sha256(files.medium), name);
  }
  const text = join(dir, 'text.txt');
  await writeFile(text, 'line one\nline two\r\n');
  await run('tftp', ['127.0.0.1', wport, '-m', 'ascii', '-c', 'put', text, 'text.txt']);
  await until(() => writeEvents.some((e) => e.kind === 'completed' && e.file === 'text.txt'));
  assert.equal(await readFile(join(inbox, 'text.txt'), 'utf8'), 'line one\nline two\r\n');

  const put = (file: string) => run('tftp', ['127.0.0.1', wport, '-m', 'binary', '-c', 'put', local, file]);
  assert.match(Object.values(await put('uploads/hpa.bin')).join(''), /Error code 6: File already exists/);
  assert.match(Object.values(await put('../escape.bin')).join(''), /Error code 2: Access violation/);
  assert.match(Object.values(await put('missing-dir/x.bin')).join(''), /Error code 1:/);
  const tooBig = await tryRun('curl', ['-sS', '-T', join(root, 'large'), `tftp://127.0.0.1:${wport}/big.bin`]);
  assert.notEqual(tooBig.code, 0);
  assert.ok(writeEvents.some((e) => e.kind === 'refused' && e.file === 'big.bin' && e.code === 3));
  assert.deepStrictEqual(await readdir(inbox), ['text.txt', 'uploads'], 'no partial files are left');
});
