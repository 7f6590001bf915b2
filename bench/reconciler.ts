/**
 * Switch binding speed on a real Open vSwitch (userspace datapath) through the ovsdb driver:
 *   sudo $(scripts/node-runtime.sh) bench/reconciler.ts [--moves 500] [--nodes 1000]
 * 1. latency: one node moved between the provisioning and tenant networks `--moves` times, Ironic's way
 *    (unbind the old port, bind the new one); from the first API call until the new port is ACTIVE (the
 *    switch confirmed the VLAN by read-back).
 * 2. scale: `--nodes` nodes moved provisioning → tenant at once; time until every tenant port is ACTIVE.
 * Targets: p50 < 100 ms, p99 < 500 ms, 1,000 moves < 60 s. Prints `key=value` lines.
 */
import { parseArgs } from 'node:util';
import { startBmnet, type TestBmnet } from '../test/helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs } from '../test/helpers/ovs-testbed.ts';

const { values } = parseArgs({
  options: { moves: { type: 'string', default: '500' }, nodes: { type: 'string', default: '1000' } },
});
const moves = Number(values.moves);
const nodes = Number(values.nodes);
const Q = 999;

function out(key: string, fields: Record<string, string | number>) {
  process.stdout.write(
    `${key} ${Object.entries(fields)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
}
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function addPatchPorts(ovs: OvsTestbed, count: number, first: number): Promise<string[]> {
  const names: string[] = [];
  for (let start = first; start < first + count; start += 200) {
    const args: string[] = [];
    for (let i = start; i < Math.min(first + count, start + 200); i++) {
      const p = `bp${i}`;
      names.push(p);
      args.push(
        '--',
        'add-port',
        ovs.bridge,
        p,
        `tag=${Q}`,
        '--',
        'set',
        'interface',
        p,
        'type=patch',
        `options:peer=bq${i}`,
      );
      args.push(
        '--',
        'add-port',
        'peers',
        `bq${i}`,
        '--',
        'set',
        'interface',
        `bq${i}`,
        'type=patch',
        `options:peer=${p}`,
      );
    }
    await ovs.vsctl(...args);
  }
  return names;
}

let ovs: OvsTestbed | undefined;
let b: TestBmnet | undefined;
try {
  await removeStale();
  ovs = await startOvs({ tag: 'bench' });
  await ovs.vsctl('add-br', 'peers', '--', 'set', 'bridge', 'peers', 'datapath_type=netdev');
  const dpid = (await ovs.vsctl('get', 'bridge', ovs.bridge, 'datapath_id')).replace(/"/g, '');
  b = await startBmnet(`switches:
  - name: tor1
    identities: ["${dpid}"]
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    unbound: {vlan: ${Q}}
    batch_window_ms: 5
reconciler: {resync_seconds: 600}
`);
  const api = b;
  const prov = (
    await api.call('POST', '/v2.0/networks', { network: { name: 'prov', 'provider:segmentation_id': 100 } })
  ).body.network;
  const tenant = (
    await api.call('POST', '/v2.0/networks', { network: { name: 'tenant', 'provider:segmentation_id': 200 } })
  ).body.network;
  const profile = (port: string) => ({ local_link_information: [{ switch_id: dpid, port_id: port }] });
  const create = async (networkId: string) =>
    (await api.call('POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:vnic_type': 'baremetal' } })).body
      .port.id as string;
  const bind = (id: string, port: string) =>
    api.call('PUT', `/v2.0/ports/${id}`, { port: { 'binding:host_id': 'node', 'binding:profile': profile(port) } });
  const unbind = (id: string) =>
    api.call('PUT', `/v2.0/ports/${id}`, { port: { 'binding:host_id': '', 'binding:profile': {} } });
  const status = async (id: string) =>
    (await api.call('GET', `/v2.0/ports/${id}?fields=status`)).body.port.status as string;
  const waitActive = async (id: string) => {
    for (;;) {
      if ((await status(id)) === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 1));
    }
  };

  // 1. latency of single moves
  const [one] = await addPatchPorts(ovs, 1, 0);
  const ports = { prov: await create(prov.id), tenant: await create(tenant.id) };
  await bind(ports.prov, one ?? '');
  await waitActive(ports.prov);
  const ms: number[] = [];
  let on: 'prov' | 'tenant' = 'prov';
  for (let i = 0; i < moves; i++) {
    const to: 'prov' | 'tenant' = on === 'prov' ? 'tenant' : 'prov';
    const t0 = performance.now();
    await unbind(ports[on]);
    await bind(ports[to], one ?? '');
    await waitActive(ports[to]);
    ms.push(performance.now() - t0);
    on = to;
  }
  ms.sort((x, y) => x - y);
  out('bind-latency', {
    moves,
    p50_ms: pct(ms, 50).toFixed(1),
    p99_ms: pct(ms, 99).toFixed(1),
    max_ms: (ms.at(-1) ?? 0).toFixed(1),
  });

  // 2. many nodes at once
  const names = await addPatchPorts(ovs, nodes, 1);
  const provPorts: string[] = [];
  const tenantPorts: string[] = [];
  for (let i = 0; i < names.length; i++) {
    provPorts.push(await create(prov.id));
    tenantPorts.push(await create(tenant.id));
  }
  const pool = async <T>(items: T[], fn: (x: T, i: number) => Promise<unknown>, width = 16) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < items.length) {
          const i = next++;
          await fn(items[i] as T, i);
        }
      }),
    );
  };
  await pool(names, (n, i) => bind(provPorts[i] ?? '', n));
  const t0 = performance.now();
  await pool(provPorts, (id) => waitActive(id), 4);
  out('bind-initial', { nodes, seconds: ((performance.now() - t0) / 1000).toFixed(1) });
  const t1 = performance.now();
  await pool(names, async (n, i) => {
    await unbind(provPorts[i] ?? '');
    await bind(tenantPorts[i] ?? '', n);
  });
  const apiDone = performance.now();
  await pool(tenantPorts, (id) => waitActive(id), 4);
  const tags = (await ovs.vsctl('--format=csv', '--no-headings', '--columns=name,tag', 'list', 'port')).split('\n');
  const onTenant = tags.filter((l) => /^"?bp\d+"?,200$/.test(l.trim())).length;
  out('bind-move-all', {
    nodes,
    seconds: ((performance.now() - t1) / 1000).toFixed(1),
    api_seconds: ((apiDone - t1) / 1000).toFixed(1),
    on_tenant_vlan: onTenant,
  });
} finally {
  await b?.close();
  await ovs?.destroy();
}
