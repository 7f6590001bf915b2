import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SwitchRejected, SwitchUnreachable } from '../../src/domain/errors.ts';
import type { SwitchOp } from '../../src/domain/switch-plan.ts';
import { parseSwitchPortName, parseVlan } from '../../src/domain/values.ts';
import { silentLogger } from '../../src/logging.ts';
import type { SwitchDriver } from '../../src/switch/driver.ts';
import { OvsdbClient, parseOvsdbRemote } from '../../src/switch/ovsdb/client.ts';
import { OvsdbDriver } from '../../src/switch/ovsdb/driver.ts';
import { planTransaction } from '../../src/switch/ovsdb/plan.ts';
import { select } from '../../src/switch/ovsdb/protocol.ts';
import { decodeSnapshot, snapshotOps } from '../../src/switch/ovsdb/snapshot.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { isRoot, until } from '../helpers/sh.ts';

const skip = !isRoot() && 'needs root (namespaces, OVS)';
let ovs: OvsTestbed;
let driver: SwitchDriver;
let conductor: TestHost;
let node: TestHost;
let tenant: TestHost;
let m1: TestHost;
let m2: TestHost;
let m3: TestHost;

const name = (s: string) => parseSwitchPortName(s);
const access = (port: string, vlan: number): SwitchOp => ({
  kind: 'set-access',
  port: name(port),
  vlan: parseVlan(vlan),
});
const tagOf = async (port: string) => ovs.vsctl('get', 'port', port, 'tag');

