/**
 * bmnet's DHCP server against real clients: busybox udhcpc and ISC dhclient in their own
 * namespaces, served from a socket handed over from the server's namespace; a real relay (ISC
 * dhcrelay) in a middle namespace for relay mode. Root only.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { MemoryDhcpState, type NetworkConfig } from '../../src/dhcp/memory-state.ts';
import type { Reservation, SubnetView } from '../../src/dhcp/model.ts';
import { openNamespaceSocket } from '../../src/dhcp/netns-socket.ts';
import { createDhcpMetrics, type DhcpServer, startDhcpServer } from '../../src/dhcp/server.ts';
import { DhcpSocketUnavailable } from '../../src/domain/errors.ts';
import { type Mac, parseMac } from '../../src/domain/values.ts';
import { silentLogger } from '../../src/logging.ts';
import {
  addNamespace,
  addVeth,
  deleteNamespace,
  inNamespace,
  namespaceName,
  removeStaleNamespaces,
  uniqueName,
} from '../helpers/netns.ts';
import { isRoot, run, start, stop, tryRun, until } from '../helpers/sh.ts';

const skip = isRoot() ? false : 'needs root (network namespaces)';

const ns = {
  server: namespaceName('dsrv'),
  client: namespaceName('dcli'),
  relayServer: namespaceName('drsrv'),
  relay: namespaceName('drel'),
  relayClient: namespaceName('drcli'),
};
const ifs = {
  server: uniqueName('ds'),
  client: uniqueName('dc'),
  relayServer: uniqueName('rs'),
  relayUp: uniqueName('ru'),
  relayDown: uniqueName('rd'),
  relayClient: uniqueName('rc'),
};

const UDHCPC_MAC = parseMac('02:bb:00:00:00:01');
const DHCLIENT_MAC = parseMac('02:bb:00:00:00:02');
const UNKNOWN_MAC = parseMac('02:bb:00:00:00:03');
const RELAYED_MAC = parseMac('02:bb:00:00:00:04');

const pxeOpts = [
  { optName: 'tag:!ipxe,67', optValue: 'snponly.efi', ipVersion: 4 as const },
  { optName: 'tag:ipxe,67', optValue: 'http://10.77.0.1:8080/boot.ipxe', ipVersion: 4 as const },
  { optName: '66', optValue: '10.77.0.1', ipVersion: 4 as const },
  { optName: '150', optValue: '10.77.0.1', ipVersion: 4 as const },
  { optName: '255', optValue: '10.77.0.1', ipVersion: 4 as const },
];
const reservation = (mac: Mac, ip: string): Reservation => ({
  mac,
  ip,
  portId: null,
  hostname: null,
  extraDhcpOpts: pxeOpts,
});

const subnetA: SubnetView = {
  id: 'sub-a',
  cidr: '10.77.0.0/24',
  gateway: '10.77.0.254',
  dnsServers: ['10.77.0.2', '10.77.0.3'],
  hostRoutes: [],
  mtu: 1450,
  domain: 'prov.bmnet.test',
  dynamicPools: [],
};
const netA: NetworkConfig = {
  networkId: 'net-a',
  serverAddress: '10.77.0.1',
  subnets: [subnetA],
  reservations: new Map([
    [UDHCPC_MAC, reservation(UDHCPC_MAC, '10.77.0.10')],
    [DHCLIENT_MAC, reservation(DHCLIENT_MAC, '10.77.0.11')],
  ]),
  leaseSeconds: 600,
};
const netRelayed: NetworkConfig = {
  networkId: 'net-r',
  serverAddress: '10.78.0.1',
  subnets: [{ ...subnetA, id: 'sub-r', cidr: '10.79.0.0/24', gateway: '10.79.0.1', domain: null }],
  reservations: new Map([[RELAYED_MAC, reservation(RELAYED_MAC, '10.79.0.20')]]),
  leaseSeconds: 600,
};

const registry = new Registry();
const metrics = createDhcpMetrics(registry);
const state = new MemoryDhcpState();
const servers: DhcpServer[] = [];
const children: ChildProcess[] = [];
let dir = '';

async function counter(name: string, label?: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? [])
    .filter((v) => label === undefined || Object.values(v.labels).includes(label))
    .reduce((sum, v) => sum + v.value, 0);
}

async function setMac(namespace: string, dev: string, mac: Mac): Promise<void> {
  await run('ip', ['-n', namespace, 'link', 'set', dev, 'down']);
  await run('ip', ['-n', namespace, 'link', 'set', dev, 'address', mac]);
  await run('ip', ['-n', namespace, 'link', 'set', dev, 'up']);
}

/** udhcpc's hook script: on `bound`, its environment (the offered values) goes to a file. */
async function udhcpc(namespace: string, dev: string, tag: string, extra: readonly string[] = []) {
  const out = join(dir, `udhcpc-${tag}.env`);
  const script = join(dir, `udhcpc-${tag}.sh`);
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${out}\nexit 0\n`);
  await chmod(script, 0o755);
  const r = await tryRun(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      'busybox',
      'udhcpc',
      '-f',
      '-q',
      '-n',
      '-i',
      dev,
      '-s',
      script,
      '-t',
      '3',
      '-T',
      '1',
      ...extra,
    ],
    30_000,
  );
  const env = r.code === 0 ? parseEnv(await readFile(out, 'utf8')) : null;
  return { code: r.code, env };
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => /^([A-Za-z_0-9]+)=(.*)$/.exec(l))
      .flatMap((m) => (m?.[1] ? [[m[1], m[2] ?? '']] : [])),
  );
}

before(async () => {
  if (skip) return;
  await removeStaleNamespaces();
  dir = await mkdtemp(join(tmpdir(), 'bmnet-dhcp-'));
  for (const name of Object.values(ns)) await addNamespace(name);
  // attached: server ⟷ client on one segment
  await addVeth({ a: ifs.server, nsA: ns.server, b: ifs.client, nsB: ns.client, cidr: '10.77.0.1/24' });
  await run('ip', ['-n', ns.server, 'route', 'add', '255.255.255.255/32', 'dev', ifs.server]);
  // relayed: relay server ⟷ relay (up) … relay (down) ⟷ client
  await addVeth({ a: ifs.relayServer, nsA: ns.relayServer, b: ifs.relayUp, nsB: ns.relay, cidr: '10.78.0.1/24' });
  await run('ip', ['-n', ns.relay, 'addr', 'add', '10.78.0.2/24', 'dev', ifs.relayUp]);
  await run('ip', ['-n', ns.relayServer, 'route', 'add', '10.79.0.0/24', 'via', '10.78.0.2']);
  await addVeth({ a: ifs.relayDown, nsA: ns.relay, b: ifs.relayClient, nsB: ns.relayClient, cidr: '10.79.0.1/24' });

  state.putNetwork(netA);
  state.putNetwork(netRelayed);
  const log = silentLogger();
  servers.push(
    startDhcpServer({
      socket: await openNamespaceSocket(ns.server),
      listener: { kind: 'attached', networkId: 'net-a' },
      pathMtu: 1500,
      state,
      metrics,
      log,
    }),
    startDhcpServer({
      socket: await openNamespaceSocket(ns.relayServer),
      listener: { kind: 'relay' },
      pathMtu: 1500,
      state,
      metrics,
      log,
    }),
  );
});

after(async () => {
  for (const c of children) await stop(c, 'SIGKILL');
  for (const s of servers) await s.close();
  for (const name of Object.values(ns)) await deleteNamespace(name);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('udhcpc gets its reserved address, router, DNS, MTU, domain, bootfile and next-server', { skip }, async () => {
  await setMac(ns.client, ifs.client, UDHCPC_MAC);
  const { code, env } = await udhcpc(ns.client, ifs.client, 'reserved', ['-O', 'mtu', '-O', '67', '-O', '66']);
  assert.equal(code, 0);
  assert.equal(env?.ip, '10.77.0.10');
  assert.equal(env?.subnet, '255.255.255.0');
  assert.equal(env?.router, '10.77.0.254');
  assert.equal(env?.dns?.trim(), '10.77.0.2 10.77.0.3');
  assert.equal(env?.mtu, '1450');
  assert.equal(env?.domain, 'prov.bmnet.test');
  assert.equal(env?.siaddr, '10.77.0.1');
  assert.equal(env?.serverid, '10.77.0.1');
  assert.equal(env?.bootfile, 'snponly.efi', 'udhcpc is no iPXE: the tag:!ipxe bootfile');
  assert.equal(env?.boot_file, 'snponly.efi');
  assert.equal(env?.tftp, '10.77.0.1');
  assert.equal(env?.lease, '600');
});

test('a client saying user class iPXE gets the tag:ipxe bootfile', { skip }, async () => {
  await setMac(ns.client, ifs.client, UDHCPC_MAC);
  const { env } = await udhcpc(ns.client, ifs.client, 'ipxe', ['-O', '67', '-x', '0x4d:69505845']);
  assert.equal(env?.bootfile, 'http://10.77.0.1:8080/boot.ipxe');
});

test('dhclient gets its reserved address and options (lease file and hook environment)', { skip }, async () => {
  await setMac(ns.client, ifs.client, DHCLIENT_MAC);
  const lease = join(dir, 'dhclient.leases');
  const out = join(dir, 'dhclient.env');
  const script = join(dir, 'dhclient-hook.sh');
  const conf = join(dir, 'dhclient.conf');
  await writeFile(
    script,
    `#!/bin/sh\ncase "$reason" in BOUND|REBOOT) env > ${out}.tmp && mv ${out}.tmp ${out};; esac\nexit 0\n`,
  );
  await chmod(script, 0o755);
  await writeFile(
    conf,
    'timeout 20;\nrequest subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, interface-mtu, tftp-server-name, bootfile-name;\n',
  );
  const child = start('ip', [
    'netns',
    'exec',
    ns.client,
    'dhclient',
    '-4',
    '-d',
    '-1',
    '-cf',
    conf,
    '-lf',
    lease,
    '-pf',
    join(dir, 'dhclient.pid'),
    '-sf',
    script,
    ifs.client,
  ]);
  children.push(child);
  try {
    const env = parseEnv(await until(() => readFile(out, 'utf8'), { timeoutMs: 25_000, what: 'dhclient BOUND' }));
    assert.equal(env.new_ip_address, '10.77.0.11');
    assert.equal(env.new_routers, '10.77.0.254');
    assert.equal(env.new_domain_name_servers, '10.77.0.2 10.77.0.3');
    assert.equal(env.new_interface_mtu, '1450');
    assert.equal(env.new_domain_name, 'prov.bmnet.test');
    assert.equal(env.new_filename, 'snponly.efi');
    const leaseText = await readFile(lease, 'utf8');
    assert.match(leaseText, /fixed-address 10\.77\.0\.11;/);
    assert.match(leaseText, /option routers 10\.77\.0\.254;/);
    assert.match(leaseText, /option interface-mtu 1450;/);
    assert.match(leaseText, /filename "snponly\.efi";/);
  } finally {
    await stop(child, 'SIGKILL');
  }
});

