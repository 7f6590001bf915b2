import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderOps } from '../../../../src/switch/ssh/profile.ts';
import { cumulusNvue } from '../../../../src/switch/ssh/profiles/cumulus-nvue.ts';
import { type GoldenCase, goldenOps, names, readFixture } from './golden.ts';

const ops = goldenOps({ port: 'swp1', lag: 'bond10', members: ['swp3', 'swp4'] });
const at = 'interface swp1 bridge domain br_default';

const want: Record<GoldenCase, readonly string[]> = {
  'set access VLAN': [
    `nv unset ${at} access`,
    `nv unset ${at} vlan`,
    `nv set ${at} untagged 100`,
    `nv set ${at} vlan 100`,
  ],
  'back to default: quarantine VLAN': [
    `nv unset ${at} access`,
    `nv unset ${at} vlan`,
    `nv set ${at} untagged 4000`,
    `nv set ${at} vlan 4000`,
  ],
  'back to default: disable': ['nv set interface swp1 link state down'],
  'add tagged VLANs': [`nv set ${at} vlan 200`, `nv set ${at} vlan 201`],
  'remove tagged VLANs': [`nv unset ${at} vlan 201`],
  'create LAG with members': [
    'nv unset interface bond10 bond member',
    'nv set interface bond10 bond member swp3',
    'nv set interface bond10 bond member swp4',
    'nv set interface bond10 bond mode lacp',
    'nv set interface bond10 bond lacp-rate fast',
  ],
  'delete LAG': ['nv unset interface bond10'],
  'disable port': ['nv set interface swp1 link state down'],
  'enable port': ['nv set interface swp1 link state up'],
};

for (const [name, op] of Object.entries(ops) as [GoldenCase, (typeof ops)[GoldenCase]][]) {
  test(`cumulus-nvue renders '${name}'`, () => assert.deepEqual(renderOps(cumulusNvue, [op]), want[name]));
}

test('cumulus-nvue: a batch is applied by nv config apply, dropped by nv config detach; save is nv config save', () => {
  assert.deepEqual(cumulusNvue.commit, ['nv config apply --assume-yes']);
  assert.deepEqual(cumulusNvue.abort, ['nv config detach']);
  assert.deepEqual(cumulusNvue.save, ['nv config save']);
});

test('cumulus-nvue parsePorts reads nv config show -o commands (ranges expanded)', () => {
  const text = readFixture('test/fixtures/switch/cumulus-nvue/config-show-commands.txt');
  const asked = names('swp1', 'swp2', 'bond10', 'swp3', 'swp5', 'swp9');
  assert.deepEqual(
    [...cumulusNvue.parsePorts([text], asked).values()],
    [
      { name: 'swp1', exists: true, untagged: 100, tagged: [], isEnabled: true, lag: null, memberOf: null },
      { name: 'swp2', exists: true, untagged: 110, tagged: [200, 201], isEnabled: true, lag: null, memberOf: null },
      {
        name: 'bond10',
        exists: true,
        untagged: 300,
        tagged: [],
        isEnabled: true,
        lag: { members: ['swp3', 'swp4'], settings: { mode: 'lacp', lacpRate: 'fast' } },
        memberOf: null,
      },
      { name: 'swp3', exists: true, untagged: null, tagged: [], isEnabled: true, lag: null, memberOf: 'bond10' },
      { name: 'swp5', exists: true, untagged: 4000, tagged: [], isEnabled: false, lag: null, memberOf: null },
      { name: 'swp9', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
    ],
  );
});

test('cumulus-nvue recognises its prompts and nothing else', () => {
  for (const prompt of ['cumulus@leaf01:mgmt:~$ ', 'cumulus@switch:~$ ']) assert.match(prompt, cumulusNvue.prompt);
  for (const line of ['nv set interface swp1 link state up', 'applied [rev_id: 3]'])
    assert.doesNotMatch(line, cumulusNvue.prompt);
});
