/**
 * The dhcp role in attach mode: bmnet in-process with an OVS userspace bridge as
 * the physnet's bridge. Networks made through the API get an attachment (DHCP port, OVS internal port
 * on the VLAN, namespace); real udhcpc clients on VLAN access ports get what the database says, live,
 * and across a restart on the same SQLite file. Root only.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logging.ts';
import { type Running, serve } from '../../src/main.ts';
import type { Body } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { isRoot, run, tryRun, until } from '../helpers/sh.ts';

const skip = isRoot() ? false : 'needs root (namespaces, Open vSwitch)';

let ovs: OvsTestbed | undefined;
let running: Running | undefined;
let dir = '';
let yaml = '';
let prov: Body;
let insp: Body;
let c100: TestHost;
let c200: TestHost;
let cUnknown: TestHost;
let c300: TestHost;
const PXE_OPTS = [
  { opt_name: 'tag:!ipxe,67', opt_value: 'snponly.efi' },
  { opt_name: 'tag:ipxe,67', opt_value: 'http://10.83.0.2:8080/boot.ipxe' },
  { opt_name: '66', opt_value: '10.83.0.2' },
  { opt_name: '255', opt_value: '10.83.0.2' },
];

async function start(): Promise<Running> {
  running = await serve(parseConfig(yaml), silentLogger());
  return running;
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${running?.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function ok(method: string, path: string, body?: unknown): Promise<Body> {
  const r = await call(method, path, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function macOf(host: TestHost): Promise<string> {
  const { stdout } = await run('ip', ['-n', host.namespace, '-o', 'link', 'show', host.ifname]);
  const m = /link\/ether ([0-9a-f:]{17})/.exec(stdout);
  if (!m?.[1]) throw new Error(`no MAC on ${host.namespace}/${host.ifname}`);
  return m[1];
}

/** busybox udhcpc; its `bound` environment (the offered values), or null when no lease came. */
async function udhcpc(host: TestHost, tries = 3): Promise<Record<string, string> | null> {
  const out = join(dir, `${host.name}.env`);
  const script = join(dir, `${host.name}.sh`);
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${out}\nexit 0\n`);
  await chmod(script, 0o755);
  await rm(out, { force: true });
  const args = ['-f', '-q', '-n', '-i', host.ifname, '-s', script, '-t', String(tries), '-T', '1'];
  const r = await tryRun(
    'ip',
    ['netns', 'exec', host.namespace, 'busybox', 'udhcpc', ...args, '-O', 'mtu', '-O', '67', '-O', '66'],
    30_000,
  );
  if (r.code !== 0) return null;
  return Object.fromEntries(
    (await readFile(out, 'utf8'))
      .split('\n')
      .map((l) => /^([A-Za-z_0-9]+)=(.*)$/.exec(l))
      .flatMap((m) => (m?.[1] ? [[m[1], m[2] ?? '']] : [])),
  );
}

const attachmentOf = (networkId: string) => running?.dhcp?.attachments().find((a) => a.networkId === networkId);

async function namespaces(): Promise<string> {
  return (await run('ip', ['netns', 'list'])).stdout;
}

before(async () => {
  if (skip) return;
  await removeStale();
  dir = await mkdtemp(join(tmpdir(), 'bmnet-dhcp-attach-'));
  ovs = await startOvs({ tag: 'da' });
  yaml = [
    'listen: 127.0.0.1:0',
    `database: sqlite:${join(dir, 'bmnet.db')}`,
    'log: {level: silent}',
    'network:',
    '  physnets:',
    '    physnet1:',
    '      vlan_ranges: ["1000:1999"]',
    `      bridge: {name: ${ovs.bridge}, ovsdb: "${ovs.remote}", netns: ${ovs.namespace}}`,
    'dhcp:',
    '  mode: attach',
    '  lease_seconds: 600',
    '  dynamic_pools: {inspection: ["10.84.0.100-10.84.0.109"]}',
    'boot: {mode: "off"}',
    '',
  ].join('\n');
  c100 = await ovs.addHost({ name: 'c100', tag: 100 });
  c200 = await ovs.addHost({ name: 'c200', tag: 200 });
  cUnknown = await ovs.addHost({ name: 'cunk', tag: 100 });
  c300 = await ovs.addHost({ name: 'c300', tag: 300 });
  await start();
});

after(async () => {
  await running?.stop();
  await ovs?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a network with a DHCP subnet gets an attachment: a network:dhcp port with its address, an OVS port on its VLAN', {
  skip,
}, async () => {
  prov = (await ok('POST', '/v2.0/networks', { network: { name: 'provisioning', 'provider:segmentation_id': 100 } }))
    .network;
  await ok('POST', '/v2.0/subnets', {
    subnet: { network_id: prov.id, cidr: '10.83.0.0/24', ip_version: 4, dns_nameservers: ['10.83.0.53'] },
  });
  const a = await until(() => attachmentOf(prov.id), { timeoutMs: 15_000, what: 'the attachment' });
  const ports = (await ok('GET', `/v2.0/ports?network_id=${prov.id}&device_owner=network:dhcp`)).ports;
  assert.equal(ports.length, 1);
  assert.deepEqual(
    ports[0].fixed_ips.map((f: Body) => f.ip_address),
    ['10.83.0.2'],
  );
  assert.equal(a.address, '10.83.0.2/24');
  assert.equal(await ovs?.vsctl('get', 'port', a.device, 'tag'), '100');
  assert.match(await namespaces(), new RegExp(a.namespace));
});

test('a reserved client on the VLAN gets its address and options; another VLAN and unknown MACs get nothing', {
  skip,
}, async () => {
  await ok('POST', '/v2.0/ports', {
    port: {
      network_id: prov.id,
      mac_address: await macOf(c100),
      fixed_ips: [{ ip_address: '10.83.0.10' }],
      extra_dhcp_opts: PXE_OPTS,
    },
  });
  await ok('POST', '/v2.0/ports', {
    port: { network_id: prov.id, mac_address: await macOf(c200), fixed_ips: [{ ip_address: '10.83.0.20' }] },
  });
  const env = await udhcpc(c100);
  assert.equal(env?.ip, '10.83.0.10');
  assert.equal(env?.router, '10.83.0.1');
  assert.equal(env?.dns?.trim(), '10.83.0.53');
  assert.equal(env?.mtu, '1500');
  assert.equal(env?.serverid, '10.83.0.2');
  assert.equal(env?.siaddr, '10.83.0.2');
  assert.equal(env?.bootfile, 'snponly.efi');
  assert.equal(env?.tftp, '10.83.0.2');
  assert.equal(await udhcpc(c200, 2), null, 'a reserved MAC on VLAN 200 hears nothing');
  assert.equal(await udhcpc(cUnknown, 2), null, 'an unknown MAC gets nothing on a reservation-only network');
});

test('a new port, changed extra_dhcp_opts and a deleted port take effect without a restart', { skip }, async () => {
  const port = (
    await ok('POST', '/v2.0/ports', {
      port: { network_id: prov.id, mac_address: await macOf(cUnknown), fixed_ips: [{ ip_address: '10.83.0.30' }] },
    })
  ).port;
  assert.equal((await udhcpc(cUnknown))?.ip, '10.83.0.30');
  await ok('PUT', `/v2.0/ports/${port.id}`, { port: { extra_dhcp_opts: [{ opt_name: '67', opt_value: 'new.efi' }] } });
  assert.equal((await udhcpc(cUnknown))?.bootfile, 'new.efi');
  await ok('DELETE', `/v2.0/ports/${port.id}`);
  assert.equal(await udhcpc(cUnknown, 2), null);
});

test('the boot trace shows each exchange through the API (admin only) and the CLI', { skip }, async () => {
  const mac = await macOf(c100);
  const trace = await until(
    async () => {
      const events = (await ok('GET', `/v1/boot-trace?mac=${mac}`)).boot_trace as Body[];
      return events.some((e) => e.answer === 'ack') ? events : null;
    },
    { what: 'an ack in the boot trace' },
  );
  const discover = trace.find((e: Body) => e.message_type === 'discover');
  assert.equal(discover?.answer, 'offer');
  assert.equal(discover?.network_id, prov.id);
  assert.equal(discover?.ip_address, '10.83.0.10');
  assert.equal(discover?.bootfile, 'snponly.efi');
  const unknown = (await ok('GET', `/v1/boot-trace?mac=${await macOf(cUnknown)}`)).boot_trace as Body[];
  assert.ok(unknown.some((e) => e.answer === 'dropped' && e.drop_reason === 'unknown-client'));
  const member = await fetch(`${running?.url}/v1/boot-trace?mac=${mac}`, {
    headers: { 'x-project-id': 'alice', 'x-roles': 'member' },
  });
  assert.equal(member.status, 403);
  assert.equal((await call('GET', '/v1/boot-trace?mac=nope')).status, 400);
  const cli = await run(process.execPath, ['src/cli/main.ts', '--url', running?.url ?? '', 'boot-trace', mac]);
  assert.match(cli.stdout, /discover/);
  assert.match(cli.stdout, /ack/);
});

test('a VLAN change moves the attachment: the client on the new VLAN is served', { skip }, async () => {
  await ok('PUT', `/v2.0/networks/${prov.id}`, { network: { 'provider:segmentation_id': 200 } });
  await until(async () => (await ovs?.vsctl('get', 'port', attachmentOf(prov.id)?.device ?? '-', 'tag')) === '200', {
    timeoutMs: 10_000,
    what: 'the attachment on VLAN 200',
  });
  assert.equal((await udhcpc(c200))?.ip, '10.83.0.20');
  assert.equal(await udhcpc(c100, 2), null, 'VLAN 100 is no longer served');
  await ok('PUT', `/v2.0/networks/${prov.id}`, { network: { 'provider:segmentation_id': 100 } });
  await until(async () => (await ovs?.vsctl('get', 'port', attachmentOf(prov.id)?.device ?? '-', 'tag')) === '100', {
    timeoutMs: 10_000,
    what: 'the attachment back on VLAN 100',
  });
});

test('a dynamic pool leases to unknown MACs; leases and reservations survive a restart', { skip }, async () => {
  insp = (await ok('POST', '/v2.0/networks', { network: { name: 'inspection', 'provider:segmentation_id': 300 } }))
    .network;
  await ok('POST', '/v2.0/subnets', { subnet: { network_id: insp.id, cidr: '10.84.0.0/24', ip_version: 4 } });
  await until(() => attachmentOf(insp.id), { timeoutMs: 15_000, what: 'the inspection attachment' });
  assert.equal((await udhcpc(c300))?.ip, '10.84.0.100');

  const before = [attachmentOf(prov.id)?.namespace, attachmentOf(insp.id)?.namespace];
  await running?.stop();
  running = undefined;
  const after = await namespaces();
  for (const namespace of before) assert.ok(namespace && !after.includes(namespace), 'stop removes the namespaces');
  await start();
  await until(() => attachmentOf(prov.id) && attachmentOf(insp.id), { timeoutMs: 20_000, what: 'attachments' });
  const ports = (await ok('GET', `/v2.0/ports?network_id=${prov.id}&device_owner=network:dhcp`)).ports;
  assert.equal(ports.length, 1, 'the DHCP port is kept, not made again');
  assert.equal((await udhcpc(c100))?.ip, '10.83.0.10', 'reservation after the restart');
  const macBefore = await macOf(c300);
  assert.equal((await udhcpc(c300))?.ip, '10.84.0.100', 'the same lease after the restart');
  // another MAC must not get the address still leased to c300
  await run('ip', ['-n', c300.namespace, 'link', 'set', c300.ifname, 'address', '02:dd:00:00:00:03']);
  try {
    assert.equal((await udhcpc(c300))?.ip, '10.84.0.101');
  } finally {
    await run('ip', ['-n', c300.namespace, 'link', 'set', c300.ifname, 'address', macBefore]);
  }
});

test('deleting a network removes its namespace and OVS port', { skip }, async () => {
  const a = attachmentOf(insp.id);
  assert.ok(a);
  await ok('DELETE', `/v2.0/networks/${insp.id}`);
  await until(() => attachmentOf(insp.id) === undefined, { timeoutMs: 10_000, what: 'the attachment to go' });
  assert.doesNotMatch(await namespaces(), new RegExp(a.namespace));
  assert.doesNotMatch(await (ovs?.vsctl('list-ports', ovs.bridge) ?? ''), new RegExp(a.device));
});
