import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../../src/domain/errors.ts';
import { renderOps } from '../../../../src/switch/ssh/profile.ts';
import { sonic } from '../../../../src/switch/ssh/profiles/sonic.ts';
import { type GoldenCase, goldenOps, names, readFixture } from './golden.ts';

const ops = goldenOps({ port: 'Ethernet0', lag: 'PortChannel0010', members: ['Ethernet8', 'Ethernet12'] });

const want: Record<GoldenCase, readonly string[]> = {
  'set access VLAN': ['config vlan member del all Ethernet0', 'config vlan member add -u 100 Ethernet0'],
  'back to default: quarantine VLAN': [
    'config vlan member del all Ethernet0',
    'config vlan member add -u 4000 Ethernet0',
  ],
  'back to default: disable': ['config interface shutdown Ethernet0'],
  'add tagged VLANs': ['config vlan member add 200 Ethernet0', 'config vlan member add 201 Ethernet0'],
  'remove tagged VLANs': ['config vlan member del 201 Ethernet0'],
  'create LAG with members': [
    'config portchannel add --min-links 1 --fast-rate true PortChannel0010',
    'config portchannel member add PortChannel0010 Ethernet8',
    'config portchannel member add PortChannel0010 Ethernet12',
  ],
  'delete LAG': ['config portchannel del PortChannel0010'],
  'disable port': ['config interface shutdown Ethernet0'],
  'enable port': ['config interface startup Ethernet0'],
};

for (const [name, op] of Object.entries(ops) as [GoldenCase, (typeof ops)[GoldenCase]][]) {
  test(`sonic renders '${name}'`, () => assert.deepEqual(renderOps(sonic, [op]), want[name]));
}

test('sonic makes LACP port channels only (config portchannel add has no static mode)', () => {
  const op = ops['create LAG with members'];
  if (op.kind !== 'set-lag') throw new Error('the golden LAG case is a set-lag');
  assert.throws(() => renderOps(sonic, [{ ...op, settings: { mode: 'static' } }]), InvalidInput);
});

test('sonic: commands run as root after sudo -i; save config is config save -y', () => {
  assert.deepEqual(sonic.enable, ['sudo -i']);
  assert.deepEqual(sonic.save, ['config save -y']);
});

test('sonic parsePorts reads show runningconfiguration all', () => {
  const text = readFixture('test/fixtures/switch/sonic/runningconfiguration-all.txt');
  const asked = names('Ethernet0', 'Ethernet4', 'PortChannel0010', 'Ethernet8', 'Ethernet16', 'Ethernet99');
  assert.deepEqual(
    [...sonic.parsePorts([text], asked).values()],
    [
      { name: 'Ethernet0', exists: true, untagged: 100, tagged: [], isEnabled: true, lag: null, memberOf: null },
      {
        name: 'Ethernet4',
        exists: true,
        untagged: 110,
        tagged: [200, 201],
        isEnabled: true,
        lag: null,
        memberOf: null,
      },
      {
        name: 'PortChannel0010',
        exists: true,
        untagged: 300,
        tagged: [],
        isEnabled: true,
        lag: { members: ['Ethernet12', 'Ethernet8'], settings: { mode: 'lacp', lacpRate: 'fast', minLinks: 1 } },
        memberOf: null,
      },
      {
        name: 'Ethernet8',
        exists: true,
        untagged: null,
        tagged: [],
        isEnabled: true,
        lag: null,
        memberOf: 'PortChannel0010',
      },
      { name: 'Ethernet16', exists: true, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
      { name: 'Ethernet99', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
    ],
  );
});

test('sonic recognises its prompts and nothing else', () => {
  for (const prompt of ['admin@sonic:~$ ', 'root@sonic:~# ']) assert.match(prompt, sonic.prompt);
  for (const line of ["'vlan member add 100 Ethernet0' done", '    "PORT": {']) assert.doesNotMatch(line, sonic.prompt);
});
