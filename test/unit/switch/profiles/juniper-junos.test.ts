import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../../src/domain/errors.ts';
import { renderOps } from '../../../../src/switch/ssh/profile.ts';
import { juniperJunos } from '../../../../src/switch/ssh/profiles/juniper-junos.ts';
import { type GoldenCase, goldenOps, names, readFixture } from './golden.ts';

const ops = goldenOps({ port: 'ge-0/0/0', lag: 'ae0', members: ['ge-0/0/2', 'ge-0/0/3'] });
const at = 'interfaces ge-0/0/0 unit 0 family ethernet-switching';

const want: Record<GoldenCase, readonly string[] | 'unsupported'> = {
  'set access VLAN': [`delete ${at}`, `set ${at} interface-mode access`, `set ${at} vlan members 100`],
  'back to default: quarantine VLAN': [
    `delete ${at}`,
    `set ${at} interface-mode access`,
    `set ${at} vlan members 4000`,
  ],
  'back to default: disable': ['set interfaces ge-0/0/0 disable'],
  'add tagged VLANs': 'unsupported',
  'remove tagged VLANs': 'unsupported',
  'create LAG with members': 'unsupported',
  'delete LAG': 'unsupported',
  'disable port': ['set interfaces ge-0/0/0 disable'],
  'enable port': ['delete interfaces ge-0/0/0 disable'],
};

for (const [name, op] of Object.entries(ops) as [GoldenCase, (typeof ops)[GoldenCase]][]) {
  const lines = want[name];
  test(`juniper-junos renders '${name}'${lines === 'unsupported' ? ' — declared unsupported' : ''}`, () => {
    if (lines === 'unsupported') assert.throws(() => renderOps(juniperJunos, [op]), InvalidInput);
    else assert.deepEqual(renderOps(juniperJunos, [op]), lines);
  });
}

test('juniper-junos declares trunk and LAG unsupported, so planning refuses them', () => {
  assert.deepEqual(juniperJunos.supports, { lag: false, trunk: false, save: false });
});

test('juniper-junos: a batch is one private candidate; commit and-quit saves, rollback 0 discards', () => {
  assert.deepEqual(juniperJunos.enterConfig, ['configure private']);
  assert.deepEqual(juniperJunos.commit, ['commit and-quit']);
  assert.deepEqual(juniperJunos.abort, ['rollback 0', 'exit']);
  assert.deepEqual(juniperJunos.save, []);
});

test('juniper-junos parsePorts reads interfaces terse and display set output (VLAN names resolved)', () => {
  const outputs = readFixture('test/fixtures/switch/juniper-junos/show-commands.txt').split(/^## ---$/m);
  const asked = names('ge-0/0/0', 'ge-0/0/1', 'ae0', 'ge-0/0/2', 'ge-0/0/4', 'ge-0/0/9');
  assert.deepEqual(
    [...juniperJunos.parsePorts(outputs, asked).values()],
    [
      { name: 'ge-0/0/0', exists: true, untagged: 100, tagged: [], isEnabled: true, lag: null, memberOf: null },
      { name: 'ge-0/0/1', exists: true, untagged: 110, tagged: [200, 201], isEnabled: true, lag: null, memberOf: null },
      {
        name: 'ae0',
        exists: true,
        untagged: 300,
        tagged: [],
        isEnabled: true,
        lag: { members: ['ge-0/0/2', 'ge-0/0/3'], settings: { mode: 'lacp' } },
        memberOf: null,
      },
      { name: 'ge-0/0/2', exists: true, untagged: null, tagged: [], isEnabled: true, lag: null, memberOf: 'ae0' },
      { name: 'ge-0/0/4', exists: true, untagged: 4000, tagged: [], isEnabled: false, lag: null, memberOf: null },
      { name: 'ge-0/0/9', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
    ],
  );
});

test('juniper-junos recognises its prompts and nothing else', () => {
  for (const prompt of ['admin@ex4300> ', 'admin@ex4300# ', 'root@qfx-1> ']) assert.match(prompt, juniperJunos.prompt);
  for (const line of ['[edit]', 'set vlans v100 vlan-id 100', 'ge-0/0/0                up    up'])
    assert.doesNotMatch(line, juniperJunos.prompt);
});
