/**
 * The dhcp role in relay mode: bmnet in-process listens on `dhcp.relay_listen`, a real
 * ISC dhcrelay in a middle namespace relays a udhcpc client's requests; the network is the one whose
 * subnet holds giaddr, and option 82 lands in the boot trace. Root only.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logging.ts';
import { type Running, serve } from '../../src/main.ts';
import { type Body, callOk } from '../helpers/bmnet.ts';
import {
  addNamespace,
  addVeth,
  deleteNamespace,
  namespaceName,
  removeStaleNamespaces,
  uniqueName,
} from '../helpers/netns.ts';
import { isRoot, run, start, stop, tryRun, until } from '../helpers/sh.ts';

const skip = isRoot() ? false : 'needs root (network namespaces)';

const ns = { relay: namespaceName('rly'), client: namespaceName('rcl') };
const ifs = { host: uniqueName('rh'), up: uniqueName('ru'), down: uniqueName('rd'), client: uniqueName('rc') };
const CLIENT_MAC = '02:ee:00:00:00:01';
let running: Running | undefined;
let relay: ChildProcess | undefined;
let dir = '';

const ok = (method: string, path: string, body?: unknown): Promise<Body> =>
  callOk(String(running?.url), method, path, body);

before(async () => {
  if (skip) return;
  await removeStaleNamespaces();
  dir = await mkdtemp(join(tmpdir(), 'bmnet-dhcp-relay-'));
  for (const name of Object.values(ns)) await addNamespace(name);
  // bmnet (this process, host namespace) 10.87.0.1 ⟷ relay 10.87.0.2 … relay 10.88.0.1 ⟷ client
  await addVeth({ a: ifs.up, nsA: ns.relay, b: ifs.host, nsB: null, cidr: '10.87.0.2/24' });
  await run('ip', ['addr', 'add', '10.87.0.1/24', 'dev', ifs.host]);
  await tryRun('ethtool', ['-K', ifs.host, 'tx', 'off']);
  await run('ip', ['route', 'add', '10.88.0.0/24', 'via', '10.87.0.2', 'dev', ifs.host]);
  await addVeth({ a: ifs.down, nsA: ns.relay, b: ifs.client, nsB: ns.client, cidr: '10.88.0.1/24' });
  await run('ip', ['-n', ns.client, 'link', 'set', ifs.client, 'down']);
  await run('ip', ['-n', ns.client, 'link', 'set', ifs.client, 'address', CLIENT_MAC]);
  await run('ip', ['-n', ns.client, 'link', 'set', ifs.client, 'up']);
  const yaml = [
    'listen: 127.0.0.1:0',
    `database: sqlite:${join(dir, 'bmnet.db')}`,
    'log: {level: silent}',
    'dhcp: {mode: relay, relay_listen: "10.87.0.1:67", lease_seconds: 600}',
    '',
  ].join('\n');
  running = await serve(parseConfig(yaml), silentLogger());
  relay = start('ip', [
    'netns',
    'exec',
    ns.relay,
    'dhcrelay',
    '-4',
    '-d',
    '-a',
    '--no-pid',
    '-id',
    ifs.down,
    '-iu',
    ifs.up,
    '10.87.0.1',
  ]);
});

after(async () => {
  if (relay) await stop(relay, 'SIGKILL');
  await running?.stop();
  await tryRun('ip', ['link', 'del', ifs.host]); // its route goes with it
  for (const name of Object.values(ns)) await deleteNamespace(name);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a relayed client gets its reservation on the network whose subnet holds giaddr; option 82 is traced', {
  skip,
}, async () => {
  const net = (await ok('POST', '/v2.0/networks', { network: { name: 'routed' } })).network;
  await ok('POST', '/v2.0/subnets', {
    subnet: { network_id: net.id, cidr: '10.88.0.0/24', ip_version: 4, gateway_ip: '10.88.0.1' },
  });
  await ok('POST', '/v2.0/ports', {
    port: { network_id: net.id, mac_address: CLIENT_MAC, fixed_ips: [{ ip_address: '10.88.0.20' }] },
  });
  const out = join(dir, 'udhcpc.env');
  const script = join(dir, 'udhcpc.sh');
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${out}\nexit 0\n`);
  await chmod(script, 0o755);
  const args = ['-f', '-q', '-n', '-i', ifs.client, '-s', script, '-t', '5', '-T', '1'];
  const r = await tryRun('ip', ['netns', 'exec', ns.client, 'busybox', 'udhcpc', ...args], 30_000);
  assert.equal(r.code, 0, r.stderr);
  const env = await readFile(out, 'utf8');
  assert.match(env, /^ip=10\.88\.0\.20$/m);
  assert.match(env, /^router=10\.88\.0\.1$/m);
  assert.match(env, /^serverid=10\.87\.0\.1$/m);
  const trace = await until(
    async () => {
      const events = (await ok('GET', `/v1/boot-trace?mac=${CLIENT_MAC}`)).boot_trace as Body[];
      return events.find((e) => e.answer === 'ack');
    },
    { what: 'the ack in the boot trace' },
  );
  assert.equal(trace.relay, '10.88.0.1');
  assert.equal(trace.network_id, net.id);
  // dhcrelay -a: circuit id (sub-option 1) = the downstream interface name
  assert.ok(String(trace.relay_agent_info).includes(Buffer.from(ifs.down).toString('hex')));
});
