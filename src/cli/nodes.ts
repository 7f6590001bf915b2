/** `bmnet node …`: the node API from the command line, with progress for bulk moves. */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ApiError, type ApiTarget, apiCall } from './client.ts';
import { newTable } from './table.ts';

interface NodeJson {
  id: string;
  name: string;
  network_stage: string;
  target_network_stage: string | null;
  last_error: string | null;
  nics: {
    mac: string;
    local_link_information: { switch_id?: string; switch_info?: string; port_id: string }[];
    pxe_enabled: boolean;
  }[];
  port_groups: { name: string; mode: string; members: string[] }[];
}
interface TraceJson {
  at: string;
  message_type: string;
  answer: string;
  ip_address: string | null;
  bootfile: string | null;
  client_arch: number | null;
  user_class: string | null;
  detail: string | null;
}
interface OperationJson {
  id: string;
  state: 'running' | 'succeeded' | 'failed';
  progress: { active_ports: number; total_ports: number };
  error: string | null;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** `MAC,SWITCH,PORT[,nopxe]` → a NIC; SWITCH is a switch name or a switch_id (MAC / datapath id). */
function parseNic(spec: string) {
  const [mac, sw, port, flag] = spec.split(',');
  if (!mac || !sw || !port) throw new ApiError(`--nic '${spec}' is not MAC,SWITCH,PORT[,nopxe]`);
  const isId = /^([0-9a-f]{2}[:-]?){5,7}[0-9a-f]{2}$/i.test(sw);
  return {
    mac,
    local_link_information: [{ port_id: port, ...(isId ? { switch_id: sw } : { switch_info: sw }) }],
    pxe_enabled: flag !== 'nopxe',
  };
}

/** `NAME:MODE:MAC+MAC…` → a port group. */
function parsePortGroup(spec: string) {
  const [name, mode, members] =
    spec.split(':').length > 3
      ? [spec.split(':')[0], spec.split(':')[1], spec.split(':').slice(2).join(':')]
      : spec.split(':');
  if (!name || !mode || !members) throw new ApiError(`--port-group '${spec}' is not NAME:MODE:MAC+MAC`);
  return { name, mode, members: members.split('+') };
}

async function moveAll(target: ApiTarget, names: string[], network: Record<string, unknown>): Promise<boolean> {
  const stage = String(network.stage);
  const started: { name: string; op: OperationJson }[] = [];
  for (const name of names) {
    const { operation } = await apiCall<{ operation: OperationJson }>(
      target,
      'PUT',
      `/v1/nodes/${encodeURIComponent(name)}/network`,
      { network },
    );
    started.push({ name, op: operation });
  }
  const bar =
    process.stdout.isTTY && names.length > 1
      ? new cliProgress.SingleBar(
          { format: `${stage} [{bar}] {value}/{total} nodes` },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(started.length, 0);
  const done = new Map<string, OperationJson>();
  while (done.size < started.length) {
    for (const s of started) {
      if (done.has(s.name)) continue;
      const { operation } = await apiCall<{ operation: OperationJson }>(target, 'GET', `/v1/operations/${s.op.id}`);
      if (operation.state !== 'running') {
        done.set(s.name, operation);
        bar?.increment();
      }
    }
    if (done.size < started.length) await new Promise((r) => setTimeout(r, 200));
  }
  bar?.stop();
  let ok = true;
  for (const s of started) {
    const op = done.get(s.name);
    if (op?.state !== 'succeeded') ok = false;
    process.stdout.write(`${s.name}: ${stage} ${op?.state}${op?.error ? ` (${op.error})` : ''}\n`);
  }
  return ok;
}

async function nodeNames(target: ApiTarget, names: string[], all: boolean | undefined): Promise<string[]> {
  if (all) return (await apiCall<{ nodes: NodeJson[] }>(target, 'GET', '/v1/nodes')).nodes.map((n) => n.name);
  if (names.length === 0) throw new ApiError('name one or more nodes, or --all');
  return names;
}

export function nodeCommands(program: Command, target: () => ApiTarget): void {
  const node = program
    .command('node')
    .description('nodes: create, list, and move their network (cleaning, provisioning, tenant, …)');
  node
    .command('create')
    .description('enrol a node')
    .argument('<name>')
    .requiredOption(
      '--nic <MAC,SWITCH,PORT[,nopxe]>',
      'a NIC and the switch port it is cabled to (repeat for more)',
      collect,
      [],
    )
    .option('--port-group <NAME:MODE:MAC+MAC>', 'NICs bonded on the node (mode 802.3ad, active-backup, …)', collect, [])
    .option('--boot-mode <bios|uefi>', 'firmware of the node')
    .action(async (name: string, o: { nic: string[]; portGroup: string[]; bootMode?: string }) => {
      const body = {
        node: {
          name,
          nics: o.nic.map(parseNic),
          port_groups: o.portGroup.map(parsePortGroup),
          ...(o.bootMode ? { boot: { mode: o.bootMode } } : {}),
        },
      };
      const { node: made } = await apiCall<{ node: NodeJson }>(target(), 'POST', '/v1/nodes', body);
      process.stdout.write(`${made.name} ${made.id} created (${made.network_stage})\n`);
    });
  node
    .command('list')
    .description('every node with its network stage')
    .action(async () => {
      const { nodes } = await apiCall<{ nodes: NodeJson[] }>(target(), 'GET', '/v1/nodes');
      const t = newTable(['node', 'stage', 'moving to', 'nics', 'last error']);
      for (const n of nodes)
        t.push([n.name, n.network_stage, n.target_network_stage ?? '', n.nics.length, n.last_error ?? '']);
      process.stdout.write(`${t.toString()}\n`);
    });
  node
    .command('show')
    .description('one node: NICs, links, port groups, stage')
    .argument('<name>')
    .action(async (name: string) => {
      const { node: n } = await apiCall<{ node: NodeJson }>(target(), 'GET', `/v1/nodes/${encodeURIComponent(name)}`);
      process.stdout.write(
        `${n.name} (${n.id}) stage ${n.network_stage}${n.target_network_stage ? ` → ${n.target_network_stage}` : ''}${n.last_error ? ` error: ${n.last_error}` : ''}\n`,
      );
      const t = newTable(['mac', 'switch', 'port', 'pxe']);
      for (const nic of n.nics) {
        for (const l of nic.local_link_information)
          t.push([nic.mac, l.switch_info ?? l.switch_id ?? '', l.port_id, nic.pxe_enabled ? 'yes' : 'no']);
      }
      process.stdout.write(`${t.toString()}\n`);
      for (const g of n.port_groups)
        process.stdout.write(`port group ${g.name} (${g.mode}): ${g.members.join(', ')}\n`);
    });
  const stages: [command: string, stage: string, what: string][] = [
    ['clean', 'cleaning', 'move nodes to the cleaning network'],
    ['provision', 'provisioning', 'move nodes to the provisioning network (PXE boot)'],
    ['inspect', 'inspection', 'move nodes to the inspection network'],
    ['rescue', 'rescue', 'move nodes to the rescue network'],
    ['isolate', 'isolated', 'take nodes off every network (switch ports back to the default)'],
  ];
  for (const [command, stage, what] of stages) {
    node
      .command(command)
      .description(what)
      .argument('[names...]')
      .option('--all', 'every node')
      .action(async (names: string[], o: { all?: boolean }) => {
        const ok = await moveAll(target(), await nodeNames(target(), names, o.all), { stage });
        if (!ok) process.exitCode = 1;
      });
  }
  node
    .command('attach')
    .description('move a node to tenant networks (on a NIC or a port group)')
    .argument('<name>')
    .requiredOption('--network <name-or-id>', 'tenant network (repeat for more)', collect, [])
    .option('--nic <mac>', 'the NIC to attach on (default: the first)')
    .option('--port-group <name>', 'the port group to attach on')
    .action(async (name: string, o: { network: string[]; nic?: string; portGroup?: string }) => {
      const networks = o.network.map((network) => ({
        network,
        ...(o.portGroup ? { port_group: o.portGroup } : o.nic ? { nic: o.nic } : {}),
      }));
      if (!(await moveAll(target(), [name], { stage: 'tenant', networks }))) process.exitCode = 1;
    });
  node
    .command('detach')
    .description('take a node off its tenant networks (it is left isolated)')
    .argument('<name>')
    .action(async (name: string) => {
      if (!(await moveAll(target(), [name], { stage: 'isolated' }))) process.exitCode = 1;
    });
  node
    .command('delete')
    .description('forget an isolated node')
    .argument('<name>')
    .action(async (name: string) => {
      await apiCall(target(), 'DELETE', `/v1/nodes/${encodeURIComponent(name)}`);
      process.stdout.write(`${name} deleted\n`);
    });
  node
    .command('trace')
    .description("a node's boot timeline (DHCP, TFTP, HTTP) for each of its NICs")
    .argument('<name>')
    .action(async (name: string) => {
      const { node: n } = await apiCall<{ node: NodeJson }>(target(), 'GET', `/v1/nodes/${encodeURIComponent(name)}`);
      for (const nic of n.nics) {
        const r = await apiCall<{ boot_trace: TraceJson[] }>(
          target(),
          'GET',
          `/v1/boot-trace?mac=${encodeURIComponent(nic.mac)}&limit=1000`,
        );
        process.stdout.write(`${nic.mac}: ${r.boot_trace.length} events\n`);
        const t = newTable(['time', 'event', 'answer', 'address', 'file', 'client', 'detail']);
        for (const e of r.boot_trace) {
          const client = [e.client_arch === null ? '' : `arch ${e.client_arch}`, e.user_class ?? '']
            .filter(Boolean)
            .join(' ');
          t.push([
            e.at,
            e.message_type,
            e.answer === 'none' ? '' : e.answer,
            e.ip_address ?? '',
            e.bootfile ?? '',
            client,
            e.detail ?? '',
          ]);
        }
        process.stdout.write(`${t.toString()}\n`);
      }
    });
}
