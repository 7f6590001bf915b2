/**
 * The boot service on a DHCP attachment's namespace (docs/architecture.md §8): TFTP and HTTP sockets are created in the
 * namespace by a helper and served by this process; a client in another namespace on the same link gets
 * files and per-node scripts with tftp-hpa, atftp and curl; every transfer has its own port in the
 * namespace; trace entries name the network; the helper's memory is measured; a network that stops
 * booting is no longer served. Root only.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BootService, type BootTraceEntry } from '../../src/boot/service.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logging.ts';
import { addNamespace, addVeth, deleteNamespace, namespaceName, removeStaleNamespaces } from '../helpers/netns.ts';
import { isAlive, isRoot, run, start, stop, tryRun, until } from '../helpers/sh.ts';

const skip = isRoot() ? false : 'needs root (namespaces)';
const SERVER = '10.77.0.1';
const serverNs = namespaceName('bsrv');
const clientNs = namespaceName('bcli');
let dir = '';
let service: BootService | undefined;
const entries: BootTraceEntry[] = [];
const kernel = randomBytes(2 * 1024 * 1024 + 5);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const inClient = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', clientNs, cmd, ...args]);

before(async () => {
  if (skip) return;
  for (const cmd of [
    ['tftp', 'tftp-hpa'],
    ['atftp', 'atftp'],
    ['curl', 'curl'],
  ]) {
    if ((await tryRun('sh', ['-c', `command -v ${cmd[0]}`])).code !== 0) {
      throw new Error(`${cmd[0]} is missing: apt-get install ${cmd[1]}`);
    }
  }
  await removeStaleNamespaces();
  for (const name of await readdir(tmpdir())) {
    const m = /^bmnet-boot-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1])))
      await rm(join(tmpdir(), name), { recursive: true });
  }
  dir = await mkdtemp(join(tmpdir(), `bmnet-boot-${process.pid}-`));
  await mkdir(join(dir, 'tftp'));
  await mkdir(join(dir, 'http'));
  await writeFile(join(dir, 'tftp', 'undionly.kpxe'), kernel);
  await writeFile(join(dir, 'http', 'vmlinuz'), kernel);
  await addNamespace(serverNs);
  await addNamespace(clientNs);
  await addVeth({ a: 'srv0', nsA: serverNs, b: 'cli0', nsB: clientNs, cidr: `${SERVER}/24` });
  await run('ip', ['-n', clientNs, 'addr', 'add', '10.77.0.50/24', 'dev', 'cli0']);
  const config = parseConfig(`
dhcp: {mode: attach}
boot:
  mode: attach
  attach: [prov]
  tftp: {root: ${join(dir, 'tftp')}}
  http: {root: ${join(dir, 'http')}}
  script: {chain: "{http}/stage/{stage}.ipxe?node={node}"}
`);
  service = await BootService.start({
    config: config.boot,
    logger: silentLogger(),
    trace: { record: (e) => entries.push(e) },
    script: async (name, http) => (name === 'n1' ? `#!ipxe\necho n1 from ${http}\n` : null),
    networkName: async (id) => (id === 'net-1' ? 'prov' : id === 'net-2' ? 'tenant' : null),
  });
  await service.sync([
    { networkId: 'net-1', namespace: serverNs, address: `${SERVER}/24` },
    { networkId: 'net-2', namespace: clientNs, address: '10.77.0.50/24' },
  ]);
});

after(async () => {
  await service?.stop();
  await deleteNamespace(clientNs);
  await deleteNamespace(serverNs);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('only boot networks get listeners, inside their namespace', { skip }, async () => {
  const status = service?.status() ?? [];
  assert.deepEqual(
    status.map((s) => [s.networkId, s.namespace, s.tftp?.address, s.http?.address]),
    [['net-1', serverNs, `${SERVER}:69`, `${SERVER}:8080`]],
  );
  const { stdout } = await run('ip', ['netns', 'exec', serverNs, 'ss', '-Hlnu', 'sport', '= :69']);
  assert.match(stdout, /10\.77\.0\.1:69/);
  const tcp = await run('ip', ['netns', 'exec', serverNs, 'ss', '-Hlnt', 'sport', '= :8080']);
  assert.match(tcp.stdout, /10\.77\.0\.1:8080/);
  const host = await run('ss', ['-Hlnu', 'sport', '= :69']);
  assert.doesNotMatch(host.stdout, /10\.77\.0\.1/);
});

test('tftp-hpa and atftp get a file and a node script from the namespace', { skip }, async () => {
  const out = join(dir, 'got-hpa');
  await inClient('tftp', ['-m', 'binary', SERVER, '-c', 'get', 'undionly.kpxe', out]);
  assert.equal(sha256(await readFile(out)), sha256(kernel));
  const script = join(dir, 'got-script');
  await inClient('tftp', ['-m', 'binary', SERVER, '-c', 'get', 'ipxe/n1.ipxe', script]);
  assert.equal(await readFile(script, 'utf8'), `#!ipxe\necho n1 from http://${SERVER}:8080\n`);
  const outs = [1, 2, 3].map((i) => join(dir, `got-atftp-${i}`));
  await Promise.all(
    outs.map((o) =>
      inClient('atftp', [
        '--option',
        'blksize 1432',
        '--option',
        'tsize 0',
        '-g',
        '-r',
        'undionly.kpxe',
        '-l',
        o,
        SERVER,
      ]),
    ),
  );
  for (const o of outs) assert.equal(sha256(await readFile(o)), sha256(kernel));
  const unknown = await tryRun('ip', [
    'netns',
    'exec',
    clientNs,
    'tftp',
    SERVER,
    '-c',
    'get',
    'ipxe/nx.ipxe',
    join(dir, 'x'),
  ]);
  assert.match(unknown.stdout + unknown.stderr, /No such node/);
});

test('curl gets a file (ranges too) and a node script over HTTP in the namespace', { skip }, async () => {
  const out = join(dir, 'got-http');
  await inClient('curl', ['-sSf', '-o', out, `http://${SERVER}:8080/vmlinuz`]);
  assert.equal(sha256(await readFile(out)), sha256(kernel));
  // the bytes are random: compare them as a file (stdout is decoded as UTF-8)
  await inClient('curl', ['-sSf', '-r', '0-3', '-o', `${out}.part`, `http://${SERVER}:8080/vmlinuz`]);
  assert.deepEqual(await readFile(`${out}.part`), kernel.subarray(0, 4));
  const script = await inClient('curl', ['-sSf', `http://${SERVER}:8080/ipxe/n1.ipxe`]);
  assert.equal(script.stdout, `#!ipxe\necho n1 from http://${SERVER}:8080\n`);
});

test('trace entries name the network, the client and the bytes', { skip }, async () => {
  const done = entries.filter((e) => e.kind === 'completed');
  assert.ok(
    done.some((e) => e.protocol === 'tftp' && e.file === 'undionly.kpxe' && e.bytes === kernel.length),
    JSON.stringify(done),
  );
  assert.ok(done.some((e) => e.protocol === 'http' && e.file === '/vmlinuz' && e.bytes === kernel.length));
  assert.ok(done.every((e) => e.networkId === 'net-1' && e.client === '10.77.0.50'));
  assert.ok(entries.some((e) => e.kind === 'refused' && e.protocol === 'tftp' && e.file === 'ipxe/nx.ipxe'));
});

test('the namespace helper is one small process per boot network', { skip }, async () => {
  const pid = service?.status()[0]?.helperPid;
  assert.ok(typeof pid === 'number' && isAlive(pid));
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
  // figure for docs/boot.md; not a timing or size assertion beyond "it is a process"
  process.stdout.write(`# boot namespace helper VmRSS ${(rssKiB / 1024).toFixed(1)} MiB\n`);
  assert.ok(rssKiB > 0);
});

test('an attachment re-created under the same names is served from its new namespace', { skip }, async () => {
  const before = service?.status()[0]?.helperPid;
  // as the dhcp role does it: the namespace goes (its device with it) and comes back with the same name
  await run('ip', ['-n', clientNs, 'link', 'del', 'cli0']);
  await run('ip', ['netns', 'del', serverNs]);
  await addNamespace(serverNs);
  await addVeth({ a: 'srv0', nsA: serverNs, b: 'cli0', nsB: clientNs, cidr: `${SERVER}/24` });
  await run('ip', ['-n', clientNs, 'addr', 'add', '10.77.0.50/24', 'dev', 'cli0']);
  await service?.sync([
    { networkId: 'net-1', namespace: serverNs, address: `${SERVER}/24` },
    { networkId: 'net-2', namespace: clientNs, address: '10.77.0.50/24' },
  ]);
  const after = service?.status()[0]?.helperPid;
  assert.ok(typeof after === 'number' && after !== before);
  assert.ok(typeof before === 'number' && !isAlive(before));
  const script = await inClient('curl', ['-sSf', `http://${SERVER}:8080/ipxe/n1.ipxe`]);
  assert.equal(script.stdout, `#!ipxe\necho n1 from http://${SERVER}:8080\n`);
});

test('a network that stops booting is no longer served and its helper ends', { skip }, async () => {
  const pid = service?.status()[0]?.helperPid;
  await service?.sync([]);
  assert.deepEqual(service?.status(), []);
  await until(() => typeof pid === 'number' && !isAlive(pid), { what: 'the helper to exit' });
  const r = await tryRun('ip', ['netns', 'exec', clientNs, 'curl', '-sS', '-m', '2', `http://${SERVER}:8080/vmlinuz`]);
  assert.notEqual(r.code, 0);
});

// `ss` in the namespace sees sockets held by this process too: a half-open listener shows up here.
async function boundInServerNs(): Promise<{ udp: string; tcp: string }> {
  const udp = await run('ip', ['netns', 'exec', serverNs, 'ss', '-Hlnu', 'sport', '= :69']);
  const tcp = await run('ip', ['netns', 'exec', serverNs, 'ss', '-Hlnt', 'sport', '= :8080']);
  return { udp: udp.stdout.trim(), tcp: tcp.stdout.trim() };
}

/** Namespace helpers of this process (`ip netns exec` execs node with the helper's heap flag). */
const namespaceHelpers = async () =>
  (await tryRun('pgrep', ['-P', String(process.pid), '-f', 'max-old-space-size=16'])).stdout.trim();

