import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderOps } from '../../../../src/switch/ssh/profile.ts';
import { dellOs10 } from '../../../../src/switch/ssh/profiles/dell-os10.ts';
import { type GoldenCase, goldenOps, names, readFixture } from './golden.ts';

const ops = goldenOps({ port: 'ethernet1/1/1', lag: 'port-channel10', members: ['ethernet1/1/3', 'ethernet1/1/4'] });

const want: Record<GoldenCase, readonly string[]> = {
  'set access VLAN': ['interface ethernet1/1/1', 'switchport mode access', 'switchport access vlan 100', 'exit'],
  'back to default: quarantine VLAN': [
    'interface ethernet1/1/1',
    'switchport mode access',
    'switchport access vlan 4000',
    'exit',
  ],
  'back to default: disable': ['interface ethernet1/1/1', 'shutdown', 'exit'],
  'add tagged VLANs': [
    'interface ethernet1/1/1',
    'switchport mode trunk',
    'switchport trunk allowed vlan 200,201',
    'exit',
  ],
  'remove tagged VLANs': ['interface ethernet1/1/1', 'no switchport trunk allowed vlan 201', 'exit'],
  'create LAG with members': [
    'interface port-channel10',
    'minimum-links 1',
    'exit',
    'interface ethernet1/1/3',
    'channel-group 10 mode active',
    'lacp rate fast',
    'exit',
    'interface ethernet1/1/4',
    'channel-group 10 mode active',
    'lacp rate fast',
    'exit',
  ],
  'delete LAG': ['no interface port-channel10'],
  'disable port': ['interface ethernet1/1/1', 'shutdown', 'exit'],
  'enable port': ['interface ethernet1/1/1', 'no shutdown', 'exit'],
};

for (const [name, op] of Object.entries(ops) as [GoldenCase, (typeof ops)[GoldenCase]][]) {
  test(`dell-os10 renders '${name}'`, () => assert.deepEqual(renderOps(dellOs10, [op]), want[name]));
}

test('dell-os10: save config is write memory', () => assert.deepEqual(dellOs10.save, ['write memory']));

test('dell-os10 parsePorts reads show running-configuration interface (trunk untagged = access VLAN)', () => {
  const text = readFixture('test/fixtures/switch/dell-os10/running-configuration-interface.txt');
  const asked = names(
    'ethernet1/1/1',
    'ethernet1/1/2',
    'port-channel10',
    'ethernet1/1/3',
    'ethernet1/1/5',
    'ethernet1/1/9',
  );
  assert.deepEqual(
    [...dellOs10.parsePorts([text], asked).values()],
    [
      { name: 'ethernet1/1/1', exists: true, untagged: 100, tagged: [], isEnabled: true, lag: null, memberOf: null },
      {
        name: 'ethernet1/1/2',
        exists: true,
        untagged: 110,
        tagged: [200, 201],
        isEnabled: true,
        lag: null,
        memberOf: null,
      },
      {
        name: 'port-channel10',
        exists: true,
        untagged: 300,
        tagged: [],
        isEnabled: true,
        lag: {
          members: ['ethernet1/1/3', 'ethernet1/1/4'],
          settings: { mode: 'lacp', lacpRate: 'fast', minLinks: 1 },
        },
        memberOf: null,
      },
      {
        name: 'ethernet1/1/3',
        exists: true,
        untagged: 1,
        tagged: [],
        isEnabled: true,
        lag: null,
        memberOf: 'port-channel10',
      },
      { name: 'ethernet1/1/5', exists: true, untagged: 1, tagged: [], isEnabled: false, lag: null, memberOf: null },
      { name: 'ethernet1/1/9', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
    ],
  );
});

test('dell-os10 recognises its prompts and nothing else', () => {
  for (const prompt of ['OS10#', 'OS10(config)# ', 'OS10(conf-if-eth1/1/1)# ']) assert.match(prompt, dellOs10.prompt);
  for (const line of ['interface ethernet1/1/1', ' no shutdown']) assert.doesNotMatch(line, dellOs10.prompt);
});
