/**
 * A real PXE boot from bmnet: a QEMU VM (SeaBIOS + the virtio NIC's iPXE ROM, TCG) on a tap
 * port of an Open vSwitch userspace switch is a node of the node API. Moved to provisioning, its iPXE gets
 * DHCP from bmnet's attachment on the provisioning VLAN, fetches its per-node script over TFTP from the
 * boot role on that attachment, runs it (a marker on the serial console), chains to a script over HTTP
 * (a second marker), and the boot trace shows DISCOVER → ACK → TFTP → done. Moved to a tenant network,
 * the same VM gets no DHCP answer (iPXE gives up) while a tenant host on the tenant VLAN sees its
 * DHCPDISCOVERs. Root only; two TCG boots (~20 s each without a bmnet-side RA is expected; the test
 * segment has an RA-only dnsmasq, as shared/testbed/README.md pitfall 3 recommends).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { uniqueName } from '../helpers/netns.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost, torConfigYaml } from '../helpers/ovs-testbed.ts';
import { type PxeVm, requireQemu, startPxeVm } from '../helpers/qemu.ts';
import { isRoot, run, start, stop, tryRun, until } from '../helpers/sh.ts';

const skip = isRoot() ? false : 'needs root (namespaces, Open vSwitch, QEMU taps)';
const Q = 997; // the switch's VLAN for unbound ports
const MAC = '52:54:00:b0:07:01';
const NODE = 'pxe-1';
const ATTACHMENT = '10.66.100.2'; // the provisioning network's first address after the gateway: its DHCP port
const BOOT_TIMEOUT_MS = 120_000;

let ovs: OvsTestbed | undefined;
let b: TestBmnet | undefined;
let dir = '';
let tap = '';
let vm: PxeVm | undefined;
let tenantHost: TestHost;
let raHost: TestHost;
const helpers: ChildProcess[] = [];
let provisioning: Body;

async function ok(method: string, path: string, body?: unknown): Promise<Body> {
  const r = await b?.call(method, path, body);
  assert.ok(r && r.status < 300, `${method} ${path}: ${r?.status} ${JSON.stringify(r?.body)}`);
  return r.body;
}

async function move(network: Body): Promise<Body> {
  const r = await ok('PUT', `/v1/nodes/${NODE}/network`, { network });
  return until(
    async () => {
      const op = (await ok('GET', `/v1/operations/${r.operation.id}`)).operation;
      return op.state === 'running' ? null : op;
    },
    { timeoutMs: 30_000, what: `the move to ${network.stage}` },
  );
}

const trace = async (): Promise<Body[]> => (await ok('GET', `/v1/boot-trace?mac=${MAC}&limit=1000`)).boot_trace;

before(async () => {
  if (skip) return;
  await requireQemu();
  for (const cmd of ['dnsmasq', 'tcpdump']) {
    if ((await tryRun('sh', ['-c', `command -v ${cmd}`])).code !== 0) {
      throw new Error(`${cmd} is missing: apt-get install ${cmd === 'dnsmasq' ? 'dnsmasq-base' : 'tcpdump'}`);
    }
  }
  await removeStale();
  dir = await mkdtemp(join(tmpdir(), 'bmnet-pxe-'));
  await mkdir(join(dir, 'tftp'));
  await mkdir(join(dir, 'http'));
  // a space in the name: the script must carry the chain URL through iPXE's word splitting (ipxe-script.ts)
  await writeFile(join(dir, 'http', 'stage 2.ipxe'), '#!ipxe\necho BMNET-HTTP-OK\n');
  // what OVMF's own PXE client loads (the node's pxe_file for UEFI), from Debian's ipxe package
  await copyFile('/usr/lib/ipxe/snponly.efi', join(dir, 'tftp', 'snponly.efi'));
  ovs = await startOvs({ tag: 'pxe' });
  tenantHost = await ovs.addHost({ name: 'tnt', cidr: '10.66.200.1/24', tag: 200 });
  // IPv6 RA on the provisioning segment: iPXE's configuration ends at once instead of ~16 s later
  raHost = await ovs.addHost({ name: 'ra', tag: 100 });
  await run('ip', ['-n', raHost.namespace, 'addr', 'add', 'fd66:100::1/64', 'dev', raHost.ifname, 'nodad']);
  helpers.push(
    start('ip', [
      'netns',
      'exec',
      raHost.namespace,
      'dnsmasq',
      '--conf-file=/dev/null',
      '--keep-in-foreground',
      '--port=0',
      `--interface=${raHost.ifname}`,
      '--bind-interfaces',
      '--enable-ra',
      `--dhcp-range=::,constructor:${raHost.ifname},ra-only,64`,
      `--pid-file=${join(dir, 'ra.pid')}`,
      '--leasefile-ro',
    ]),
  );
  tap = uniqueName('v');
  await run('ip', ['-n', ovs.namespace, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  await run('ip', ['-n', ovs.namespace, 'link', 'set', tap, 'up']);
  await ovs.vsctl('add-port', ovs.bridge, tap, '--', 'set', 'port', tap, `tag=${Q}`);

  b = await startBmnet(`${torConfigYaml(ovs, { quarantineVlan: Q, batchWindowMs: 10 })}
reconciler: {resync_seconds: 5, retry_initial_ms: 50, retry_max_ms: 500}
dhcp: {mode: attach}
boot:
  mode: attach
  attach: [provisioning]
  tftp: {root: ${join(dir, 'tftp')}}
  http: {root: ${join(dir, 'http')}}
  script: {chain: "{http}/stage 2.ipxe?node={node}"}
nodes:
  networks: {provisioning: provisioning}
  boot: {tftp_server: ${ATTACHMENT}, ipxe_script: "ipxe/{node}.ipxe"}
  operation_timeout_seconds: 30
`);
  provisioning = (
    await ok('POST', '/v2.0/networks', { network: { name: 'provisioning', 'provider:segmentation_id': 100 } })
  ).network;
  await ok('POST', '/v2.0/subnets', { subnet: { network_id: provisioning.id, cidr: '10.66.100.0/24', ip_version: 4 } });
  const tenant = (
    await ok('POST', '/v2.0/networks', { network: { name: 'tenant-a', 'provider:segmentation_id': 200 } })
  ).network;
  await ok('POST', '/v2.0/subnets', {
    subnet: { network_id: tenant.id, cidr: '10.66.200.0/24', ip_version: 4, enable_dhcp: false },
  });
  await ok('POST', '/v1/nodes', {
    node: {
      name: NODE,
      nics: [{ mac: MAC, local_link_information: [{ switch_info: 'tor1', port_id: tap }], pxe_enabled: true }],
    },
  });
});

after(async () => {
  await vm?.stop();
  for (const h of helpers) await stop(h);
  await b?.close();
  await ovs?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the boot role serves on the provisioning attachment only', { skip }, async () => {
  const listener = await until(
    () =>
      b?.running.boot
        ?.status()
        .find((l) => l.networkId === provisioning.id && l.tftp?.state === 'serving' && l.http?.state === 'serving'),
    { timeoutMs: 20_000, what: 'a boot listener serving TFTP and HTTP on the provisioning attachment' },
  );
  assert.equal(listener.tftp?.address, `${ATTACHMENT}:69`);
  assert.equal(listener.http?.address, `${ATTACHMENT}:8080`);
  assert.equal(b?.running.boot?.status().length, 1, 'tenant-a has no DHCP, so no attachment and no boot listener');
});

test('provisioning: the VM gets DHCP from bmnet, its script over TFTP and a second one over HTTP', {
  skip,
}, async () => {
  const op = await move({ stage: 'provisioning' });
  assert.equal(op.state, 'succeeded', op.error);
  assert.equal(await ovs?.vsctl('get', 'port', tap, 'tag'), '100');
  const startedMs = Date.now();
  vm = await startPxeVm({ namespace: ovs?.namespace ?? '', tap, mac: MAC, serialLog: join(dir, 'serial-1.log') });
  const failures = ['No configuration methods succeeded', 'Connection timed out', 'No such file'];
  await vm.waitFor(`bmnet: node ${NODE} mac ${MAC} stage provisioning`, { timeoutMs: BOOT_TIMEOUT_MS, failures });
  const tftpMs = Date.now() - startedMs;
  await vm.waitFor('BMNET-HTTP-OK', { timeoutMs: 30_000, failures });
  // figures for the note (polled every 0.2 s; not asserted)
  process.stdout.write(
    `# TCG boot: TFTP script ran ${tftpMs} ms, HTTP script ${Date.now() - startedMs} ms after start\n`,
  );
  await vm.stop();
  vm = undefined;
});

test('the boot trace shows DISCOVER → ACK → TFTP → done, then the HTTP fetch', { skip }, async () => {
  const steps = await until(
    async () => {
      const events = await trace();
      return events.some((e) => e.message_type === 'HTTP done') ? events : null;
    },
    { timeoutMs: 10_000, what: 'the HTTP fetch in the boot trace' },
  );
  const order = ['discover', 'request', 'TFTP RRQ', 'TFTP done', 'HTTP GET', 'HTTP done'];
  const at = order.map((m) => steps.findIndex((e: Body) => e.message_type === m));
  assert.ok(
    at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] ?? -1))),
    `${order.join(' → ')} in order: ${steps.map((e: Body) => e.message_type).join(', ')}`,
  );
  process.stdout.write(
    `# boot trace: ${steps.map((e: Body) => `${e.message_type}(${e.bootfile ?? e.answer})`).join(' → ')}\n`,
  );
  const discover = steps[at[0] ?? 0];
  assert.equal(discover.answer, 'offer');
  assert.equal(discover.network_id, provisioning.id);
  const ack = steps.find((e: Body) => e.message_type === 'request' && e.answer === 'ack');
  assert.equal(ack?.bootfile, `ipxe/${NODE}.ipxe`);
  const tftpDone = steps[at[3] ?? 0];
  assert.equal(tftpDone.bootfile, `ipxe/${NODE}.ipxe`);
  assert.equal(tftpDone.source, 'tftp');
  assert.match(String(tftpDone.detail), /^\d+ bytes$/, 'a completed transfer names its bytes');
  assert.equal(tftpDone.ip_address, ack?.ip_address);
  // the chain URL holds a space: the script carried it as a hex setting, and iPXE sent it percent-encoded
  assert.equal(steps[at[5] ?? 0].bootfile, '/stage%202.ipxe');
});

test('UEFI: OVMF with the iPXE EFI ROM boots the same way', { skip }, async () => {
  const before = (await trace()).filter((e) => e.message_type === 'TFTP done').length;
  const startedMs = Date.now();
  vm = await startPxeVm({
    namespace: ovs?.namespace ?? '',
    tap,
    mac: MAC,
    serialLog: join(dir, 'serial-uefi.log'),
    firmware: 'uefi',
  });
  const failures = ['No configuration methods succeeded', 'Connection timed out', 'No such file'];
  await vm.waitFor(`bmnet: node ${NODE} mac ${MAC} stage provisioning`, { timeoutMs: BOOT_TIMEOUT_MS, failures });
  await vm.waitFor('BMNET-HTTP-OK', { timeoutMs: 30_000, failures });
  process.stdout.write(`# TCG UEFI boot: HTTP script ran ${Date.now() - startedMs} ms after start\n`);
  await vm.stop();
  vm = undefined;
  const arches = await until(
    async () => {
      const events = await trace();
      const done = events.filter((e) => e.message_type === 'TFTP done').length;
      return done > before ? events.filter((e) => e.message_type === 'discover').map((e) => e.client_arch) : null;
    },
    { timeoutMs: 10_000, what: "the UEFI boot's TFTP transfer in the boot trace" },
  );
  assert.ok(arches.includes(7), `EFI x64 (option 93 = 7) among ${arches.join(', ')}`);
});

test('UEFI without iPXE: EDK2 PXE loads snponly.efi over TFTP, which asks again as iPXE and runs the script', {
  skip,
}, async () => {
  // a node's PXE file follows its boot mode: re-create the node as UEFI (the node API has no update)
  assert.equal((await move({ stage: 'isolated' })).state, 'succeeded');
  await ok('DELETE', `/v1/nodes/${NODE}`);
  await ok('POST', '/v1/nodes', {
    node: {
      name: NODE,
      nics: [{ mac: MAC, local_link_information: [{ switch_info: 'tor1', port_id: tap }], pxe_enabled: true }],
      boot: { mode: 'uefi' },
    },
  });
  assert.equal((await move({ stage: 'provisioning' })).state, 'succeeded');
  const before = (await trace()).length;
  const startedMs = Date.now();
  vm = await startPxeVm({
    namespace: ovs?.namespace ?? '',
    tap,
    mac: MAC,
    serialLog: join(dir, 'serial-edk2.log'),
    firmware: 'uefi',
    rom: 'none',
  });
  const failures = ['No configuration methods succeeded', 'Connection timed out', 'PXE-E'];
  await vm.waitFor('BMNET-HTTP-OK', { timeoutMs: BOOT_TIMEOUT_MS, failures });
  process.stdout.write(
    `# TCG EDK2 PXE → snponly.efi → iPXE: HTTP script ran ${Date.now() - startedMs} ms after start\n`,
  );
  await vm.stop();
  vm = undefined;
  const steps = await until(
    async () => {
      const events = (await trace()).slice(before);
      return events.some((e) => e.message_type === 'HTTP done') ? events : null;
    },
    { timeoutMs: 10_000, what: 'the chainload in the boot trace' },
  );
  process.stdout.write(
    `# boot trace: ${steps.map((e: Body) => `${e.message_type}(${e.bootfile ?? e.answer})`).join(' → ')}\n`,
  );
  const nbp = steps.findIndex((e: Body) => e.message_type === 'TFTP done' && e.bootfile === 'snponly.efi');
  const script = steps.findIndex((e: Body) => e.message_type === 'TFTP done' && e.bootfile === `ipxe/${NODE}.ipxe`);
  assert.ok(nbp >= 0 && script > nbp, 'snponly.efi, then the script');
  assert.ok(steps.slice(0, nbp).some((e: Body) => e.message_type === 'request' && e.bootfile === 'snponly.efi'));
});

test('tenant: a second boot gets no DHCP answer; the tenant VLAN sees the DHCPDISCOVERs', { skip }, async () => {
  const op = await move({ stage: 'tenant', networks: [{ network: 'tenant-a', nic: MAC }] });
  assert.equal(op.state, 'succeeded', op.error);
  assert.equal(await ovs?.vsctl('get', 'port', tap, 'tag'), '200');
  const discoversBefore = (await trace()).filter((e) => e.message_type === 'discover').length;
  let seen = '';
  const dump = start('ip', [
    'netns',
    'exec',
    tenantHost.namespace,
    'tcpdump',
    '-i',
    tenantHost.ifname,
    '-n',
    '-l',
    '--immediate-mode',
    '-e',
    `udp port 67 and ether src ${MAC}`,
  ]);
  helpers.push(dump);
  let status = '';
  dump.stdout?.on('data', (c: Buffer) => {
    seen += c.toString();
  });
  dump.stderr?.on('data', (c: Buffer) => {
    status += c.toString();
  });
  // tcpdump says "listening on" (stderr) once its capture is open
  await until(() => status.includes('listening on'), { timeoutMs: 10_000, what: 'tcpdump to start' });
  const startedMs = Date.now();
  vm = await startPxeVm({ namespace: ovs?.namespace ?? '', tap, mac: MAC, serialLog: join(dir, 'serial-2.log') });
  await vm.waitFor('No configuration methods succeeded', {
    timeoutMs: BOOT_TIMEOUT_MS,
    failures: ['bmnet: node', 'BMNET-HTTP-OK'],
  });
  process.stdout.write(`# TCG boot on the tenant VLAN: iPXE gave up ${Date.now() - startedMs} ms after start\n`);
  await vm.stop();
  vm = undefined;
  await until(() => /BOOTP\/DHCP, Request from 52:54:00:b0:07:01/.test(seen), {
    timeoutMs: 5000,
    what: "the VM's DHCPDISCOVER at the tenant host",
  });
  const discoversAfter = (await trace()).filter((e) => e.message_type === 'discover').length;
  assert.equal(discoversAfter, discoversBefore, 'bmnet heard nothing from the node on the provisioning network');
});