test('a dhclient rebooting with a wrong address gets a NAK, then its reserved address', { skip }, async () => {
  await setMac(ns.client, ifs.client, DHCLIENT_MAC);
  const lease = join(dir, 'dhclient-nak.leases');
  const out = join(dir, 'dhclient-nak.env');
  const script = join(dir, 'dhclient-nak.sh');
  await writeFile(
    script,
    `#!/bin/sh\ncase "$reason" in BOUND|REBOOT) env > ${out}.tmp && mv ${out}.tmp ${out};; esac\nexit 0\n`,
  );
  await chmod(script, 0o755);
  await writeFile(
    lease,
    `lease {\n  interface "${ifs.client}";\n  fixed-address 10.77.0.99;\n  option subnet-mask 255.255.255.0;\n  option dhcp-lease-time 600;\n  option dhcp-server-identifier 10.77.0.1;\n  renew 4 2037/01/01 00:00:00;\n  rebind 4 2037/01/01 00:00:00;\n  expire 4 2037/01/01 00:00:00;\n}\n`,
  );
  const naksBefore = await counter('bmnet_dhcp_replies_total', 'nak');
  const child = start('ip', [
    'netns',
    'exec',
    ns.client,
    'dhclient',
    '-4',
    '-d',
    '-1',
    '-lf',
    lease,
    '-pf',
    join(dir, 'nak.pid'),
    '-sf',
    script,
    ifs.client,
  ]);
  children.push(child);
  try {
    const env = parseEnv(
      await until(() => readFile(out, 'utf8'), { timeoutMs: 25_000, what: 'dhclient BOUND after NAK' }),
    );
    assert.equal(env.new_ip_address, '10.77.0.11');
    assert.equal(await counter('bmnet_dhcp_replies_total', 'nak'), naksBefore + 1);
    const nak = state.traceOf(DHCLIENT_MAC).find((e) => e.answer === 'nak');
    assert.equal(nak?.messageType, 'request');
  } finally {
    await stop(child, 'SIGKILL');
  }
});