/** A boot service on the server namespace's attachment with these roots, retrying every 50 ms. */
async function attachedService(roots: { tftp: string; http: string }): Promise<BootService> {
  const config = parseConfig(`
dhcp: {mode: attach}
boot: {mode: attach, tftp: {root: ${roots.tftp}}, http: {root: ${roots.http}}}
`);
  const s = await BootService.start({
    config: config.boot,
    logger: silentLogger(),
    trace: { record: () => {} },
    script: async () => null,
    networkName: async () => 'prov',
    retryMs: 50,
  });
  await s.sync([{ networkId: 'net-1', namespace: serverNs, address: `${SERVER}/24` }]);
  return s;
}

/** Each protocol's state on the one listener: `serving` / `failed`, or '' when there is no listener. */
const states = (s: BootService) => {
  const [l] = s.status();
  return { tftp: l?.tftp?.state ?? '', http: l?.http?.state ?? '' };
};
const isBothServing = (s: BootService) => {
  const { tftp, http } = states(s);
  return tftp === 'serving' && http === 'serving';
};

test('a listener whose root is missing still serves the other protocol, and serves both once the root exists', {
  skip,
}, async () => {
  assert.deepEqual(await boundInServerNs(), { udp: '', tcp: '' });
  for (const missing of ['tftp', 'http'] as const) {
    const other = missing === 'tftp' ? 'http' : 'tftp';
    const roots = { tftp: join(dir, 'tftp'), http: join(dir, 'http'), [missing]: join(dir, `late-${missing}`) };
    const late = await attachedService(roots);
    try {
      assert.deepEqual(states(late), { [missing]: 'failed', [other]: 'serving' }, `${missing} root missing`);
      assert.match(late.status()[0]?.[missing]?.error ?? '', /no such file or directory/);
      const bound = await boundInServerNs();
      assert.equal(missing === 'tftp' ? bound.udp : bound.tcp, '', `${missing} root missing: its socket is closed`);
      assert.notEqual(missing === 'tftp' ? bound.tcp : bound.udp, '', `${missing} root missing: ${other} serves`);
      if (missing === 'http') {
        await writeFile(join(roots.tftp, 'early.bin'), kernel);
        const early = join(dir, 'got-early');
        await inClient('tftp', ['-m', 'binary', SERVER, '-c', 'get', 'early.bin', early]);
        assert.equal(sha256(await readFile(early)), sha256(kernel), 'TFTP serves while HTTP cannot start');
      }
      await mkdir(roots[missing]);
      await writeFile(join(roots.tftp, 'late.bin'), kernel);
      await until(() => isBothServing(late), { what: `the retry once the ${missing} root exists` });
      assert.equal(await namespaceHelpers(), String(late.status()[0]?.helperPid));
      const out = join(dir, `got-late-${missing}`);
      await inClient('tftp', ['-m', 'binary', SERVER, '-c', 'get', 'late.bin', out]);
      assert.equal(sha256(await readFile(out)), sha256(kernel));
    } finally {
      await late.stop();
      await rm(roots[missing], { recursive: true, force: true });
    }
    assert.deepEqual(await boundInServerNs(), { udp: '', tcp: '' }, `${missing}: stop closes both listeners`);
    assert.equal(await namespaceHelpers(), '', `${missing}: stop ends the helper`);
  }
});

