import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderOps } from '../../../../src/switch/ssh/profile.ts';
import { ciscoNxos } from '../../../../src/switch/ssh/profiles/cisco-nxos.ts';
import { type GoldenCase, goldenOps, names, readFixture } from './golden.ts';

const ops = goldenOps({ port: 'Ethernet1/1', lag: 'port-channel10', members: ['Ethernet1/3', 'Ethernet1/4'] });

const access = (vlan: number) => [
  'interface Ethernet1/1',
  'switchport',
  'switchport mode access',
  `switchport access vlan ${vlan}`,
  `switchport trunk native vlan ${vlan}`,
  `switchport trunk allowed vlan ${vlan}`,
  'exit',
];

const want: Record<GoldenCase, readonly string[]> = {
  'set access VLAN': access(100),
  'back to default: quarantine VLAN': access(4000),
  'back to default: disable': ['interface Ethernet1/1', 'shutdown', 'exit'],
  'add tagged VLANs': [
    'interface Ethernet1/1',
    'switchport trunk allowed vlan add 200,201',
    'switchport mode trunk',
    'exit',
  ],
  'remove tagged VLANs': ['interface Ethernet1/1', 'switchport trunk allowed vlan remove 201', 'exit'],
  'create LAG with members': [
    'interface port-channel10',
    'switchport',
    'lacp min-links 1',
    'exit',
    'interface Ethernet1/3',
    'switchport',
    'channel-group 10 mode active',
    'lacp rate fast',
    'exit',
    'interface Ethernet1/4',
    'switchport',
    'channel-group 10 mode active',
    'lacp rate fast',
    'exit',
  ],
  'delete LAG': ['no interface port-channel10'],
  'disable port': ['interface Ethernet1/1', 'shutdown', 'exit'],
  'enable port': ['interface Ethernet1/1', 'no shutdown', 'exit'],
};

for (const [name, op] of Object.entries(ops) as [GoldenCase, (typeof ops)[GoldenCase]][]) {
  test(`cisco-nxos renders '${name}'`, () => assert.deepEqual(renderOps(ciscoNxos, [op]), want[name]));
}

test('cisco-nxos: configure terminal … end; save config is copy running-config startup-config', () => {
  assert.deepEqual(ciscoNxos.enterConfig, ['configure terminal']);
  assert.deepEqual(ciscoNxos.exitConfig, ['end']);
  assert.deepEqual(ciscoNxos.save, ['copy running-config startup-config']);
});

test('cisco-nxos parsePorts reads show running-config interface', () => {
  const text = readFixture('test/fixtures/switch/cisco-nxos/running-config-interface.txt');
  const asked = names('Ethernet1/1', 'Ethernet1/2', 'port-channel10', 'Ethernet1/4', 'Ethernet1/5', 'Ethernet1/9');
  assert.deepEqual(
    [...ciscoNxos.parsePorts([text], asked).values()],
    [
      { name: 'Ethernet1/1', exists: true, untagged: 100, tagged: [], isEnabled: true, lag: null, memberOf: null },
      {
        name: 'Ethernet1/2',
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
        isEnabled: false,
        lag: { members: ['Ethernet1/3', 'Ethernet1/4'], settings: { mode: 'lacp', lacpRate: 'fast', minLinks: 1 } },
        memberOf: null,
      },
      {
        name: 'Ethernet1/4',
        exists: true,
        untagged: 1,
        tagged: [],
        isEnabled: true,
        lag: null,
        memberOf: 'port-channel10',
      },
      { name: 'Ethernet1/5', exists: true, untagged: 1, tagged: [], isEnabled: false, lag: null, memberOf: null },
      { name: 'Ethernet1/9', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
    ],
  );
});

test('cisco-nxos recognises its prompts and nothing else', () => {
  for (const prompt of ['switch#', 'switch(config-if)# ', 'n9k-1(config)#']) assert.match(prompt, ciscoNxos.prompt);
  for (const line of ['interface Ethernet1/1', '  no shutdown']) assert.doesNotMatch(line, ciscoNxos.prompt);
});
