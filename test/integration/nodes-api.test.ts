/**
 * bmnet's node API on a real Open vSwitch: a node (a namespace host on a switch port) moved between
 * cleaning, provisioning, tenant and isolated in one call each; real traffic shows where it is.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { run, until } from '../helpers/sh.ts';

const Q = 997;
const BMNET = join(import.meta.dirname, '../../bin/bmnet');

describe('node API: one call per network stage, isolation seen by real traffic', () => {
  let ovs: OvsTestbed;
  let b: TestBmnet;
  let cleaner: TestHost;
  let conductor: TestHost;
  let tenantHost: TestHost;
  let nic: TestHost;
  let links: { port: string }[];
  const tag = async (p: string) => Number(await ovs.vsctl('get', 'port', p, 'tag'));
  const waitOp = async (op: Body): Promise<Body> =>
    until(
      async () => {
        const cur = (await b.call('GET', `/v1/operations/${op.id}`)).body.operation;
        return cur.state === 'running' ? null : cur;
      },
      { timeoutMs: 20_000, what: `operation ${op.id}` },
    );
  const move = async (node: string, network: Body) => {
    const r = await b.call('PUT', `/v1/nodes/${node}/network`, { network });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return waitOp(r.body.operation);
  };

  before(async () => {
    await removeStale();
    ovs = await startOvs({ tag: 'nd' });
    cleaner = await ovs.addHost({ name: 'cln', cidr: '10.69.0.3/16', tag: 50 });
    conductor = await ovs.addHost({ name: 'cond', cidr: '10.69.0.1/16', tag: 100 });
    tenantHost = await ovs.addHost({ name: 'tnt', cidr: '10.69.0.2/16', tag: 200 });
    nic = await ovs.addHost({ name: 'nic', cidr: '10.69.0.10/16', tag: Q });
    links = [await ovs.addLink({ tag: Q }), await ovs.addLink({ tag: Q })];
    b = await startBmnet(`switches:
  - name: tor1
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    unbound: {vlan: ${Q}}
    batch_window_ms: 10
reconciler: {resync_seconds: 5, retry_initial_ms: 50, retry_max_ms: 500}
nodes:
  networks: {cleaning: cleaning, provisioning: provisioning}
  boot: {tftp_server: 10.69.0.1, ipxe_script: "http://10.69.0.1:8080/{node}.ipxe"}
  operation_timeout_seconds: 30
`);
    for (const [name, vlan] of [
      ['cleaning', 50],
      ['provisioning', 100],
      ['tenant-a', 200],
    ] as const) {
      const n = (await b.call('POST', '/v2.0/networks', { network: { name, 'provider:segmentation_id': vlan } })).body
        .network;
      await b.call('POST', '/v2.0/subnets', {
        subnet: { network_id: n.id, cidr: `10.${vlan}.0.0/24`, enable_dhcp: false },
      });
    }
    const created = await b.call('POST', '/v1/nodes', {
      node: {
        name: 'node-1',
        nics: [
          {
            mac: '52:54:00:aa:00:01',
            local_link_information: [{ switch_info: 'tor1', port_id: nic.port }],
            pxe_enabled: true,
          },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const grouped = await b.call('POST', '/v1/nodes', {
      node: {
        name: 'node-2',
        nics: links.map((l, i) => ({
          mac: `52:54:00:aa:01:0${i}`,
          local_link_information: [{ switch_info: 'tor1', port_id: l.port }],
          pxe_enabled: i === 0,
        })),
        port_groups: [
          {
            name: 'pg0',
            mode: '802.3ad',
            properties: { miimon: 100 },
            members: ['52:54:00:aa:01:00', '52:54:00:aa:01:01'],
          },
        ],
      },
    });
    assert.equal(grouped.status, 201, JSON.stringify(grouped.body));
  });
  after(async () => {
    await b?.close();
    await ovs?.destroy();
  });

  test('clean: the PXE NIC reaches the cleaning network only', async () => {
    const op = await move('node-1', { stage: 'cleaning' });
    assert.equal(op.state, 'succeeded', op.error);
    assert.equal(await tag(nic.port), 50);
    assert.ok(await until(() => ovs.ping(nic, cleaner.ip ?? ''), { timeoutMs: 5000, what: 'ping cleaner' }));
    assert.equal((await b.call('GET', '/v1/nodes/node-1')).body.node.network_stage, 'cleaning');
  });

  test('provision: the cleaning port goes, a provisioning port with PXE options comes; repeating it changes nothing', async () => {
    const op = await move('node-1', { stage: 'provisioning' });
    assert.equal(op.state, 'succeeded', op.error);
    assert.equal(await tag(nic.port), 100);
    const node = (await b.call('GET', '/v1/nodes/node-1')).body.node;
    const ports = (await b.call('GET', `/v2.0/ports?device_id=${node.id}`)).body.ports;
    assert.equal(ports.length, 1);
    const opts = Object.fromEntries(ports[0].extra_dhcp_opts.map((o: Body) => [o.opt_name, o.opt_value]));
    assert.equal(opts['tag:ipxe,67'], 'http://10.69.0.1:8080/node-1.ipxe');
    assert.equal(opts['255'], '10.69.0.1');
    assert.ok(await until(() => ovs.ping(nic, conductor.ip ?? ''), { timeoutMs: 5000, what: 'ping conductor' }));
    assert.equal(await ovs.ping(nic, cleaner.ip ?? ''), false);
    const again = await move('node-1', { stage: 'provisioning' });
    assert.equal(again.state, 'succeeded');
    assert.deepEqual(again.port_ids, [ports[0].id]);
  });

  test('tenant: the node reaches the tenant host and no longer the provisioning network', async () => {
    const op = await move('node-1', { stage: 'tenant', networks: [{ network: 'tenant-a', nic: '52:54:00:aa:00:01' }] });
    assert.equal(op.state, 'succeeded', op.error);
    assert.equal(await tag(nic.port), 200);
    assert.ok(await until(() => ovs.ping(nic, tenantHost.ip ?? ''), { timeoutMs: 5000, what: 'ping tenant' }));
    assert.equal(await ovs.ping(nic, conductor.ip ?? ''), false);
    const node = (await b.call('GET', '/v1/nodes/node-1')).body.node;
    const ports = (await b.call('GET', `/v2.0/ports?device_id=${node.id}`)).body.ports;
    assert.deepEqual(
      ports.map((p: Body) => p.device_owner),
      ['baremetal:tenant'],
    );
  });

  test('tenant on a port group: one LACP bond with both NICs', async () => {
    const op = await move('node-2', { stage: 'tenant', networks: [{ network: 'tenant-a', port_group: 'pg0' }] });
    assert.equal(op.state, 'succeeded', op.error);
    const bond = (
      await ovs.vsctl('--format=csv', '--no-headings', '--columns=name', 'find', 'port', 'bond_mode=balance-tcp')
    ).replace(/"/g, '');
    assert.ok(bond);
    assert.equal(await tag(bond), 200);
  });

  test('racing moves of one node end in the last one asked, consistently', async () => {
    const [first, second] = await Promise.all([
      b.call('PUT', '/v1/nodes/node-1/network', { network: { stage: 'cleaning' } }),
      b.call('PUT', '/v1/nodes/node-1/network', { network: { stage: 'provisioning' } }),
    ]);
    const ops = [await waitOp(first.body.operation), await waitOp(second.body.operation)];
    assert.equal(ops[1]?.state, 'succeeded');
    const node = (await b.call('GET', '/v1/nodes/node-1')).body.node;
    assert.equal(node.network_stage, 'provisioning');
    assert.equal(await tag(nic.port), 100);
    assert.equal(
      (await b.call('GET', `/v2.0/ports?device_id=${node.id}&device_owner=baremetal:none`)).body.ports.length,
      1,
    );
  });

  test('isolate: every switch port back to the quarantine VLAN; a node in use cannot be deleted', async () => {
    const inUse = await b.call('DELETE', '/v1/nodes/node-2');
    assert.equal(inUse.status, 409);
    for (const n of ['node-1', 'node-2']) assert.equal((await move(n, { stage: 'isolated' })).state, 'succeeded');
    await until(async () => (await tag(nic.port)) === Q, { timeoutMs: 10_000, what: 'quarantine' });
    for (const l of links)
      await until(async () => (await tag(l.port)) === Q, { timeoutMs: 10_000, what: 'members quarantined' });
    assert.equal(await ovs.ping(nic, tenantHost.ip ?? ''), false);
  });

  test('bad requests: unknown stage, unknown network, unknown node, a stage with no network configured', async () => {
    assert.equal((await b.call('PUT', '/v1/nodes/node-1/network', { network: { stage: 'dancing' } })).status, 400);
    assert.equal(
      (
        await b.call('PUT', '/v1/nodes/node-1/network', {
          network: { stage: 'tenant', networks: [{ network: 'nope' }] },
        })
      ).status,
      400,
    );
    assert.equal((await b.call('PUT', '/v1/nodes/nope/network', { network: { stage: 'cleaning' } })).status, 404);
    const rescue = await b.call('PUT', '/v1/nodes/node-1/network', { network: { stage: 'rescue' } });
    assert.equal(rescue.status, 400);
    assert.match(rescue.body.NeutronError.message, /nodes\.networks\.rescue/);
    assert.equal(
      (
        await b.call('POST', '/v1/nodes', {
          node: {
            name: 'node-1',
            nics: [{ mac: '52:54:00:aa:00:09', local_link_information: [{ switch_info: 'tor1', port_id: 'x' }] }],
          },
        })
      ).status,
      409,
    );
  });

  test('the CLI lists and moves nodes with a progress bar for --all', async () => {
    const list = (await run(BMNET, ['--url', b.url, 'node', 'list'])).stdout;
    assert.match(list, /node-1\s*│\s*isolated/);
    const r = await run(BMNET, ['--url', b.url, 'node', 'provision', '--all'], { timeoutMs: 60_000 });
    assert.match(r.stdout, /node-1: provisioning succeeded/);
    assert.match(r.stdout, /node-2: provisioning succeeded/);
    assert.equal(await tag(nic.port), 100);
    const shown = (await run(BMNET, ['--url', b.url, 'node', 'show', 'node-1'])).stdout;
    assert.match(shown, /provisioning/);
    await run(BMNET, ['--url', b.url, 'node', 'isolate', 'node-1', 'node-2'], { timeoutMs: 60_000 });
    assert.equal((await b.call('GET', '/v1/nodes/node-2')).body.node.network_stage, 'isolated');
  });
});
