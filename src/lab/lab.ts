/**
 * `bmnet lab up`: the whole job on one machine (root). An Open vSwitch userspace ToR in its own namespace,
 * bmnet on SQLite binding its ports, serving DHCP and TFTP/HTTP boot on the cleaning and provisioning
 * attachments, and QEMU VMs with real PXE firmware as nodes, taken through clean → provision → tenant
 * while the timeline is printed. The API stays up until the process is stopped (Ctrl-C or `bmnet lab
 * down`), which removes everything the lab made.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../config/load.ts';
import type { Logger } from '../logging.ts';
import { type Running, serve } from '../main.ts';
import { isAlive, isRoot, run, start, stop, tryRun, until } from './exec.ts';
import { type OvsTestbed, removeStale, startOvs, torConfigYaml } from './ovs-switch.ts';
import { type PxeVm, requireQemu, startPxeVm } from './vm.ts';

const QUARANTINE = 999;
const NETWORKS = [
  { name: 'cleaning', vlan: 50, cidr: '10.66.50.0/24', dhcp: true },
  { name: 'provisioning', vlan: 100, cidr: '10.66.100.0/24', dhcp: true },
  { name: 'tenant-a', vlan: 200, cidr: '10.66.200.0/24', dhcp: false },
] as const;
const BOOT_TIMEOUT_MS = 120_000;

export interface LabOptions {
  /** Where the lab keeps its state, database, TFTP/HTTP roots and serial logs. */
  readonly dir: string;
  readonly port: number;
  readonly nodes: number;
  readonly firmware: 'bios' | 'uefi';
  readonly log: Logger;
  /** One line of the timeline. */
  readonly say: (line: string) => void;
}

interface LabState {
  readonly pid: number;
  readonly url: string;
}

export interface Lab {
  readonly url: string;
  stop(): Promise<void>;
}

function stateFile(dir: string): string {
  return join(dir, 'lab.json');
}

async function readState(dir: string): Promise<LabState | null> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

async function requireTools(): Promise<void> {
  if (!isRoot()) throw new Error('bmnet lab needs root (namespaces, Open vSwitch, QEMU taps)');
  await requireQemu();
  for (const [cmd, pkg] of [
    ['dnsmasq', 'dnsmasq-base'],
    ['ovs-vswitchd', 'openvswitch-switch'],
  ] as const) {
    if ((await tryRun('sh', ['-c', `command -v ${cmd}`])).code !== 0)
      throw new Error(`${cmd} is missing: apt-get install ${pkg}`);
  }
}

