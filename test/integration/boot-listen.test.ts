/**
 * The boot service on a configured listen address (`boot.mode: listen`, routed set-ups): TFTP and HTTP
 * on loopback, files and per-node scripts for tftp-hpa and curl, scripts pointing at the HTTP address,
 * trace entries without a network.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BootService, type BootTraceEntry } from '../../src/boot/service.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logging.ts';
import { isAlive, run, tryRun, until } from '../helpers/sh.ts';

let dir = '';
let service: BootService | undefined;
const entries: BootTraceEntry[] = [];
const ports = () => {
  const [l] = service?.status() ?? [];
  return { tftp: l?.tftp?.address?.split(':')[1] ?? '', http: l?.http?.address?.split(':')[1] ?? '' };
};

before(async () => {
  for (const [cmd, pkg] of [
    ['tftp', 'tftp-hpa'],
    ['curl', 'curl'],
  ]) {
    if ((await tryRun('sh', ['-c', `command -v ${cmd}`])).code !== 0)
      throw new Error(`${cmd} is missing: apt-get install ${pkg}`);
  }
  for (const name of await readdir(tmpdir())) {
    const m = /^bmnet-bootl-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1])))
      await rm(join(tmpdir(), name), { recursive: true });
  }
  dir = await mkdtemp(join(tmpdir(), `bmnet-bootl-${process.pid}-`));
  await mkdir(join(dir, 'tftp'));
  await mkdir(join(dir, 'http'));
  await writeFile(join(dir, 'tftp', 'undionly.kpxe'), 'pxe binary\n');
  const config = parseConfig(`
boot:
  mode: listen
  tftp: {listen: "127.0.0.1:0", root: ${join(dir, 'tftp')}}
  http: {listen: "127.0.0.1:0", root: ${join(dir, 'http')}}
`);
  service = await BootService.start({
    config: config.boot,
    logger: silentLogger(),
    trace: { record: (e) => entries.push(e) },
    script: async (name, http) => (name === 'n1' ? `#!ipxe\nchain ${http}/next.ipxe\n` : null),
    networkName: async () => null,
  });
});

after(async () => {
  await service?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('TFTP and HTTP serve files and node scripts; the script names the HTTP listener', async () => {
  const { tftp, http } = ports();
  const out = join(dir, 'got');
  await run('tftp', ['-m', 'binary', '127.0.0.1', tftp, '-c', 'get', 'ipxe/n1.ipxe', out]);
  assert.equal(await readFile(out, 'utf8'), `#!ipxe\nchain http://127.0.0.1:${http}/next.ipxe\n`);
  await run('tftp', ['-m', 'binary', '127.0.0.1', tftp, '-c', 'get', 'undionly.kpxe', out]);
  assert.equal(await readFile(out, 'utf8'), 'pxe binary\n');
  const script = await run('curl', ['-sSf', `http://127.0.0.1:${http}/ipxe/n1.ipxe`]);
  assert.equal(script.stdout, `#!ipxe\nchain http://127.0.0.1:${http}/next.ipxe\n`);
  const done = await until(() => {
    const d = entries.filter((e) => e.kind === 'completed');
    return d.length >= 3 ? d : null;
  });
  assert.deepEqual(
    done.map((e) => [e.protocol, e.file, e.networkId]),
    [
      ['tftp', 'ipxe/n1.ipxe', null],
      ['tftp', 'undionly.kpxe', null],
      ['http', '/ipxe/n1.ipxe', null],
    ],
  );
});

test('a sync of attachments changes nothing in listen mode', async () => {
  await service?.sync([{ networkId: 'net-1', namespace: 'bmnet-none', address: '10.0.0.2/24' }]);
  assert.deepEqual(
    service?.status().map((s) => s.networkId),
    [null],
  );
});