test('an unknown MAC gets nothing on a reservation-only network, and a lease from a dynamic pool', {
  skip,
}, async () => {
  await setMac(ns.client, ifs.client, UNKNOWN_MAC);
  const droppedBefore = await counter('bmnet_dhcp_dropped_total', 'unknown-client');
  const refused = await udhcpc(ns.client, ifs.client, 'unknown', ['-t', '2']);
  assert.notEqual(refused.code, 0);
  assert.ok((await counter('bmnet_dhcp_dropped_total', 'unknown-client')) >= droppedBefore + 2);

  state.putNetwork({
    ...netA,
    subnets: [{ ...subnetA, dynamicPools: [{ start: '10.77.0.100', end: '10.77.0.109' }] }],
  });
  try {
    const leased = await udhcpc(ns.client, ifs.client, 'dynamic');
    assert.equal(leased.code, 0);
    assert.equal(leased.env?.ip, '10.77.0.100');
    const lease = state.leasesOf('net-a').find((l) => l.mac === UNKNOWN_MAC);
    assert.equal(lease?.state, 'bound');
    assert.equal(lease?.ip, '10.77.0.100');
  } finally {
    state.putNetwork(netA);
  }
});

test('a malformed packet is counted and the server still answers the next client', { skip }, async () => {
  const before = await counter('bmnet_dhcp_malformed_total');
  const send = `const s=require('node:dgram').createSocket('udp4');s.send(Buffer.from('0101060000','hex'),67,'127.0.0.1',()=>s.close())`;
  await inNamespace(ns.server, process.execPath, ['-e', send]);
  await until(async () => (await counter('bmnet_dhcp_malformed_total', 'truncated')) > before, {
    what: 'malformed counter',
  });
  await setMac(ns.client, ifs.client, UDHCPC_MAC);
  const { env } = await udhcpc(ns.client, ifs.client, 'after-bad');
  assert.equal(env?.ip, '10.77.0.10');
});

