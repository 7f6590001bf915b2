/**
 * What an operator meets first, through the real `bmnet` command: `check-config --probe` against a real Open vSwitch
 * (OVSDB) and a real sshd, and `serve` with a boot section naming only TFTP — served to tftp-hpa, shown by
 * `bmnet boot status`, and a TFTP port that is taken shown as failed (exit 1) until it is free.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type OvsTestbed, removeStale, startOvs } from '../helpers/ovs-testbed.ts';
import { freeTcpPort, isAlive, isRoot, start, stop, tryRun, until } from '../helpers/sh.ts';
import { removeStaleSshd, startSshd, type TestSshd } from '../helpers/sshd.ts';

const BMNET = join(import.meta.dirname, '../../bin/bmnet');
const skip = !isRoot() && 'needs root (Open vSwitch, sshd)';

let dir = '';
let ovs: OvsTestbed | undefined;
let sshd: TestSshd | undefined;
const children: ChildProcess[] = [];
let taken: Socket | undefined;

before(async () => {
  if (skip) return;
  for (const name of readdirSync(tmpdir())) {
    const m = /^bmnet-cc-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1])))
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  dir = mkdtempSync(join(tmpdir(), `bmnet-cc-${process.pid}-`));
  mkdirSync(join(dir, 'tftp'));
  writeFileSync(join(dir, 'tftp', 'undionly.kpxe'), 'pxe binary\n');
  await removeStale();
  await removeStaleSshd();
  ovs = await startOvs({ tag: 'cc' });
  sshd = await startSshd({ tag: 'cc' });
});

after(async () => {
  for (const c of children) await stop(c);
  taken?.close();
  await sshd?.stop();
  await ovs?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, `database: sqlite:${join(dir, `${name}.db`)}\nlog: {level: info}\n${text}`);
  return file;
}

const bmnet = (args: string[]) => tryRun(BMNET, args, 60_000);

test('check-config --probe opens the database and reads a real OVSDB switch and a real SSH switch', {
  skip,
}, async () => {
  assert.ok(ovs && sshd);
  const file = configFile(
    'probe-ok.yaml',
    `switches:
  - name: tor1
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    unbound: {vlan: 999}
  - name: tor2
    physnets: [physnet1]
    driver: ssh
    ssh:
      host: ${sshd.host}
      port: ${sshd.port}
      username: ${sshd.username}
      key_file: ${sshd.keyFile}
      profile: ovs
      options: {db_socket: "${ovs.dbSocket}", bridge: ${ovs.bridge}, rundir: "${ovs.rundir}", host_key_sha256: "${sshd.hostKeySha256}"}
    unbound: {vlan: 999}
`,
  );
  const r = await bmnet(['check-config', '--probe', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /: ok\n/);
  assert.match(r.stdout, /^database sqlite .*: ok, opened in \d+ ms$/m);
  assert.match(r.stdout, /^switch tor1 \(ovsdb unix:.*\): ok, answered in \d+ ms$/m);
  assert.match(r.stdout, /^switch tor2 \(ssh .* ovs\): ok, answered in \d+ ms$/m);
});

test('check-config --probe names the switch it cannot reach and exits 1; without --probe the file is ok', {
  skip,
}, async () => {
  assert.ok(sshd);
  const closed = await freeTcpPort();
  const file = configFile(
    'probe-bad.yaml',
    `switches:
  - name: tor3
    physnets: [physnet1]
    driver: ssh
    ssh: {host: 127.0.0.1, port: ${closed}, username: bmnet, key_file: ${sshd.keyFile}, profile: arista-eos}
    unbound: {shutdown: true}
  - name: tor4
    physnets: [physnet1]
    driver: ssh
    ssh:
      host: ${sshd.host}
      port: ${sshd.port}
      username: ${sshd.username}
      key_file: ${sshd.keyFile}
      profile: ovs
      options: {host_key_sha256: "SHA256:${'A'.repeat(43)}"}
    unbound: {vlan: 999}
`,
  );
  assert.equal((await bmnet(['check-config', file])).code, 0);
  const r = await bmnet(['check-config', '--probe', '--timeout', '3000', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^switch tor3 \(ssh bmnet@127\.0\.0\.1:\d+ arista-eos\): FAILED, .*ECONNREFUSED/m);
  assert.match(r.stdout, /^switch tor4 .*: FAILED, .*host key is not SHA256:A+/m);
});

test('check-config exits 2 naming file, line and key for a profile that does not exist', { skip }, async () => {
  const file = configFile(
    'bad-profile.yaml',
    'switches:\n  - {name: t, physnets: [physnet1], driver: ssh, unbound: {vlan: 9},\n     ssh: {host: h, username: u, password: p, profile: arista}}\n',
  );
  const r = await bmnet(['check-config', file]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    new RegExp(`^bmnet: ${file}:\\d+: switches\\[0\\]\\.ssh\\.profile: must be one of .*'arista'`),
  );
});

async function serveBoot(name: string, tftpPort: number): Promise<string> {
  const api = await freeTcpPort();
  const file = configFile(
    name,
    `listen: 127.0.0.1:${api}\nboot:\n  mode: listen\n  tftp: {listen: "127.0.0.1:${tftpPort}", root: ${join(dir, 'tftp')}}\n`,
  );
  const child = start(BMNET, ['serve', '-c', file]);
  children.push(child);
  const url = `http://127.0.0.1:${api}`;
  await until(async () => (await fetch(`${url}/v2.0/networks`).catch(() => null))?.ok ?? null, {
    timeoutMs: 30_000,
    what: 'bmnet serve answers',
  });
  return url;
}

test('serve with only boot.tftp serves TFTP to tftp-hpa; boot status shows TFTP serving and no HTTP', {
  skip,
}, async () => {
  const url = await serveBoot('tftp-only.yaml', 0);
  const status = await bmnet(['--url', url, 'boot', 'status']);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  const port = /serving 127\.0\.0\.1:(\d+)/.exec(status.stdout)?.[1];
  assert.ok(port, status.stdout);
  assert.match(status.stdout, /not configured/);
  const out = join(dir, 'got.kpxe');
  const get = await tryRun('tftp', ['127.0.0.1', port, '-m', 'binary', '-c', 'get', 'undionly.kpxe', out]);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(readFileSync(out, 'utf8'), 'pxe binary\n');
});

test('a TFTP port that is taken shows as failed in boot status (exit 1) and serves once it is free', {
  skip,
}, async () => {
  taken = createSocket('udp4');
  const busy = await new Promise<number>((resolve) =>
    taken?.bind(0, '127.0.0.1', () => resolve(taken?.address().port ?? 0)),
  );
  const url = await serveBoot('tftp-taken.yaml', busy);
  const failed = await until(
    async () => {
      const r = await bmnet(['--url', url, 'boot', 'status']);
      return r.code === 1 ? r : null;
    },
    { timeoutMs: 20_000, what: 'boot status reports the failed TFTP listener' },
  );
  assert.match(failed.stdout, /failed/);
  assert.match(failed.stdout, /EADDRINUSE/);
  taken.close();
  taken = undefined;
  const serving = await until(
    async () => {
      const r = await bmnet(['--url', url, 'boot', 'status']);
      return r.code === 0 && r.stdout.includes(`serving 127.0.0.1:${busy}`) ? r : null;
    },
    { timeoutMs: 20_000, what: 'the TFTP listener serves once its port is free' },
  );
  assert.doesNotMatch(serving.stdout, /EADDRINUSE/);
});
