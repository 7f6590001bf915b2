import assert from 'node:assert/strict';
import { test } from 'node:test';
import { removeStale, startOvs } from '../helpers/ovs-testbed.ts';
import { isRoot, until } from '../helpers/sh.ts';

test('the OVS testbed isolates access ports by VLAN', { skip: !isRoot() && 'needs root' }, async (t) => {
  await removeStale();
  const ovs = await startOvs({ tag: 'tb' });
  t.after(() => ovs.destroy());

  const a = await ovs.addHost({ name: 'a', cidr: '10.77.0.1/24', tag: 100 });
  const b = await ovs.addHost({ name: 'b', cidr: '10.77.0.2/24', tag: 100 });
  const c = await ovs.addHost({ name: 'c', cidr: '10.77.0.3/24', tag: 200 });

  assert.equal(await ovs.vsctl('get', 'port', b.port, 'tag'), '100');
  assert.match(await ovs.vsctl('get', 'bridge', ovs.bridge, 'datapath_type'), /netdev/);
  await until(() => ovs.ping(a, '10.77.0.2'), { timeoutMs: 15_000, what: 'a to reach b on VLAN 100' });
  assert.equal(await ovs.ping(a, '10.77.0.3'), false, 'a on VLAN 100 must not reach c on VLAN 200');
  assert.equal(await ovs.ping(c, '10.77.0.1'), false, 'c on VLAN 200 must not reach a on VLAN 100');

  await ovs.stopOvsdb();
  assert.equal(ovs.isOvsdbRunning(), false);
  await ovs.startOvsdb();
  assert.equal(await ovs.vsctl('get', 'port', c.port, 'tag'), '200', 'the database survives a restart');
});
