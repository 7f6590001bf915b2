/**
 * 100 nodes through clean → provision → tenant with the node API, on a real Open vSwitch (userspace):
 *   sudo $(scripts/node-runtime.sh) bench/nodes.ts [--nodes 100]
 * Each node has one PXE NIC on its own switch port (an OVS patch port). For each stage every node is
 * moved at once; the figure is the time until every operation succeeded (the switch confirmed every
 * VLAN). DHCP/boot are off here: this measures the network moves. Prints `key=value` lines.
 */
import { parseArgs } from 'node:util';
import { startBmnet, type TestBmnet } from '../test/helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs } from '../test/helpers/ovs-testbed.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '100' } } });
const count = Number(values.nodes);
const Q = 999;

let ovs: OvsTestbed | undefined;
let b: TestBmnet | undefined;
try {
  await removeStale();
  ovs = await startOvs({ tag: 'nb' });
  const sw = ovs;
  await sw.vsctl('add-br', 'peers', '--', 'set', 'bridge', 'peers', 'datapath_type=netdev');
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    args.push(
      '--',
      'add-port',
      sw.bridge,
      `np${i}`,
      `tag=${Q}`,
      '--',
      'set',
      'interface',
      `np${i}`,
      'type=patch',
      `options:peer=nq${i}`,
    );
    args.push(
      '--',
      'add-port',
      'peers',
      `nq${i}`,
      '--',
      'set',
      'interface',
      `nq${i}`,
      'type=patch',
      `options:peer=np${i}`,
    );
  }
  await sw.vsctl(...args);
  b = await startBmnet(`switches:
  - name: tor1
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${sw.remote}", bridge: ${sw.bridge}}
    unbound: {vlan: ${Q}}
    batch_window_ms: 20
reconciler: {resync_seconds: 600}
nodes:
  networks: {cleaning: cleaning, provisioning: provisioning}
  operation_timeout_seconds: 300
`);
  const api = b;
  for (const [name, vlan] of [
    ['cleaning', 50],
    ['provisioning', 100],
    ['tenant', 200],
  ] as const) {
    const n = (await api.call('POST', '/v2.0/networks', { network: { name, 'provider:segmentation_id': vlan } })).body
      .network;
    await api.call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.0.0.0/16', enable_dhcp: false } });
  }
  for (let i = 0; i < count; i++) {
    const mac = `52:54:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    await api.call('POST', '/v1/nodes', {
      node: { name: `n${i}`, nics: [{ mac, local_link_information: [{ switch_info: 'tor1', port_id: `np${i}` }] }] },
    });
  }
  const stage = async (label: string, network: Record<string, unknown>, expectVlan: number) => {
    const t0 = performance.now();
    const ops: string[] = [];
    for (let i = 0; i < count; i++)
      ops.push((await api.call('PUT', `/v1/nodes/n${i}/network`, { network })).body.operation.id);
    const apiSeconds = (performance.now() - t0) / 1000;
    for (const id of ops) {
      for (;;) {
        const op = (await api.call('GET', `/v1/operations/${id}`)).body.operation;
        if (op.state === 'failed') throw new Error(`${label}: ${op.error}`);
        if (op.state === 'succeeded') break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const tags = (await sw.vsctl('--format=csv', '--no-headings', '--columns=name,tag', 'list', 'port')).split('\n');
    const right = tags.filter((l) => new RegExp(`^"?np\\d+"?,${expectVlan}$`).test(l.trim())).length;
    process.stdout.write(
      `nodes-${label} nodes=${count} seconds=${seconds.toFixed(1)} api_seconds=${apiSeconds.toFixed(1)} on_vlan=${right}\n`,
    );
  };
  const t = performance.now();
  await stage('clean', { stage: 'cleaning' }, 50);
  await stage('provision', { stage: 'provisioning' }, 100);
  await stage('tenant', { stage: 'tenant', networks: [{ network: 'tenant' }] }, 200);
  process.stdout.write(`nodes-total nodes=${count} seconds=${((performance.now() - t) / 1000).toFixed(1)}\n`);
} finally {
  await b?.close();
  await ovs?.destroy();
}
