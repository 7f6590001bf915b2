/**
 * Port binding through the `ssh` driver and the `ovs` profile: a real OpenSSH sshd whose shell drives the
 * Open vSwitch testbed switch, the same flows as the ovsdb driver, and batching over warm sessions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { until } from '../helpers/sh.ts';
import { removeStaleSshd, startSshd, type TestSshd } from '../helpers/sshd.ts';

const Q = 998;

describe('reconciler + ssh driver (ovs profile) through a real sshd', () => {
  let ovs: OvsTestbed;
  let sshd: TestSshd;
  let b: TestBmnet;
  let conductor: TestHost;
  let tenantHost: TestHost;
  let node: TestHost;
  let prov: Body;
  let tenant: Body;

  const tag = async (port: string) => Number(await ovs.vsctl('get', 'port', port, 'tag'));
  const portState = (id: string) => b.port(id);
  const bindPort = (networkId: string, ports: string[], extra: Body = {}) =>
    b.bindPort(
      networkId,
      ports.map((p) => ({ switch_info: 'tor2', port_id: p })),
      extra,
    );
  const waitActive = (id: string) => b.waitPortActive(id, 30_000);

  before(async () => {
    await removeStale();
    await removeStaleSshd();
    ovs = await startOvs({ tag: 'rs' });
    sshd = await startSshd({ tag: 'rs' });
    conductor = await ovs.addHost({ name: 'cond', cidr: '10.68.0.1/16', tag: 100 });
    tenantHost = await ovs.addHost({ name: 'tnt', cidr: '10.68.0.2/16', tag: 200 });
    node = await ovs.addHost({ name: 'node', cidr: '10.68.0.10/16', tag: Q });
    b = await startBmnet(`switches:
  - name: tor2
    physnets: [physnet1]
    driver: ssh
    ssh:
      host: ${sshd.host}
      port: ${sshd.port}
      username: ${sshd.username}
      key_file: ${sshd.keyFile}
      profile: ovs
      options: {db_socket: "${ovs.dbSocket}", bridge: ${ovs.bridge}, rundir: "${ovs.rundir}", host_key_sha256: "${sshd.hostKeySha256}"}
    unbound: {vlan: ${Q}}
    max_sessions: 1
    batch_window_ms: 20
reconciler: {resync_seconds: 2, retry_initial_ms: 100, retry_max_ms: 1000}
`);
    prov = (
      await b.call('POST', '/v2.0/networks', { network: { name: 'provisioning', 'provider:segmentation_id': 100 } })
    ).body.network;
    tenant = (await b.call('POST', '/v2.0/networks', { network: { name: 'tenant', 'provider:segmentation_id': 200 } }))
      .body.network;
  });
  after(async () => {
    await b?.close();
    await sshd?.destroy();
    await ovs?.destroy();
  });

  let provPort: Body;

  test('(a)+(b) provisioning then tenant, over SSH: real traffic follows the binding', async () => {
    provPort = await bindPort(prov.id, [node.port]);
    await waitActive(provPort.id);
    assert.equal(await tag(node.port), 100);
    assert.ok(await until(() => ovs.ping(node, conductor.ip ?? ''), { timeoutMs: 5000, what: 'ping conductor' }));
    await b.call('DELETE', `/v2.0/ports/${provPort.id}`);
    const t = await bindPort(tenant.id, [node.port]);
    await waitActive(t.id);
    assert.equal(await tag(node.port), 200);
    assert.ok(await until(() => ovs.ping(node, tenantHost.ip ?? ''), { timeoutMs: 5000, what: 'ping tenant' }));
    assert.equal(await ovs.ping(node, conductor.ip ?? ''), false);
  });

  test('a port the switch does not have: the switch rejects the command; binding_failed with its output, at once', async () => {
    const bad = await bindPort(prov.id, ['no-such-port']);
    await until(async () => (await portState(bad.id))['binding:vif_type'] === 'binding_failed', {
      timeoutMs: 30_000,
      what: 'binding_failed',
    });
    const reason: string = (await portState(bad.id))['binding:vif_details'].reason;
    assert.match(reason, /no-such-port/);
    await b.call('DELETE', `/v2.0/ports/${bad.id}`);
  });

  test('(c) a port group over SSH is one OVS bond carrying the VLAN; gone after delete', async () => {
    const l1 = await ovs.addLink({ tag: Q });
    const l2 = await ovs.addLink({ tag: Q });
    const pg = await bindPort(tenant.id, [l1.port, l2.port], {
      local_group_information: { id: 'pg-ssh', bond_mode: '802.3ad' },
    });
    await waitActive(pg.id);
    assert.equal(await tag('bond1'), 200);
    assert.equal((await ovs.vsctl('get', 'port', 'bond1', 'interfaces')).split(',').length, 2);
    await b.call('DELETE', `/v2.0/ports/${pg.id}`);
    await until(async () => (await ovs.vsctl('--if-exists', 'get', 'port', 'bond1', 'name')) === '', {
      timeoutMs: 30_000,
      what: 'bond removed',
    });
    assert.equal(await tag(l1.port), Q);
  });

  test('many ports change over few logins (warm session, one batch per run)', async () => {
    const before = await sshd.acceptedLogins();
    const links = [];
    for (let i = 0; i < 6; i++) links.push(await ovs.addLink({ tag: Q }));
    const ports = await Promise.all(links.map((l) => bindPort(prov.id, [l.port])));
    for (const p of ports) await waitActive(p.id);
    for (const l of links) assert.equal(await tag(l.port), 100);
    const logins = (await sshd.acceptedLogins()) - before;
    assert.ok(logins <= 2, `${logins} logins for 6 ports`);
  });

  test('(f) sshd down: ports report why; everything converges when it returns', async () => {
    await sshd.stop();
    const p = await bindPort(prov.id, [(await ovs.addLink({ tag: Q })).port]);
    await until(
      async () =>
        /unreachable|connect|ECONNREFUSED/i.test((await portState(p.id))['binding:vif_details']?.reason ?? ''),
      {
        timeoutMs: 30_000,
        what: 'reason on the port',
      },
    );
    assert.equal((await portState(p.id)).status, 'DOWN');
    assert.equal((await b.call('GET', '/v1/switches/tor2')).body.switch.isReachable, false);
    await sshd.restart();
    await waitActive(p.id);
  });
});