before(async () => {
  if (skip) return;
  await removeStale();
  ovs = await startOvs({ tag: 'drv' });
  conductor = await ovs.addHost({ name: 'cond', cidr: '10.79.0.1/24', tag: 100 });
  node = await ovs.addHost({ name: 'node', cidr: '10.79.0.2/24', tag: 100 });
  tenant = await ovs.addHost({ name: 'ten', cidr: '10.79.0.3/24', tag: 200 });
  m1 = await ovs.addHost({ name: 'm1', tag: 300 });
  m2 = await ovs.addHost({ name: 'm2', tag: 300 });
  m3 = await ovs.addHost({ name: 'm3', tag: 300 });
  const client = new OvsdbClient({
    name: 'tor-test',
    remote: parseOvsdbRemote(ovs.remote),
    logger: silentLogger(),
    requestTimeoutMs: 5000,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  driver = new OvsdbDriver(client, { switchName: 'tor-test', bridge: ovs.bridge }, silentLogger());
});

after(async () => {
  await driver?.close();
  await ovs?.destroy();
});

test('identities are the bridge datapath_id (both forms) and its MAC', { skip }, async () => {
  const dpid = await until(
    async () => (await ovs.vsctl('get', 'bridge', ovs.bridge, 'datapath_id')).replace(/"/g, ''),
    {
      what: 'a datapath_id',
    },
  );
  const mac = (await ovs.vsctl('get', 'interface', ovs.bridge, 'mac_in_use')).replace(/"/g, '');
  const ids = await driver.identities();
  assert.deepEqual(ids, [
    { kind: 'datapath-id', value: (dpid.match(/../g) ?? []).join(':') },
    { kind: 'datapath-id', value: dpid },
    { kind: 'mac', value: mac },
  ]);
});

test('set-access moves a host between VLANs, and traffic follows', { skip }, async () => {
  await until(() => ovs.ping(conductor, '10.79.0.2'), {
    timeoutMs: 15_000,
    what: 'the conductor to reach the node on 100',
  });
  await driver.apply([access(node.port, 200)]);
  assert.equal(await tagOf(node.port), '200');
  assert.equal(await ovs.vsctl('get', 'port', node.port, 'vlan_mode'), 'access');
  const cfg = Number(await ovs.vsctl('get', 'Open_vSwitch', '.', 'cur_cfg'));
  assert.equal(cfg, Number(await ovs.vsctl('get', 'Open_vSwitch', '.', 'next_cfg')), 'ovs-vswitchd applied it');
  await until(() => ovs.ping(node, '10.79.0.3'), { timeoutMs: 15_000, what: 'node to reach the tenant on 200' });
  assert.equal(await ovs.ping(node, '10.79.0.1'), false, 'on VLAN 200 the node must not reach the conductor');
  const seen = (await driver.read([name(node.port)])).get(name(node.port));
  assert.equal(seen?.untagged, 200);
  await driver.apply([access(node.port, 100)]);
  await until(() => ovs.ping(node, '10.79.0.1'), { timeoutMs: 15_000, what: 'node back on 100' });
  assert.equal(await ovs.ping(node, '10.79.0.3'), false);
});

test('tagged VLANs are added, read back and removed', { skip }, async () => {
  const port = name(node.port);
  await driver.apply([{ kind: 'add-tagged', port, vlans: [parseVlan(301), parseVlan(300)] }]);
  assert.equal(await ovs.vsctl('get', 'port', node.port, 'vlan_mode'), 'native-untagged');
  assert.equal(await ovs.vsctl('get', 'port', node.port, 'trunks'), '[300, 301]');
  let seen = (await driver.read([port])).get(port);
  assert.deepEqual({ untagged: seen?.untagged, tagged: seen?.tagged }, { untagged: 100, tagged: [300, 301] });
  await driver.apply([{ kind: 'remove-tagged', port, vlans: [parseVlan(300), parseVlan(301)] }]);
  seen = (await driver.read([port])).get(port);
  assert.deepEqual({ untagged: seen?.untagged, tagged: seen?.tagged }, { untagged: 100, tagged: [] });
  assert.equal(await ovs.vsctl('get', 'port', node.port, 'vlan_mode'), 'access');
});

test('a two-member LACP bond is created, changed and deleted', { skip }, async () => {
  const bond = name('bond0');
  await driver.apply([
    {
      kind: 'set-lag',
      lag: bond,
      members: [name(m1.port), name(m2.port)],
      settings: { mode: 'lacp', lacpRate: 'fast' },
    },
    access('bond0', 300),
  ]);
  assert.equal(await ovs.vsctl('get', 'port', 'bond0', 'bond_mode'), 'balance-tcp');
  assert.equal(await ovs.vsctl('get', 'port', 'bond0', 'lacp'), 'active');
  assert.equal(await ovs.vsctl('get', 'port', 'bond0', 'other_config:lacp-time'), 'fast');
  assert.equal(await tagOf('bond0'), '300');
  assert.deepEqual((await ovs.vsctl('list-ifaces', ovs.bridge)).split('\n').includes(m1.port), true);
  assert.equal(await ovs.vsctl('port-to-br', m1.port).catch(() => 'none'), 'none', 'm1 is no longer a port of its own');
  const bondShow = await until(
    async () => {
      const out = await ovs.appctl('bond/show', 'bond0');
      return out.includes(m1.port) && out.includes(m2.port) ? out : null;
    },
    { what: 'bond/show to list both members' },
  );
  assert.match(bondShow, /bond_mode: balance-tcp/);
  let seen = await driver.read([bond, name(m1.port)]);
  assert.deepEqual(seen.get(bond)?.lag, {
    members: [m1.port, m2.port].sort(),
    settings: { mode: 'lacp', lacpRate: 'fast' },
  });
  assert.equal(seen.get(bond)?.untagged, 300);
  assert.equal(seen.get(name(m1.port))?.memberOf, 'bond0');

  // m2 leaves, m3 joins; m2 becomes a port of its own with the VLAN the same batch gives it
  await driver.apply([
    { kind: 'set-lag', lag: bond, members: [name(m1.port), name(m3.port)], settings: { mode: 'active-backup' } },
    access(m2.port, 999),
  ]);
  seen = await driver.read([bond, name(m2.port)]);
  assert.deepEqual(seen.get(bond)?.lag, { members: [m1.port, m3.port].sort(), settings: { mode: 'active-backup' } });
  assert.equal(await ovs.vsctl('get', 'port', 'bond0', 'lacp'), 'off');
  assert.equal(await tagOf(m2.port), '999');
  assert.equal(seen.get(name(m2.port))?.memberOf, null);

  // deleting the bond alone would leave its members trunking every VLAN: refused, nothing changes
  await assert.rejects(driver.apply([{ kind: 'delete-lag', lag: bond }]), SwitchRejected);
  assert.equal(await tagOf('bond0'), '300');

  await driver.apply([{ kind: 'delete-lag', lag: bond }, access(m1.port, 998), access(m3.port, 998)]);
  assert.equal(await ovs.vsctl('port-to-br', 'bond0').catch(() => 'none'), 'none');
  assert.equal(await tagOf(m1.port), '998');
  assert.equal(await tagOf(m3.port), '998');
  seen = await driver.read([bond, name(m1.port)]);
  assert.equal(seen.get(bond)?.exists, false);
  assert.equal(seen.get(name(m1.port))?.untagged, 998);
});

test('a rejected transaction throws SwitchRejected and changes nothing', { skip }, async () => {
  await assert.rejects(driver.apply([access(node.port, 200), access('no-such-port', 200)]), SwitchRejected);
  assert.equal(await tagOf(node.port), '100');
  // the server itself refuses: a LAG named like a port of another bridge breaks the unique Port name index
  await ovs.vsctl('add-br', 'other', '--', 'set', 'bridge', 'other', 'datapath_type=netdev');
  const err = await driver
    .apply([
      access(node.port, 200),
      { kind: 'set-lag', lag: name('other'), members: [name(m1.port)], settings: { mode: 'static' } },
      access('other', 5),
    ])
    .then(
      () => null,
      (e: unknown) => e,
    );
  assert.ok(err instanceof SwitchRejected, `expected SwitchRejected, got ${String(err)}`);
  assert.match(err.output, /constraint violation/);
  assert.equal(await tagOf(node.port), '100');
  assert.equal(await tagOf(m1.port), '998');
  await ovs.vsctl('del-br', 'other');
});

test('set-enabled is refused: OVS ports are isolated with a quarantine VLAN', { skip }, async () => {
  await assert.rejects(
    driver.apply([{ kind: 'set-enabled', port: name(node.port), isEnabled: false }]),
    (e: unknown) => e instanceof SwitchRejected && /quarantine VLAN/.test(e.output),
  );
  assert.equal((await driver.read([name(node.port)])).get(name(node.port))?.isEnabled, true);
});

test('a change made by hand is seen by read', { skip }, async () => {
  await ovs.vsctl('set', 'port', tenant.port, 'tag=777');
  assert.equal((await driver.read([name(tenant.port)])).get(name(tenant.port))?.untagged, 777);
  await ovs.vsctl('remove', 'port', tenant.port, 'tag', '777', '--', 'clear', 'port', tenant.port, 'vlan_mode');
  const seen = (await driver.read([name(tenant.port)])).get(name(tenant.port));
  assert.equal(seen?.carriesAllVlans, true, 'no tag and no trunks is trunk-all');
  await driver.apply([access(tenant.port, 200)]);
  assert.equal(await tagOf(tenant.port), '200');
});

test('ovsdb-server down gives SwitchUnreachable; after restart the driver reconnects', { skip }, async () => {
  await ovs.stopOvsdb();
  await assert.rejects(driver.apply([access(node.port, 200)]), SwitchUnreachable);
  await assert.rejects(driver.read([name(node.port)]), SwitchUnreachable);
  await ovs.startOvsdb();
  await until(
    () =>
      driver.apply([access(node.port, 200)]).then(
        () => true,
        (e: unknown) => {
          if (!(e instanceof SwitchUnreachable)) throw e;
          return false;
        },
      ),
    { timeoutMs: 10_000, what: 'apply to work again' },
  );
  assert.equal(await tagOf(node.port), '200');
  await until(() => ovs.ping(node, '10.79.0.3'), { timeoutMs: 15_000, what: 'node on 200 after the restart' });
});

test('render shows the transaction apply would send, from the state last read', { skip }, async () => {
  await driver.read([name(node.port)]);
  const [text] = driver.render([access(node.port, 123)]);
  const params: unknown = JSON.parse(text ?? 'null');
  assert.ok(Array.isArray(params));
  assert.equal(params[0], 'Open_vSwitch');
  assert.deepEqual(params[params.length - 3], {
    op: 'update',
    table: 'Port',
    where: [['_uuid', '==', ['uuid', (await ovs.vsctl('get', 'port', node.port, '_uuid')).trim()]]],
    row: { tag: 123 },
  });
  assert.equal(await tagOf(node.port), '200', 'render changes nothing');
});

test('the client answers list_dbs and get_schema, and drops a server that stops answering', { skip }, async (t) => {
  const client = new OvsdbClient({
    name: 'probe',
    remote: parseOvsdbRemote(ovs.remote),
    logger: silentLogger(),
    echoIntervalMs: 100,
    requestTimeoutMs: 500,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  t.after(async () => {
    await ovs.resumeOvsdb();
    await client.close();
  });
  assert.ok((await client.listDbs()).includes('Open_vSwitch'));
  const schema = (await client.getSchema('Open_vSwitch')) as { tables?: Record<string, unknown> };
  assert.ok(schema.tables?.Port, 'the schema has a Port table');
  assert.equal(client.isConnected(), true);

  await ovs.pauseOvsdb();
  // no request is in flight: only the idle probe (echo, RFC 7047 §4.1.11) can find the silent server
  await until(() => !client.isConnected(), { timeoutMs: 5000, what: 'the echo probe to drop the connection' });
  await assert.rejects(client.transact('Open_vSwitch', [select('Port', [])]), SwitchUnreachable);
  await ovs.resumeOvsdb();
  await until(() => client.listDbs().then((dbs) => dbs.includes('Open_vSwitch')), {
    timeoutMs: 5000,
    what: 'the client to answer again',
  });
});

test('apply waits for ovs-vswitchd: a frozen forwarding plane gives SwitchUnreachable', { skip }, async (t) => {
  await ovs.pauseVswitchd();
  t.after(() => ovs.resumeVswitchd());
  const err = await driver.apply([access(tenant.port, 201)]).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof SwitchUnreachable, `expected SwitchUnreachable, got ${String(err)}`);
  assert.match(err.message, /ovs-vswitchd has not applied configuration/);
  assert.equal(await tagOf(tenant.port), '201', 'the change is stored');
  await ovs.resumeVswitchd();
  await driver.apply([access(tenant.port, 200)]);
  assert.equal(
    await ovs.vsctl('get', 'Open_vSwitch', '.', 'cur_cfg'),
    await ovs.vsctl('get', 'Open_vSwitch', '.', 'next_cfg'),
  );
});

test('a plan made on state that changed meanwhile fails on its guards and changes nothing', { skip }, async (t) => {
  const client = new OvsdbClient({ name: 'guard', remote: parseOvsdbRemote(ovs.remote), logger: silentLogger() });
  t.after(() => client.close());
  const readSnapshot = async () => {
    const read = await client.transact('Open_vSwitch', snapshotOps(ovs.bridge));
    assert.ok(read.ok);
    const snapshot = decodeSnapshot(ovs.bridge, read.results);
    assert.ok(snapshot);
    return snapshot;
  };
  const before = await readSnapshot();
  const update = planTransaction({ switchName: 'guard', snapshot: before, ops: [access(node.port, 321)] });
  const lag = planTransaction({
    switchName: 'guard',
    snapshot: before,
    ops: [
      { kind: 'set-lag', lag: name('bond7'), members: [name(m1.port), name(m3.port)], settings: { mode: 'static' } },
      access('bond7', 7),
    ],
  });
  await ovs.vsctl('set', 'port', node.port, 'tag=322'); // by hand, after the plans were made
  await ovs.vsctl('del-port', m3.port);
  for (const transaction of [update, lag]) {
    const outcome = await client.transact('Open_vSwitch', transaction);
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.ok ? null : [outcome.error.error, transaction[outcome.error.opIndex ?? -1]?.op], [
      'timed out',
      'wait',
    ]);
  }
  assert.equal(await tagOf(node.port), '322');
  assert.equal(await tagOf(m1.port), '998');
  // the driver plans again on fresh state
  await ovs.vsctl('add-port', ovs.bridge, m3.port, 'tag=998');
  await driver.apply([access(node.port, 200)]);
  assert.equal(await tagOf(node.port), '200');
});

test('an LACP bond negotiates with a real LACP partner (a second OVS bridge)', { skip }, async (t) => {
  const a = await ovs.addLink({ tag: 900 });
  const b = await ovs.addLink({ tag: 900 });
  // the partner: a bond with LACP on another bridge of the same switch, over the far ends of the cables
  await ovs.vsctl('add-br', 'partner', '--', 'set', 'bridge', 'partner', 'datapath_type=netdev');
  await ovs.vsctl('add-bond', 'partner', 'pbond', a.peer, b.peer, 'lacp=active', 'bond_mode=balance-tcp');
  t.after(() => ovs.vsctl('--if-exists', 'del-br', 'partner'));
  const lag = name('lacp0');
  await driver.apply([
    { kind: 'set-lag', lag, members: [name(a.port), name(b.port)], settings: { mode: 'lacp', lacpRate: 'fast' } },
    access('lacp0', 900),
  ]);
  const attached = (out: string, port: string) => new RegExp(`member: ${port}: current attached`).test(out);
  await until(
    async () => {
      const out = await ovs.appctl('lacp/show', 'lacp0');
      return /status: active negotiated/.test(out) && attached(out, a.port) && attached(out, b.port);
    },
    { timeoutMs: 15_000, what: 'LACP to negotiate with the partner on both members' },
  );
  assert.match(await ovs.appctl('bond/show', 'lacp0'), /lacp_status: negotiated/);
  await driver.apply([{ kind: 'delete-lag', lag }, access(a.port, 900), access(b.port, 900)]);
  assert.equal((await driver.read([lag])).get(lag)?.exists, false);
});
