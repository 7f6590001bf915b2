import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unconfirmedRemovals } from '../../../src/domain/read-back.ts';
import type { DesiredPort, ObservedPort, SwitchOp, UnboundDefault } from '../../../src/domain/switch-plan.ts';
import { portsOfOp } from '../../../src/domain/switch-plan.ts';
import type { SwitchPortName, Vlan } from '../../../src/domain/values.ts';

const P = (s: string) => s as SwitchPortName;
const V = (n: number) => n as Vlan;
const Q: UnboundDefault = { kind: 'vlan', vlan: V(999) };
const OFF: UnboundDefault = { kind: 'shutdown' };
const obs = (
  name: string,
  untagged: number | null,
  extra: Partial<ObservedPort> = {},
): [SwitchPortName, ObservedPort] => [
  P(name),
  {
    name: P(name),
    exists: true,
    untagged: untagged === null ? null : V(untagged),
    tagged: [],
    isEnabled: true,
    lag: null,
    memberOf: null,
    ...extra,
  },
];
const access = (vlan: number): DesiredPort => ({ kind: 'access', vlan: V(vlan), owners: ['p'] });
const toQ = (port: string): SwitchOp => ({ kind: 'set-access', port: P(port), vlan: V(999) });

test('portsOfOp: names every switch port or LAG an op touches', () => {
  const lacp = { mode: 'lacp' as const };
  const cases: { op: SwitchOp; want: string[] }[] = [
    { op: { kind: 'set-access', port: P('e1'), vlan: V(10) }, want: ['e1'] },
    { op: { kind: 'add-tagged', port: P('e2'), vlans: [V(10)] }, want: ['e2'] },
    { op: { kind: 'remove-tagged', port: P('e3'), vlans: [V(10)] }, want: ['e3'] },
    { op: { kind: 'set-enabled', port: P('e4'), isEnabled: false }, want: ['e4'] },
    {
      op: { kind: 'set-lag', lag: P('bond1'), members: [P('e1'), P('e2')], settings: lacp },
      want: ['bond1', 'e1', 'e2'],
    },
    { op: { kind: 'delete-lag', lag: P('bond1') }, want: ['bond1'] },
  ];
  for (const c of cases) assert.deepEqual(portsOfOp(c.op), c.want, c.op.kind);
});

const cases: {
  name: string;
  removals: SwitchOp[];
  desired: [string, DesiredPort][];
  observed: [SwitchPortName, ObservedPort][];
  unbound?: UnboundDefault;
  want: string[];
}[] = [
  {
    name: 'a port read back on the quarantine VLAN is confirmed',
    removals: [toQ('e1')],
    desired: [['e1', access(200)]],
    observed: [obs('e1', 999)],
    want: [],
  },
  {
    name: 'a port still on the old VLAN is not confirmed',
    removals: [toQ('e1')],
    desired: [['e1', access(200)]],
    observed: [obs('e1', 100)],
    want: ['e1'],
  },
  {
    name: 'a port already on the VLAN it should carry is confirmed',
    removals: [toQ('e1')],
    desired: [['e1', access(200)]],
    observed: [obs('e1', 200)],
    want: [],
  },
  {
    name: 'a port that should be default and still carries a VLAN is not confirmed',
    removals: [toQ('e1')],
    desired: [['e1', { kind: 'default' }]],
    observed: [obs('e1', 100)],
    want: ['e1'],
  },
  {
    name: 'a disabled port carries nothing: confirmed (unbound: shutdown)',
    removals: [{ kind: 'set-enabled', port: P('e1'), isEnabled: false }],
    desired: [['e1', { kind: 'default' }]],
    observed: [obs('e1', 100, { isEnabled: false })],
    unbound: OFF,
    want: [],
  },
  {
    name: 'an enabled port with an untagged VLAN is not confirmed (unbound: shutdown)',
    removals: [{ kind: 'set-enabled', port: P('e1'), isEnabled: false }],
    desired: [['e1', { kind: 'default' }]],
    observed: [obs('e1', 100)],
    unbound: OFF,
    want: ['e1'],
  },
  {
    name: 'a port gone from the switch, or with no untagged VLAN, is confirmed',
    removals: [toQ('e1'), toQ('e2')],
    desired: [
      ['e1', access(200)],
      ['e2', access(200)],
    ],
    observed: [obs('e1', 100, { exists: false }), obs('e2', null)],
    want: [],
  },
  {
    name: 'a port the plan does not know as desired is not judged',
    removals: [toQ('e9')],
    desired: [['e1', access(200)]],
    observed: [obs('e9', 100)],
    want: [],
  },
  {
    name: 'a LAG member still carrying an old VLAN after a LAG delete is not confirmed; each port is named once',
    removals: [{ kind: 'delete-lag', lag: P('bond1') }, toQ('e1'), toQ('e1')],
    desired: [
      ['bond1', { kind: 'default' }],
      ['e1', { kind: 'lag-member', lag: P('bond2') }],
    ],
    observed: [obs('bond1', 999), obs('e1', 100)],
    want: ['e1'],
  },
];

for (const c of cases) {
  test(`unconfirmedRemovals: ${c.name}`, () => {
    assert.deepEqual(
      unconfirmedRemovals(
        c.removals,
        new Map(c.desired.map(([k, v]) => [P(k), v])),
        new Map(c.observed),
        c.unbound ?? Q,
      ),
      c.want,
    );
  });
}
