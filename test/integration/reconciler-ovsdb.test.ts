/**
 * Port binding on a real Open vSwitch (userspace datapath) through the ovsdb driver: the reconciler turns
 * Neutron ports into switch VLANs, and real traffic between namespace hosts shows the result.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { run, until } from '../helpers/sh.ts';

const QUARANTINE = 999;

describe('reconciler + ovsdb driver on a real OVS switch', () => {
  let ovs: OvsTestbed;
  let b: TestBmnet;
  let conductor: TestHost;
  let tenantHost: TestHost;
  let node: TestHost;
  let dpid: string;
  let prov: Body;
  let tenant: Body;

  const tag = async (port: string) => {
    const t = await ovs.vsctl('get', 'port', port, 'tag');
    return t === '[]' ? null : Number(t);
  };
  const portState = (id: string) => b.port(id);
  const lli = (ports: string[]) => ports.map((p) => ({ switch_id: dpid, port_id: p, switch_info: 'tor1' }));
  const bindPort = (networkId: string, ports: string[], extra: Body = {}) => b.bindPort(networkId, lli(ports), extra);
  const waitActive = (id: string) => b.waitPortActive(id);

  before(async () => {
    await removeStale();
    ovs = await startOvs({ tag: 'rc' });
    conductor = await ovs.addHost({ name: 'cond', cidr: '10.66.0.1/16', tag: 100 });
    tenantHost = await ovs.addHost({ name: 'tnt', cidr: '10.66.0.2/16', tag: 200 });
    node = await ovs.addHost({ name: 'node', cidr: '10.66.0.10/16', tag: QUARANTINE });
    dpid = (await ovs.vsctl('get', 'bridge', ovs.bridge, 'datapath_id')).replace(/"/g, '');
    b = await startBmnet(`network:
  physnets:
    physnet1: {vlan_ranges: ["300:399"]}
switches:
  - name: tor1
    identities: ["${dpid}"]
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    protected_ports: [${conductor.port}]
    unbound: {vlan: ${QUARANTINE}}
    batch_window_ms: 10
reconciler: {resync_seconds: 1, retry_initial_ms: 50, retry_max_ms: 500}
`);
    prov = (
      await b.call('POST', '/v2.0/networks', { network: { name: 'provisioning', 'provider:segmentation_id': 100 } })
    ).body.network;
    tenant = (await b.call('POST', '/v2.0/networks', { network: { name: 'tenant', 'provider:segmentation_id': 200 } }))
      .body.network;
  });
  after(async () => {
    await b?.close();
    await ovs?.destroy();
  });

  let provPort: Body;
  let tenantPort: Body;

  test('(a) a NIC bound to the provisioning network turns ACTIVE only once the switch carries VLAN 100; it reaches the conductor', async () => {
    assert.equal(await ovs.ping(node, conductor.ip ?? ''), false);
    provPort = await bindPort(prov.id, [node.port]);
    assert.equal(provPort.status, 'DOWN');
    await waitActive(provPort.id);
    const p = await portState(provPort.id);
    assert.equal(p['binding:vif_type'], 'other');
    assert.equal(await tag(node.port), 100);
    assert.ok(await until(() => ovs.ping(node, conductor.ip ?? ''), { timeoutMs: 5000, what: 'ping conductor' }));
    assert.equal(await ovs.ping(node, tenantHost.ip ?? ''), false);
  });

  test("(b) Ironic's move to the tenant network: the node reaches the tenant host and no longer the conductor", async () => {
    assert.equal((await b.call('DELETE', `/v2.0/ports/${provPort.id}`)).status, 204);
    await until(async () => (await tag(node.port)) === QUARANTINE, {
      timeoutMs: 10_000,
      what: 'quarantine after delete',
    });
    tenantPort = (await b.call('POST', '/v2.0/ports', { port: { network_id: tenant.id } })).body.port;
    const bound = await b.call('PUT', `/v2.0/ports/${tenantPort.id}`, {
      port: {
        'binding:vnic_type': 'baremetal',
        'binding:host_id': 'node-1',
        'binding:profile': { local_link_information: lli([node.port]) },
      },
    });
    assert.equal(bound.status, 200);
    await waitActive(tenantPort.id);
    assert.equal(await tag(node.port), 200);
    assert.ok(await until(() => ovs.ping(node, tenantHost.ip ?? ''), { timeoutMs: 5000, what: 'ping tenant host' }));
    assert.equal(await ovs.ping(node, conductor.ip ?? ''), false);
  });

  test('(d) binding the same switch port untagged to a second network fails visibly; the switch keeps the first', async () => {
    const second = await bindPort(prov.id, [node.port]);
    await until(async () => (await portState(second.id))['binding:vif_type'] === 'binding_failed', {
      timeoutMs: 10_000,
      what: 'binding_failed',
    });
    const p = await portState(second.id);
    assert.equal(p.status, 'DOWN');
    assert.match(p['binding:vif_details'].reason, new RegExp(`port ${node.port} already carries VLAN 200`));
    assert.equal(await tag(node.port), 200);
    assert.equal((await portState(tenantPort.id)).status, 'ACTIVE');
    await b.call('DELETE', `/v2.0/ports/${second.id}`);
  });

  test('unresolvable bindings fail at once with the reason: unknown switch, protected port', async () => {
    const unknown = (
      await b.call('POST', '/v2.0/ports', {
        port: {
          network_id: prov.id,
          'binding:vnic_type': 'baremetal',
          'binding:host_id': 'n',
          'binding:profile': { local_link_information: [{ switch_id: '52:54:00:00:00:99', port_id: 'x1' }] },
        },
      })
    ).body.port;
    const protectedPort = await bindPort(prov.id, [conductor.port]);
    for (const [id, why] of [
      [unknown.id, /no switch answers to switch_id 52:54:00:00:00:99/],
      [protectedPort.id, /is protected/],
    ] as const) {
      await until(async () => (await portState(id))['binding:vif_type'] === 'binding_failed', {
        timeoutMs: 10_000,
        what: 'binding_failed',
      });
      assert.match((await portState(id))['binding:vif_details'].reason, why);
      await b.call('DELETE', `/v2.0/ports/${id}`);
    }
    assert.equal(await tag(conductor.port), 100, 'a protected port is never touched');
  });

  test('(e) a tag changed by hand is restored by the periodic resync', async () => {
    await ovs.vsctl('set', 'port', node.port, 'tag=123');
    await until(async () => (await tag(node.port)) === 200, { timeoutMs: 10_000, what: 'drift repaired' });
    assert.ok(await until(() => ovs.ping(node, tenantHost.ip ?? ''), { timeoutMs: 5000, what: 'ping after repair' }));
  });

  test('(c) a port group of two NICs is one LACP bond carrying the VLAN; gone after delete', async () => {
    const a = await ovs.addLink({ tag: QUARANTINE });
    const c = await ovs.addLink({ tag: QUARANTINE });
    const pg = await bindPort(tenant.id, [a.port, c.port], {
      local_group_information: {
        id: 'pg-node-2',
        name: 'pg-node-2',
        bond_mode: '802.3ad',
        bond_properties: { bond_lacp_rate: 'fast' },
      },
    });
    await waitActive(pg.id);
    const bond = 'bond1';
    const ifaces = await ovs.vsctl('--', '--columns=name', 'find', 'interface', `name=${a.port}`);
    assert.match(ifaces, new RegExp(a.port));
    assert.equal(await tag(bond), 200);
    assert.equal(await ovs.vsctl('get', 'port', bond, 'lacp'), 'active');
    const members = await ovs.vsctl('get', 'port', bond, 'interfaces');
    assert.equal(members.split(',').length, 2);
    const sw = (await b.call('GET', '/v1/switches/tor1')).body.switch;
    const lag = sw.ports.find((p: Body) => p.port === bond);
    assert.equal(lag.desired.kind, 'lag');
    assert.equal(lag.in_sync, true);
    // members follow the port: a third NIC joins, then the second leaves (and is quarantined)
    const d = await ovs.addLink({ tag: QUARANTINE });
    const lgi = { id: 'pg-node-2', name: 'pg-node-2', bond_mode: '802.3ad' };
    const setLinks = async (ports: string[]) => {
      const r = await b.call('PUT', `/v2.0/ports/${pg.id}`, {
        port: { 'binding:profile': { local_link_information: lli(ports), local_group_information: lgi } },
      });
      assert.equal(r.status, 200);
      await waitActive(pg.id);
    };
    const memberNames = async () =>
      (await ovs.vsctl('--format=csv', '--no-headings', '--columns=name', 'list', 'interface'))
        .split('\n')
        .map((l) => l.replace(/"/g, ''))
        .filter((n) => [a.port, c.port, d.port].includes(n) && n !== '')
        .sort();
    await setLinks([a.port, c.port, d.port]);
    assert.equal((await ovs.vsctl('get', 'port', bond, 'interfaces')).split(',').length, 3);
    await setLinks([a.port, d.port]);
    assert.equal((await ovs.vsctl('get', 'port', bond, 'interfaces')).split(',').length, 2);
    assert.equal(await tag(c.port), QUARANTINE, 'the member that left is a plain quarantined port again');
    assert.equal(await tag(bond), 200);
    assert.equal((await memberNames()).length, 3);
    assert.equal((await b.call('DELETE', `/v2.0/ports/${pg.id}`)).status, 204);
    await until(async () => (await ovs.vsctl('--if-exists', 'get', 'port', bond, 'name')) === '', {
      timeoutMs: 10_000,
      what: 'bond removed',
    });
    assert.equal(await tag(a.port), QUARANTINE);
    assert.equal(await tag(d.port), QUARANTINE);
  });

  test('dry run shows the exact OVSDB transaction before a change, and /v1/switches the health', async () => {
    await ovs.vsctl('set', 'port', node.port, 'tag=124');
    const dry = (await b.call('GET', '/v1/switches/tor1/dry-run')).body.dry_run;
    if (dry.removals.length + dry.additions.length > 0) {
      assert.ok(
        [...dry.commands.removals, ...dry.commands.additions].some(
          (c: string) => c.includes('"transact"') || c.includes('Port'),
        ),
      );
    }
    await until(async () => (await tag(node.port)) === 200, { timeoutMs: 10_000, what: 'repaired' });
    const list = (await b.call('GET', '/v1/switches')).body.switches;
    assert.equal(list[0].name, 'tor1');
    assert.equal(list[0].isReachable, true);
    assert.equal(
      (await b.call('GET', '/v1/switches', undefined, { 'x-project-id': 'p', 'x-roles': 'member' })).status,
      403,
    );
    const bmnet = join(import.meta.dirname, '../../bin/bmnet');
    const shown = (await run(bmnet, ['--url', b.url, 'switch', 'show', 'tor1'])).stdout;
    assert.match(shown, new RegExp(`${node.port}\\s*│\\s*vlan 200\\s*│\\s*vlan 200\\s*│\\s*yes`));
    const listed = (await run(bmnet, ['--url', b.url, 'switch', 'list'])).stdout;
    assert.match(listed, /tor1\s*│\s*ovsdb\s*│\s*true/);
    const dryRun = (await run(bmnet, ['--url', b.url, 'switch', 'dry-run', 'tor1'])).stdout;
    assert.match(dryRun, /tor1: in sync, nothing to send/);
  });

  test('(f) switch down: the port reports why and stays DOWN; nothing is lost; it converges when the switch returns', async () => {
    await ovs.stopOvsdb();
    const back = await b.call('PUT', `/v2.0/ports/${tenantPort.id}`, { port: { 'binding:host_id': '' } });
    assert.equal(back.status, 200);
    provPort = await bindPort(prov.id, [node.port]);
    await until(async () => /unreachable/.test((await portState(provPort.id))['binding:vif_details']?.reason ?? ''), {
      timeoutMs: 15_000,
      what: 'reason on the port',
    });
    assert.equal((await portState(provPort.id)).status, 'DOWN');
    const health = (await b.call('GET', '/v1/switches/tor1')).body.switch;
    assert.equal(health.isReachable, false);
    assert.ok(health.lastError);
    await ovs.startOvsdb();
    await waitActive(provPort.id);
    assert.equal(await tag(node.port), 100);
    assert.ok(await until(() => ovs.ping(node, conductor.ip ?? ''), { timeoutMs: 5000, what: 'ping conductor again' }));
  });
});
