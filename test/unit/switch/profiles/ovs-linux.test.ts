import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../../src/domain/errors.ts';
import { parseSwitchPortName, parseVlan } from '../../../../src/domain/values.ts';
import { silentLogger } from '../../../../src/logging.ts';
import { SshDriver } from '../../../../src/switch/ssh/driver.ts';
import { absentPort, renderOps } from '../../../../src/switch/ssh/profile.ts';
import { ovsProfile } from '../../../../src/switch/ssh/profiles/ovs-linux.ts';
import { SshTransport } from '../../../../src/switch/ssh/transport.ts';
import { type GoldenCase, goldenOps, names, QUARANTINE, readFixture } from './golden.ts';

const profile = ovsProfile({
  dbSocket: '/run/ovs/db.sock',
  bridge: 'tor1',
  rundir: '/run/ovs',
  quarantineVlan: QUARANTINE,
});
const V = 'ovs-vsctl --db=unix:/run/ovs/db.sock --timeout=10';
const ops = goldenOps({ port: 'eth1', lag: 'bond1', members: ['eth2', 'eth3'] });

const want: Record<GoldenCase, readonly string[]> = {
  'set access VLAN': [`${V} -- set port eth1 vlan_mode=access tag=100 trunks=100`],
  'back to default: quarantine VLAN': [`${V} -- set port eth1 vlan_mode=access tag=4000 trunks=4000`],
  'back to default: disable': ['ovs-ofctl mod-port unix:/run/ovs/tor1.mgmt eth1 down'],
  'add tagged VLANs': [`${V} -- set port eth1 vlan_mode=native-untagged -- add port eth1 trunks 200 201`],
  'remove tagged VLANs': [`${V} -- remove port eth1 trunks 201`],
  'create LAG with members': [
    `${V} -- --if-exists del-port tor1 bond1 -- --if-exists del-port tor1 eth2 -- --if-exists del-port tor1 eth3` +
      ' -- add-bond tor1 bond1 eth2 eth3 lacp=active bond_mode=balance-tcp other_config:lacp-time=fast' +
      ' vlan_mode=access tag=4000 trunks=4000',
  ],
  'delete LAG': [`${V} -- --if-exists del-port tor1 bond1`],
  'disable port': ['ovs-ofctl mod-port unix:/run/ovs/tor1.mgmt eth1 down'],
  'enable port': ['ovs-ofctl mod-port unix:/run/ovs/tor1.mgmt eth1 up'],
};

for (const [name, op] of Object.entries(ops) as [GoldenCase, (typeof ops)[GoldenCase]][]) {
  test(`ovs renders '${name}'`, () => assert.deepEqual(renderOps(profile, [op]), want[name]));
}

const bond1 = (members: readonly string[]) =>
  new Map([
    [
      parseSwitchPortName('bond1'),
      {
        name: parseSwitchPortName('bond1'),
        exists: true,
        untagged: parseVlan(100),
        tagged: [],
        isEnabled: true,
        lag: { members: members.map(parseSwitchPortName), settings: { mode: 'lacp' as const } },
        memberOf: null,
      },
    ],
  ]);

test('ovs: deleting a bond read before the batch gives its members their own ports on the quarantine VLAN', () => {
  assert.deepEqual(renderOps(profile, [ops['delete LAG']], bond1(['eth2', 'eth3'])), [
    `${V} -- --id=@i-eth2 get Interface eth2` +
      ' -- --id=@p-eth2 create Port name=eth2 interfaces=@i-eth2 vlan_mode=access tag=4000 trunks=4000' +
      ' -- add Bridge tor1 ports @p-eth2' +
      ' -- --id=@i-eth3 get Interface eth3' +
      ' -- --id=@p-eth3 create Port name=eth3 interfaces=@i-eth3 vlan_mode=access tag=4000 trunks=4000' +
      ' -- add Bridge tor1 ports @p-eth3' +
      ' -- --id=@l-bond1 get Port bond1 -- remove Bridge tor1 ports @l-bond1',
  ]);
});

test('ovs: changing an existing bond moves interfaces in and out and keeps the bond port', () => {
  const op = ops['create LAG with members'];
  assert.equal(op.kind, 'set-lag');
  if (op.kind !== 'set-lag') return;
  assert.deepEqual(renderOps(profile, [{ ...op, members: names('eth2', 'eth4') }], bond1(['eth2', 'eth3'])), [
    `${V} -- --id=@i-eth3 get Interface eth3` +
      ' -- --id=@p-eth3 create Port name=eth3 interfaces=@i-eth3 vlan_mode=access tag=4000 trunks=4000' +
      ' -- add Bridge tor1 ports @p-eth3 -- remove Port bond1 interfaces @i-eth3' +
      ' -- --id=@i-eth4 get Interface eth4 -- --id=@p-eth4 get Port eth4 -- remove Bridge tor1 ports @p-eth4' +
      ' -- add Port bond1 interfaces @i-eth4' +
      ' -- set Port bond1 lacp=active bond_mode=balance-tcp other_config:lacp-time=fast',
  ]);
});