test('relay mode: dhcrelay forwards, the subnet comes from giaddr, option 82 is recorded', { skip }, async () => {
  const relay = start('ip', [
    'netns',
    'exec',
    ns.relay,
    'dhcrelay',
    '-4',
    '-d',
    '-a',
    '--no-pid',
    '-id',
    ifs.relayDown,
    '-iu',
    ifs.relayUp,
    '10.78.0.1',
  ]);
  children.push(relay);
  try {
    await setMac(ns.relayClient, ifs.relayClient, RELAYED_MAC);
    const { code, env } = await udhcpc(ns.relayClient, ifs.relayClient, 'relayed', ['-t', '5']);
    assert.equal(code, 0);
    assert.equal(env?.ip, '10.79.0.20');
    assert.equal(env?.router, '10.79.0.1');
    assert.equal(env?.serverid, '10.78.0.1');
    const ack = state.traceOf(RELAYED_MAC).find((e) => e.answer === 'ack');
    assert.equal(ack?.relay, '10.79.0.1');
    assert.equal(ack?.networkId, 'net-r');
    // dhcrelay -a: circuit id (sub-option 1) = the downstream interface name
    assert.ok(ack?.relayAgentInfo?.includes(Buffer.from(ifs.relayDown).toString('hex')));
  } finally {
    await stop(relay, 'SIGKILL');
  }
});

test('a packet sent at the attached listener with a giaddr is dropped as unexpected-relay', { skip }, async () => {
  const before = await counter('bmnet_dhcp_dropped_total', 'unexpected-relay');
  // a DISCOVER with giaddr 10.77.0.254, built by hand and sent over loopback in the server namespace
  const send = `const b=Buffer.alloc(300);b[0]=1;b[1]=1;b[2]=6;b.writeUInt32BE(0x0a4d00fe,24);b.set([2,0xbb,0,0,0,1],28);b.writeUInt32BE(0x63825363,236);b.set([53,1,1,255],240);const s=require('node:dgram').createSocket('udp4');s.send(b,67,'127.0.0.1',()=>s.close())`;
  await inNamespace(ns.server, process.execPath, ['-e', send]);
  await until(async () => (await counter('bmnet_dhcp_dropped_total', 'unexpected-relay')) > before, {
    what: 'unexpected-relay counter',
  });
});

test('a namespace socket that cannot be opened fails with the namespace and the reason', { skip }, async () => {
  await assert.rejects(openNamespaceSocket(namespaceName('absent')), (err: unknown) => {
    return err instanceof DhcpSocketUnavailable && err.message.includes(namespaceName('absent'));
  });
  // port 67 of the server namespace is taken by the socket bmnet serves from
  await assert.rejects(openNamespaceSocket(ns.server), (err: unknown) => {
    return err instanceof DhcpSocketUnavailable && /EADDRINUSE/.test(err.message);
  });
});