export async function labUp(o: LabOptions): Promise<Lab> {
  await requireTools();
  const prior = await readState(o.dir);
  if (prior && isAlive(prior.pid) && prior.pid !== process.pid) {
    throw new Error(`a lab is running (pid ${prior.pid}, ${prior.url}): bmnet lab down first`);
  }
  await labCleanup(o.dir);
  await removeStale();
  await mkdir(join(o.dir, 'tftp', 'ipxe'), { recursive: true });
  await mkdir(join(o.dir, 'http'), { recursive: true });
  await copyFile('/usr/lib/ipxe/snponly.efi', join(o.dir, 'tftp', 'snponly.efi'));
  await writeFile(join(o.dir, 'http', 'stage2.ipxe'), '#!ipxe\necho BMNET-LAB-HTTP-OK\n');

  const t0 = Date.now();
  const say = (what: string) => o.say(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${what}`);
  const helpers: ReturnType<typeof start>[] = [];
  const vms: PxeVm[] = [];
  let ovs: OvsTestbed | undefined;
  let bmnet: Running | undefined;
  const teardown = async () => {
    for (const vm of vms) await vm.stop();
    for (const h of helpers) await stop(h);
    await bmnet?.stop();
    await ovs?.destroy();
    await rm(stateFile(o.dir), { force: true });
  };
  try {
    ovs = await startOvs({ tag: 'lab' });
    say(`switch: Open vSwitch (userspace) bridge ${ovs.bridge} in namespace ${ovs.namespace}`);
    const tenantHost = await ovs.addHost({ name: 'tenant', cidr: '10.66.200.1/24', tag: 200 });
    say(`tenant host: 10.66.200.1 on VLAN 200 (namespace ${tenantHost.namespace})`);
    // IPv6 router advertisements on the boot segments: iPXE then finishes configuring at once (testbed pitfall 3)
    for (const net of NETWORKS.filter((n) => n.dhcp)) {
      const ra = await ovs.addHost({ name: `ra${net.vlan}`, tag: net.vlan });
      await run('ip', ['-n', ra.namespace, 'addr', 'add', `fd66:${net.vlan}::1/64`, 'dev', ra.ifname, 'nodad']);
      helpers.push(
        start('ip', [
          'netns',
          'exec',
          ra.namespace,
          'dnsmasq',
          '--conf-file=/dev/null',
          '--keep-in-foreground',
          '--port=0',
          `--interface=${ra.ifname}`,
          '--bind-interfaces',
          '--enable-ra',
          `--dhcp-range=::,constructor:${ra.ifname},ra-only,64`,
          '--leasefile-ro',
        ]),
      );
    }
    const config = parseConfig(
      `listen: 127.0.0.1:${o.port}
database: sqlite:${join(o.dir, 'bmnet.db')}
log: {level: warn}
${torConfigYaml(ovs, { quarantineVlan: QUARANTINE, batchWindowMs: 10 })}
dhcp: {mode: attach}
boot:
  mode: attach
  attach: [cleaning, provisioning]
  tftp: {root: ${join(o.dir, 'tftp')}}
  http: {root: ${join(o.dir, 'http')}}
  script: {chain: "{http}/stage2.ipxe?node={node}"}
nodes:
  networks: {cleaning: cleaning, provisioning: provisioning}
  boot: {ipxe_script: "ipxe/{node}.ipxe"}
  operation_timeout_seconds: 60
`,
      join(o.dir, 'bmnet.yaml'),
    );
    bmnet = await serve(config, o.log);
    const api = bmnet.url;
    say(`bmnet: API ${api} (Neutron /v2.0, nodes /v1), SQLite ${join(o.dir, 'bmnet.db')}`);
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${api}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return text ? (JSON.parse(text) as Record<string, Record<string, unknown>>) : {};
    };
    for (const net of NETWORKS) {
      const n = await call('POST', '/v2.0/networks', {
        network: { name: net.name, 'provider:segmentation_id': net.vlan },
      });
      await call('POST', '/v2.0/subnets', {
        subnet: { network_id: n.network?.id, cidr: net.cidr, enable_dhcp: net.dhcp },
      });
      say(`network ${net.name}: VLAN ${net.vlan}, ${net.cidr}${net.dhcp ? ', DHCP + TFTP/HTTP boot by bmnet' : ''}`);
    }
    const nodes: { name: string; mac: string; tap: string }[] = [];
    for (let i = 1; i <= o.nodes; i++) {
      const node = { name: `node-${i}`, mac: `52:54:00:1a:b0:${i.toString(16).padStart(2, '0')}`, tap: `labn${i}` };
      await tryRun('ip', ['-n', ovs.namespace, 'link', 'del', node.tap]);
      await run('ip', ['-n', ovs.namespace, 'tuntap', 'add', 'dev', node.tap, 'mode', 'tap']);
      await run('ip', ['-n', ovs.namespace, 'link', 'set', node.tap, 'up']);
      await ovs.vsctl('add-port', ovs.bridge, node.tap, '--', 'set', 'port', node.tap, `tag=${QUARANTINE}`);
      await call('POST', '/v1/nodes', {
        node: {
          name: node.name,
          nics: [
            { mac: node.mac, local_link_information: [{ switch_info: 'tor1', port_id: node.tap }], pxe_enabled: true },
          ],
          boot: { mode: o.firmware },
        },
      });
      nodes.push(node);
      say(
        `node ${node.name}: NIC ${node.mac} on switch port ${node.tap} (a QEMU VM with ${o.firmware === 'uefi' ? 'OVMF' : 'SeaBIOS'} + iPXE)`,
      );
    }
    await writeFile(stateFile(o.dir), JSON.stringify({ pid: process.pid, url: api } satisfies LabState));

    const move = async (node: string, network: Record<string, unknown>) => {
      const r = await call('PUT', `/v1/nodes/${node}/network`, { network });
      const id = r.operation?.id;
      const op = await until(
        async () => {
          const cur = (await call('GET', `/v1/operations/${id}`)).operation;
          return cur?.state === 'running' ? null : cur;
        },
        { timeoutMs: 90_000, what: `${node} → ${String(network.stage)}` },
      );
      if (op.state !== 'succeeded') throw new Error(`${node} → ${String(network.stage)} failed: ${String(op.error)}`);
      const tag = await ovs?.vsctl('get', 'port', nodes.find((n) => n.name === node)?.tap ?? '', 'tag');
      say(`${node} → ${String(network.stage)}: switch confirmed, port VLAN ${tag}`);
    };
    const boot = async (
      node: { name: string; mac: string; tap: string },
      stage: string,
      expect: 'boots' | 'no-answer',
    ) => {
      const vm = await startPxeVm({
        namespace: ovs?.namespace ?? '',
        tap: node.tap,
        mac: node.mac,
        serialLog: join(o.dir, `${node.name}-${stage}.serial.log`),
        firmware: o.firmware,
      });
      vms.push(vm);
      const started = Date.now();
      const failures = ['No configuration methods succeeded', 'Connection timed out', 'No such file'];
      if (expect === 'boots') {
        await vm.waitFor(`stage ${stage}`, { timeoutMs: BOOT_TIMEOUT_MS, failures });
        await vm.waitFor('BMNET-LAB-HTTP-OK', { timeoutMs: 30_000, failures });
        say(
          `${node.name} PXE-booted on ${stage} in ${((Date.now() - started) / 1000).toFixed(1)} s: DHCP → TFTP script → HTTP script`,
        );
      } else {
        await vm.waitFor('No configuration methods succeeded', {
          timeoutMs: BOOT_TIMEOUT_MS,
          failures: ['BMNET-LAB-HTTP-OK'],
        });
        say(
          `${node.name} on the tenant network: its PXE boot got no DHCP answer (isolated from provisioning) after ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      }
      await vm.stop();
      vms.splice(vms.indexOf(vm), 1);
    };
    for (const node of nodes) {
      await move(node.name, { stage: 'cleaning' });
      await boot(node, 'cleaning', 'boots');
      await move(node.name, { stage: 'provisioning' });
      await boot(node, 'provisioning', 'boots');
      await move(node.name, { stage: 'tenant', networks: [{ network: 'tenant-a', nic: node.mac }] });
      await boot(node, 'tenant', 'no-answer');
      const trace = (await call('GET', `/v1/boot-trace?mac=${node.mac}&limit=1000`)).boot_trace as unknown as {
        message_type: string;
      }[];
      say(
        `${node.name} boot trace: ${trace.length} events (${[...new Set(trace.map((e) => e.message_type))].join(', ')})`,
      );
    }
    say(
      `lab is up: ${api}  —  try: bmnet --url ${api} node list | switch show tor1 | node trace node-1; stop with Ctrl-C or bmnet lab down`,
    );
    return {
      url: api,
      stop: teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** Leftovers of a lab whose process is gone: its switch daemons and namespaces (by pid), its VMs. */
async function labCleanup(dir: string): Promise<void> {
  const state = await readState(dir);
  if (!state || isAlive(state.pid)) return;
  await removeStale();
  await rm(stateFile(dir), { force: true });
}

/** Stops a running lab (its process removes everything it made) or cleans up after a killed one. */
export async function labDown(dir: string, say: (line: string) => void): Promise<void> {
  const state = await readState(dir);
  if (!state) {
    await removeStale();
    say('no lab is running; stale test beds (if any) removed');
    return;
  }
  if (isAlive(state.pid)) {
    process.kill(state.pid, 'SIGTERM');
    await until(() => !isAlive(state.pid), { timeoutMs: 60_000, what: `the lab process ${state.pid} to stop` });
    say(`lab (pid ${state.pid}) stopped and removed`);
  } else {
    await labCleanup(dir);
    say('the lab process was gone; its switch and namespaces are removed');
  }
}
