/**
 * Invariant 2 under crashes: bmnet is killed with SIGKILL in the middle of provisioning↔tenant moves and
 * restarted; it converges to the database's desired state, and an OVSDB monitor watching the whole time
 * never sees the NIC go from one network's VLAN straight to the other's (the quarantine VLAN lies between).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Body } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { freeTcpPort, start, stop, until } from '../helpers/sh.ts';

const BMNET = join(import.meta.dirname, '../../bin/bmnet');
const Q = 999;
let ovs: OvsTestbed;
let node: TestHost;
let dir: string;
let monitorOut = '';
let monitor: ReturnType<typeof start>;

before(async () => {
  await removeStale();
  ovs = await startOvs({ tag: 'crash' });
  node = await ovs.addHost({ name: 'node', cidr: '10.67.0.10/16', tag: Q });
  dir = mkdtempSync(join(tmpdir(), 'bmnet-crash-'));
  monitor = start('ovsdb-client', ['monitor', ovs.remote, 'Open_vSwitch', 'Port', 'name,tag', '--format=csv']);
  monitor.stdout?.on('data', (d: Buffer) => {
    monitorOut += d.toString();
  });
  await until(() => monitorOut.includes(node.port), { timeoutMs: 5000, what: 'monitor initial rows' });
});
after(async () => {
  if (monitor) await stop(monitor);
  await ovs?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The node port's tag after every OVSDB change, in order. */
function tagHistory(): number[] {
  const tags: number[] = [];
  for (const line of monitorOut.split('\n')) {
    const cols = line.split(',');
    if (cols[2] === node.port && (cols[1] === 'initial' || cols[1] === 'new')) tags.push(Number(cols[3]));
  }
  return tags;
}

test('SIGKILL during provisioning↔tenant moves converges and never skips the quarantine VLAN', async (t) => {
  const dpid = (await ovs.vsctl('get', 'bridge', ovs.bridge, 'datapath_id')).replace(/"/g, '');
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'bmnet.yaml');
  writeFileSync(
    config,
    `listen: 127.0.0.1:${port}
database: sqlite:./state.db
log: {level: warn}
switches:
  - name: tor1
    identities: ["${dpid}"]
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    unbound: {vlan: ${Q}}
    batch_window_ms: 0
reconciler: {resync_seconds: 2, retry_initial_ms: 50, retry_max_ms: 500}
`,
  );
  const call = async (method: string, path: string, body?: unknown): Promise<Body> => {
    const r = await fetch(`${url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return text ? JSON.parse(text) : null;
  };
  let bmnet = start(BMNET, ['serve', '--config', config]);
  const up = () => until(() => fetch(`${url}/`).then((r) => r.ok), { timeoutMs: 30_000, what: 'bmnet up' });
  try {
    await up();
    const nets = [
      (await call('POST', '/v2.0/networks', { network: { name: 'prov', 'provider:segmentation_id': 100 } })).network,
      (await call('POST', '/v2.0/networks', { network: { name: 'tenant', 'provider:segmentation_id': 200 } })).network,
    ];
    const profile = { local_link_information: [{ switch_id: dpid, port_id: node.port }] };
    const bind = async (networkId: string) => {
      const p = (
        await call('POST', '/v2.0/ports', {
          port: { network_id: networkId, 'binding:vnic_type': 'baremetal', device_id: 'node-1' },
        })
      ).port;
      await call('PUT', `/v2.0/ports/${p.id}`, {
        port: { 'binding:host_id': 'node-1', device_owner: 'baremetal:none', 'binding:profile': profile },
      });
      return p.id as string;
    };
    let current = await bind(nets[0].id);
    await until(async () => (await call('GET', `/v2.0/ports/${current}`)).port.status === 'ACTIVE', {
      timeoutMs: 15_000,
      what: 'first bind',
    });
    const delays = [0, 5, 15, 30, 60, 120];
    for (const [i, delayMs] of delays.entries()) {
      const target = nets[(i + 1) % 2];
      // Ironic's order: remove the old network's port, then bind the new one
      await call('DELETE', `/v2.0/ports/${current}`);
      current = await bind(target.id);
      await new Promise((r) => setTimeout(r, delayMs));
      bmnet.kill('SIGKILL');
      await new Promise((r) => bmnet.once('exit', r));
      bmnet = start(BMNET, ['serve', '--config', config]);
      await up();
      const id = current;
      await until(async () => (await call('GET', `/v2.0/ports/${id}`)).port.status === 'ACTIVE', {
        timeoutMs: 20_000,
        what: `converged after kill ${i}`,
      });
      const want = target['provider:segmentation_id'];
      assert.equal(Number(await ovs.vsctl('get', 'port', node.port, 'tag')), want);
    }
  } finally {
    await stop(bmnet);
  }
  const history = tagHistory();
  t.diagnostic(`tag history of the NIC: ${history.join(' ')}`);
  assert.ok(history.includes(100) && history.includes(200), `history ${history.join(' ')}`);
  for (let i = 1; i < history.length; i++) {
    const pair = [history[i - 1], history[i]].sort().join('→');
    assert.notEqual(pair, '100→200', `the NIC went straight between networks: ${history.join(' ')}`);
  }
});
