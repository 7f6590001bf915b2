/**
 * DHCP on an Open vSwitch userspace switch: bmnet serves from a socket handed over from a
 * namespace on VLAN 100's access port; a reserved client on VLAN 100 gets its address, the same kind
 * of client on VLAN 200 gets nothing until its switch port moves to VLAN 100. Root only.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { MemoryDhcpState } from '../../src/dhcp/memory-state.ts';
import { openNamespaceSocket } from '../../src/dhcp/netns-socket.ts';
import { createDhcpMetrics, type DhcpServer, startDhcpServer } from '../../src/dhcp/server.ts';
import { type Mac, parseMac } from '../../src/domain/values.ts';
import { silentLogger } from '../../src/logging.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { isRoot, run, tryRun } from '../helpers/sh.ts';

const skip = isRoot() ? false : 'needs root (namespaces, Open vSwitch)';

let ovs: OvsTestbed | undefined;
let server: DhcpServer | undefined;
let dir = '';
let client100: TestHost;
let client200: TestHost;
const state = new MemoryDhcpState();
const reserved = new Map<Mac, string>();

async function macOf(host: TestHost): Promise<Mac> {
  const { stdout } = await run('ip', ['-n', host.namespace, '-o', 'link', 'show', host.ifname]);
  const m = /link\/ether ([0-9a-f:]{17})/.exec(stdout);
  if (!m?.[1]) throw new Error(`no MAC on ${host.namespace}/${host.ifname}`);
  return parseMac(m[1]);
}

/** busybox udhcpc with a hook that writes the bound address; null when no lease came. */
async function leaseFor(host: TestHost): Promise<string | null> {
  const out = join(dir, `${host.name}.ip`);
  const script = join(dir, `${host.name}.sh`);
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && echo "$ip" > ${out}\nexit 0\n`);
  await chmod(script, 0o755);
  await rm(out, { force: true });
  const r = await tryRun(
    'ip',
    [
      'netns',
      'exec',
      host.namespace,
      'busybox',
      'udhcpc',
      '-f',
      '-q',
      '-n',
      '-i',
      host.ifname,
      '-s',
      script,
      '-t',
      '3',
      '-T',
      '1',
    ],
    30_000,
  );
  return r.code === 0 ? (await readFile(out, 'utf8')).trim() : null;
}

before(async () => {
  if (skip) return;
  await removeStale();
  dir = await mkdtemp(join(tmpdir(), 'bmnet-dhcp-vlan-'));
  ovs = await startOvs({ tag: 'dv' });
  const attachment = await ovs.addHost({ name: 'srv', cidr: '10.81.0.1/24', tag: 100 });
  await run('ip', ['-n', attachment.namespace, 'route', 'add', '255.255.255.255/32', 'dev', attachment.ifname]);
  client100 = await ovs.addHost({ name: 'c100', tag: 100 });
  client200 = await ovs.addHost({ name: 'c200', tag: 200 });
  const mac100 = await macOf(client100);
  const mac200 = await macOf(client200);
  reserved.set(mac100, '10.81.0.10');
  reserved.set(mac200, '10.81.0.20');
  state.putNetwork({
    networkId: 'net-100',
    serverAddress: '10.81.0.1',
    subnets: [
      {
        id: 'sub-100',
        cidr: '10.81.0.0/24',
        gateway: '10.81.0.254',
        dnsServers: [],
        hostRoutes: [],
        mtu: null,
        domain: null,
        dynamicPools: [],
      },
    ],
    reservations: new Map(
      [...reserved].map(([mac, ip]) => [mac, { mac: mac, ip, portId: null, hostname: null, extraDhcpOpts: [] }]),
    ),
    leaseSeconds: 600,
  });
  server = startDhcpServer({
    socket: await openNamespaceSocket(attachment.namespace),
    listener: { kind: 'attached', networkId: 'net-100' },
    pathMtu: 1500,
    state,
    metrics: createDhcpMetrics(new Registry()),
    log: silentLogger(),
  });
});

after(async () => {
  await server?.close();
  await ovs?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a reserved client on the attachment VLAN gets its address through OVS', { skip }, async () => {
  assert.equal(await leaseFor(client100), '10.81.0.10');
});

test('a reserved client on another VLAN gets nothing until its port moves to the VLAN', { skip }, async () => {
  const mac200 = await macOf(client200);
  assert.equal(await leaseFor(client200), null);
  assert.equal(state.traceOf(mac200).length, 0, 'its DISCOVERs never reached the server');
  await ovs?.vsctl('set', 'port', client200.port, 'tag=100');
  assert.equal(await leaseFor(client200), '10.81.0.20');
});
