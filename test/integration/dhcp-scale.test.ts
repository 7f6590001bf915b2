/**
 * One bmnet process serves 200 networks in attach mode: 200 attachments (OVS internal port,
 * namespace, socket) and the whole process stays within 300 MB RSS; a client on the last network is
 * served; deleting the networks removes every namespace. Memory bound only, no timing. Root only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { attachmentNames } from '../../src/dhcp/attachments.ts';
import { silentLogger } from '../../src/logging.ts';
import { type Running, serve } from '../../src/main.ts';
import { type Body, callOk } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs } from '../helpers/ovs-testbed.ts';
import { isRoot, run, tryRun, until } from '../helpers/sh.ts';

const skip = isRoot() ? false : 'needs root (namespaces, Open vSwitch)';
const NETWORKS = 200;
const RSS_LIMIT_BYTES = 300 * 1024 * 1024;

let ovs: OvsTestbed | undefined;
let running: Running | undefined;
let dir = '';
const networkIds: string[] = [];

const ok = (method: string, path: string, body?: unknown): Promise<Body> =>
  callOk(String(running?.url), method, path, body);

/** How many of our networks' attachment namespaces exist (other bmnet processes may have their own). */
async function attachmentNamespaces(): Promise<number> {
  const present = new Set((await run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]));
  return networkIds.filter((id) => present.has(attachmentNames(id).namespace)).length;
}

before(async () => {
  if (skip) return;
  await removeStale();
  dir = await mkdtemp(join(tmpdir(), 'bmnet-dhcp-scale-'));
  ovs = await startOvs({ tag: 'ds' });
  const yaml = [
    'listen: 127.0.0.1:0',
    `database: sqlite:${join(dir, 'bmnet.db')}`,
    'log: {level: silent}',
    'network:',
    '  physnets:',
    '    physnet1:',
    '      vlan_ranges: ["1000:1999"]',
    `      bridge: {name: ${ovs.bridge}, ovsdb: "${ovs.remote}", netns: ${ovs.namespace}}`,
    'dhcp: {mode: attach}',
    'boot: {mode: "off"}',
    '',
  ].join('\n');
  running = await serve(parseConfig(yaml), silentLogger());
});

after(async () => {
  await running?.stop();
  await ovs?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test(`${NETWORKS} networks are served by one process within 300 MB RSS`, { skip, timeout: 600_000 }, async (t) => {
  for (let i = 0; i < NETWORKS; i++) {
    const vlan = 2000 + i;
    const net = (await ok('POST', '/v2.0/networks', { network: { name: `n${i}`, 'provider:segmentation_id': vlan } }))
      .network;
    networkIds.push(net.id);
    await ok('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, cidr: `10.${100 + Math.floor(i / 256)}.${i % 256}.0/24`, ip_version: 4 },
    });
  }
  await until(() => running?.dhcp?.attachments().length === NETWORKS, {
    timeoutMs: 480_000,
    intervalMs: 500,
    what: `${NETWORKS} attachments`,
  });
  assert.equal(await attachmentNamespaces(), NETWORKS);

  // the last network serves a real client
  const last = NETWORKS - 1;
  const host = await ovs?.addHost({ name: 'c', tag: 2000 + last });
  assert.ok(host);
  const mac = /link\/ether ([0-9a-f:]{17})/.exec(
    (await run('ip', ['-n', host.namespace, '-o', 'link', 'show', host.ifname])).stdout,
  )?.[1];
  await ok('POST', '/v2.0/ports', {
    port: { network_id: networkIds[last], mac_address: mac, fixed_ips: [{ ip_address: `10.100.${last}.10` }] },
  });
  const r = await tryRun(
    'ip',
    ['netns', 'exec', host.namespace, 'busybox', 'udhcpc', '-f', '-q', '-n', '-i', host.ifname, '-t', '3', '-T', '1'],
    30_000,
  );
  assert.equal(r.code, 0, `udhcpc on network ${last}: ${r.stderr}`);
  assert.match(r.stderr + r.stdout, new RegExp(`10\\.100\\.${last}\\.10`));

  const rss = process.memoryUsage().rss;
  t.diagnostic(`RSS ${Math.round(rss / 2 ** 20)} MiB with ${NETWORKS} networks served`);
  assert.ok(rss <= RSS_LIMIT_BYTES, `RSS ${Math.round(rss / 2 ** 20)} MiB with ${NETWORKS} networks served`);
});

test('deleting the networks removes every attachment namespace', { skip, timeout: 600_000 }, async () => {
  for (const p of (await ok('GET', '/v2.0/ports?device_owner=')).ports) await ok('DELETE', `/v2.0/ports/${p.id}`);
  for (const id of networkIds) await ok('DELETE', `/v2.0/networks/${id}`);
  await until(async () => (await attachmentNamespaces()) === 0 && running?.dhcp?.attachments().length === 0, {
    timeoutMs: 300_000,
    intervalMs: 500,
    what: 'no attachments',
  });
});
