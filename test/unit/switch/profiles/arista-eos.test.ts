import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderOps } from '../../../../src/switch/ssh/profile.ts';
import { aristaEos } from '../../../../src/switch/ssh/profiles/arista-eos.ts';
import { type GoldenCase, goldenOps, names, readFixture } from './golden.ts';

const ops = goldenOps({ port: 'Ethernet1', lag: 'Port-Channel10', members: ['Ethernet3', 'Ethernet4'] });

const want: Record<GoldenCase, readonly string[]> = {
  'set access VLAN': [
    'interface Ethernet1',
    'switchport mode access',
    'switchport access vlan 100',
    'switchport trunk native vlan 100',
    'switchport trunk allowed vlan 100',
  ],
  'back to default: quarantine VLAN': [
    'interface Ethernet1',
    'switchport mode access',
    'switchport access vlan 4000',
    'switchport trunk native vlan 4000',
    'switchport trunk allowed vlan 4000',
  ],
  'back to default: disable': ['interface Ethernet1', 'shutdown'],
  'add tagged VLANs': ['interface Ethernet1', 'switchport trunk allowed vlan add 200,201', 'switchport mode trunk'],
  'remove tagged VLANs': ['interface Ethernet1', 'switchport trunk allowed vlan remove 201'],
  'create LAG with members': [
    'interface Port-Channel10',
    'port-channel min-links 1',
    'interface Ethernet3',
    'channel-group 10 mode active',
    'lacp rate fast',
    'interface Ethernet4',
    'channel-group 10 mode active',
    'lacp rate fast',
  ],
  'delete LAG': ['no interface Port-Channel10'],
  'disable port': ['interface Ethernet1', 'shutdown'],
  'enable port': ['interface Ethernet1', 'no shutdown'],
};

for (const [name, op] of Object.entries(ops) as [GoldenCase, (typeof ops)[GoldenCase]][]) {
  test(`arista-eos renders '${name}'`, () => assert.deepEqual(renderOps(aristaEos, [op]), want[name]));
}

test('arista-eos: a batch is one configuration session; save config is write memory', () => {
  assert.deepEqual(aristaEos.enterConfig, ['configure session']);
  assert.deepEqual(aristaEos.commit, ['commit']);
  assert.deepEqual(aristaEos.abort, ['abort']);
  assert.deepEqual(aristaEos.save, ['write memory']);
});

test('arista-eos parsePorts reads show running-config interface sections', () => {
  const text = readFixture('test/fixtures/switch/arista-eos/running-config-interfaces.txt');
  const asked = names('Ethernet1', 'Ethernet2', 'Port-Channel10', 'Ethernet3', 'Ethernet5', 'Ethernet9');
  assert.deepEqual(
    [...aristaEos.parsePorts([text], asked).values()],
    [
      { name: 'Ethernet1', exists: true, untagged: 100, tagged: [], isEnabled: true, lag: null, memberOf: null },
      {
        name: 'Ethernet2',
        exists: true,
        untagged: 110,
        tagged: [200, 201],
        isEnabled: true,
        lag: null,
        memberOf: null,
      },
      {
        name: 'Port-Channel10',
        exists: true,
        untagged: 300,
        tagged: [],
        isEnabled: true,
        lag: { members: ['Ethernet3', 'Ethernet4'], settings: { mode: 'lacp', lacpRate: 'fast', minLinks: 1 } },
        memberOf: null,
      },
      {
        name: 'Ethernet3',
        exists: true,
        untagged: 1,
        tagged: [],
        isEnabled: true,
        lag: null,
        memberOf: 'Port-Channel10',
      },
      { name: 'Ethernet5', exists: true, untagged: 1, tagged: [], isEnabled: false, lag: null, memberOf: null },
      { name: 'Ethernet9', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
    ],
  );
});

test('arista-eos: a trunk with no allowed-vlan line carries every VLAN (EOS default)', () => {
  const text = readFixture('test/fixtures/switch/arista-eos/running-config-interfaces.txt');
  const [port] = [...aristaEos.parsePorts([text], names('Ethernet6')).values()];
  assert.equal(port?.untagged, 1);
  assert.deepEqual(port?.tagged, []);
  assert.equal(port?.carriesAllVlans, true);
});

test('arista-eos recognises its prompts and nothing else', () => {
  for (const prompt of ['switch>', 'switch#', 'leaf1(config-s-sess-if-Et1)#', 'admin@switch(config-s-my-cha)# '])
    assert.match(prompt, aristaEos.prompt);
  for (const line of ['interface Ethernet1', '   switchport access vlan 10', '% Invalid input'])
    assert.doesNotMatch(line, aristaEos.prompt);
});