test('a listener with neither root leaves no socket or helper behind', { skip }, async () => {
  const late = await attachedService({ tftp: join(dir, 'none-tftp'), http: join(dir, 'none-http') });
  try {
    assert.deepEqual(states(late), { tftp: 'failed', http: 'failed' });
    assert.deepEqual(await boundInServerNs(), { udp: '', tcp: '' });
    assert.equal(await namespaceHelpers(), '', 'nothing serves: the helper ended');
  } finally {
    await late.stop();
  }
});

test('a listener whose HTTP port is taken serves TFTP, and serves HTTP once the port is free', {
  skip,
}, async () => {
  const squatter = start('ip', [
    'netns',
    'exec',
    serverNs,
    'python3',
    '-c',
    `import socket, time; s = socket.socket(); s.bind(("${SERVER}", 8080)); s.listen(); print("ready", flush=True); time.sleep(60)`,
  ]);
  try {
    await until(async () => (await boundInServerNs()).tcp !== '', { what: 'python3 on :8080' });
    const late = await attachedService({ tftp: join(dir, 'tftp'), http: join(dir, 'http') });
    try {
      assert.deepEqual(states(late), { tftp: 'serving', http: 'failed' });
      assert.match(late.status()[0]?.http?.error ?? '', /EADDRINUSE|address already in use/i);
      assert.notEqual((await boundInServerNs()).udp, '', 'TFTP serves while HTTP cannot start');
      await stop(squatter);
      await until(() => isBothServing(late), { what: 'the retry once :8080 is free' });
      const status = await inClient('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        `http://${SERVER}:8080/x`,
      ]);
      assert.equal(status.stdout, '404');
    } finally {
      await late.stop();
    }
    assert.deepEqual(await boundInServerNs(), { udp: '', tcp: '' }, 'stop closes both listeners');
  } finally {
    await stop(squatter);
  }
});