test('ovs: deleting a bond the read did not find sends nothing', () => {
  const absent = new Map([[parseSwitchPortName('bond1'), absentPort(parseSwitchPortName('bond1'))]]);
  assert.deepEqual(renderOps(profile, [ops['delete LAG']], absent), []);
});

test('ovs: save config is nothing to send (OVSDB commits are durable)', () => {
  assert.deepEqual(profile.save, []);
  assert.equal(profile.supports.save, false);
});

test('ovs joins a batch of ovs-vsctl commands into one invocation (one OVSDB transaction)', () => {
  const a = parseSwitchPortName('eth1');
  const b = parseSwitchPortName('eth2');
  assert.deepEqual(
    renderOps(profile, [
      { kind: 'set-access', port: a, vlan: parseVlan(100) },
      { kind: 'set-access', port: b, vlan: parseVlan(101) },
      { kind: 'set-enabled', port: b, isEnabled: true },
      { kind: 'remove-tagged', port: a, vlans: [parseVlan(7)] },
    ]),
    [
      `${V} -- set port eth1 vlan_mode=access tag=100 trunks=100 -- set port eth2 vlan_mode=access tag=101 trunks=101`,
      'ovs-ofctl mod-port unix:/run/ovs/tor1.mgmt eth2 up',
      `${V} -- remove port eth1 trunks 7`,
    ],
  );
});

test('ovs refuses names and parameters it would not accept (no shell syntax gets through)', () => {
  // Valid as a switch port name in general, but longer than a Linux interface name.
  const evil = parseSwitchPortName('a-very-long-port-name');
  assert.throws(() => renderOps(profile, [{ kind: 'set-access', port: evil, vlan: parseVlan(5) }]), InvalidInput);
  assert.throws(
    () => ovsProfile({ dbSocket: '/run/x;rm', bridge: 'tor1', rundir: '/run', quarantineVlan: QUARANTINE }),
    InvalidInput,
  );
  assert.throws(
    () => ovsProfile({ dbSocket: '/run/db.sock', bridge: 'tor 1', rundir: '/run', quarantineVlan: QUARANTINE }),
    InvalidInput,
  );
});

test('the ssh driver renders a dry run without connecting', () => {
  const transport = new SshTransport(
    {
      switchName: 'tor2',
      host: '192.0.2.1',
      port: 22,
      username: 'bmnet',
      auth: { kind: 'password', password: 'pw' },
      enableSecret: null,
      hostKeySha256: null,
    },
    profile,
    { maxSessions: 1, connectTimeoutMs: 1000, commandTimeoutMs: 1000, idleCloseMs: 1000 },
    silentLogger(),
  );
  const driver = new SshDriver(
    profile,
    transport,
    { switchName: 'tor2', identities: [], isSaveEnabled: true, secrets: [] },
    silentLogger(),
  );
  assert.deepEqual(driver.render([ops['set access VLAN']]), want['set access VLAN']);
  assert.deepEqual(driver.render([]), []);
});

test('ovs parsePorts reads captured ovs-vsctl list output', () => {
  const [port = '', iface = ''] = readFixture('test/fixtures/switch/ovs/list-port-interface.txt').split('\n');
  const asked = names('btdjg1p', 'btdjg2p', 'bond7', 'btdjg3p', 'tor1', 'eth99');
  const got = profile.parsePorts([port, iface], asked);
  assert.deepEqual(
    [...got.values()],
    [
      { name: 'btdjg1p', exists: true, untagged: 100, tagged: [], isEnabled: false, lag: null, memberOf: null },
      { name: 'btdjg2p', exists: true, untagged: 110, tagged: [200, 201], isEnabled: true, lag: null, memberOf: null },
      {
        name: 'bond7',
        exists: true,
        untagged: 300,
        tagged: [],
        isEnabled: true,
        lag: { members: ['btdjg3p', 'btdjg4p'], settings: { mode: 'lacp', lacpRate: 'fast' } },
        memberOf: null,
      },
      { name: 'btdjg3p', exists: true, untagged: null, tagged: [], isEnabled: true, lag: null, memberOf: 'bond7' },
      // The bridge's internal port has no tag and no trunks: Open vSwitch's trunk-all.
      {
        name: 'tor1',
        exists: true,
        untagged: null,
        tagged: [],
        carriesAllVlans: true,
        isEnabled: false,
        lag: null,
        memberOf: null,
      },
      { name: 'eth99', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
    ],
  );
});
