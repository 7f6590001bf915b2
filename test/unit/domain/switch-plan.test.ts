import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredPort, ObservedPort, SwitchPlan, UnboundDefault } from '../../../src/domain/switch-plan.ts';
import { planSwitchChanges } from '../../../src/domain/switch-plan.ts';
import type { SwitchPortName, Vlan } from '../../../src/domain/values.ts';

const P = (s: string) => s as SwitchPortName;
const V = (n: number) => n as Vlan;
const Q: UnboundDefault = { kind: 'vlan', vlan: V(999) };
const port = (
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
const lacp = { mode: 'lacp' as const };

const cases: {
  name: string;
  desired: [string, DesiredPort][];
  observed: [SwitchPortName, ObservedPort][];
  unbound?: UnboundDefault;
  want: SwitchPlan;
}[] = [
  {
    name: 'a port in quarantine gets its VLAN in one step',
    desired: [['e1', access(100)]],
    observed: [port('e1', 999)],
    want: { removals: [], additions: [{ kind: 'set-access', port: P('e1'), vlan: V(100) }] },
  },
  {
    name: 'a moved NIC leaves the old VLAN first',
    desired: [['e1', access(200)]],
    observed: [port('e1', 100)],
    want: {
      removals: [{ kind: 'set-access', port: P('e1'), vlan: V(999) }],
      additions: [{ kind: 'set-access', port: P('e1'), vlan: V(200) }],
    },
  },
  {
    name: 'an unbound port goes back to the quarantine VLAN',
    desired: [['e1', { kind: 'default' }]],
    observed: [port('e1', 100)],
    want: { removals: [{ kind: 'set-access', port: P('e1'), vlan: V(999) }], additions: [] },
  },
  {
    name: 'a port that is right needs nothing',
    desired: [
      ['e1', access(100)],
      ['e2', { kind: 'default' }],
    ],
    observed: [port('e1', 100), port('e2', 999)],
    want: { removals: [], additions: [] },
  },
  {
    name: "Open vSwitch's trunk-all is drift: quarantined before the VLAN is set",
    desired: [['e1', access(100)]],
    observed: [port('e1', null, { carriesAllVlans: true })],
    want: {
      removals: [{ kind: 'set-access', port: P('e1'), vlan: V(999) }],
      additions: [{ kind: 'set-access', port: P('e1'), vlan: V(100) }],
    },
  },
  {
    name: 'a LAG is created with its VLAN in the same batch',
    desired: [
      ['bond1', { kind: 'lag', vlan: V(100), members: [P('e1'), P('e2')], settings: lacp, owners: ['p'] }],
      ['e1', { kind: 'lag-member', lag: P('bond1') }],
      ['e2', { kind: 'lag-member', lag: P('bond1') }],
    ],
    observed: [
      port('e1', 999),
      port('e2', 999),
      [
        P('bond1'),
        { name: P('bond1'), exists: false, untagged: null, tagged: [], isEnabled: true, lag: null, memberOf: null },
      ],
    ],
    want: {
      removals: [],
      additions: [
        { kind: 'set-lag', lag: P('bond1'), members: [P('e1'), P('e2')], settings: lacp },
        { kind: 'set-access', port: P('bond1'), vlan: V(100) },
      ],
    },
  },
  {
    name: 'members on the provisioning VLAN leave it before they join a tenant LAG',
    desired: [
      ['bond1', { kind: 'lag', vlan: V(200), members: [P('e1'), P('e2')], settings: lacp, owners: ['p'] }],
      ['e1', { kind: 'lag-member', lag: P('bond1') }],
      ['e2', { kind: 'lag-member', lag: P('bond1') }],
    ],
    observed: [port('e1', 100), port('e2', 999)],
    want: {
      removals: [{ kind: 'set-access', port: P('e1'), vlan: V(999) }],
      additions: [
        { kind: 'set-lag', lag: P('bond1'), members: [P('e1'), P('e2')], settings: lacp },
        { kind: 'set-access', port: P('bond1'), vlan: V(200) },
      ],
    },
  },
  {
    name: 'a LAG no longer bound is deleted and its members quarantined in one batch',
    desired: [
      ['bond1', { kind: 'default' }],
      ['e1', { kind: 'default' }],
      ['e2', { kind: 'default' }],
    ],
    observed: [
      port('bond1', 200, { lag: { members: [P('e1'), P('e2')], settings: lacp } }),
      port('e1', null, { memberOf: P('bond1') }),
      port('e2', null, { memberOf: P('bond1') }),
    ],
    want: {
      removals: [
        { kind: 'delete-lag', lag: P('bond1') },
        { kind: 'set-access', port: P('e1'), vlan: V(999) },
        { kind: 'set-access', port: P('e2'), vlan: V(999) },
      ],
      additions: [],
    },
  },
  {
    name: 'a member leaving a LAG is quarantined in the batch that shrinks the LAG',
    desired: [
      ['bond1', { kind: 'lag', vlan: V(200), members: [P('e1')], settings: lacp, owners: ['p'] }],
      ['e1', { kind: 'lag-member', lag: P('bond1') }],
      ['e2', { kind: 'default' }],
    ],
    observed: [
      port('bond1', 200, { lag: { members: [P('e1'), P('e2')], settings: lacp } }),
      port('e1', null, { memberOf: P('bond1') }),
      port('e2', null, { memberOf: P('bond1') }),
    ],
    want: {
      removals: [
        { kind: 'set-lag', lag: P('bond1'), members: [P('e1')], settings: lacp },
        { kind: 'set-access', port: P('e2'), vlan: V(999) },
      ],
      additions: [
        { kind: 'set-lag', lag: P('bond1'), members: [P('e1')], settings: lacp },
        { kind: 'set-access', port: P('bond1'), vlan: V(200) },
      ],
    },
  },
  {
    name: 'shutdown policy: an unbound port is shut, a bound one set and enabled',
    unbound: { kind: 'shutdown' },
    desired: [
      ['e1', { kind: 'default' }],
      ['e2', access(200)],
    ],
    observed: [port('e1', 100), port('e2', 100, { isEnabled: false })],
    want: {
      removals: [{ kind: 'set-enabled', port: P('e1'), isEnabled: false }],
      additions: [
        { kind: 'set-access', port: P('e2'), vlan: V(200) },
        { kind: 'set-enabled', port: P('e2'), isEnabled: true },
      ],
    },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const got = planSwitchChanges(new Map(c.desired.map(([k, v]) => [P(k), v])), new Map(c.observed), c.unbound ?? Q);
    assert.deepStrictEqual(got, c.want);
  });
}
