import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_CAPABILITIES, refuseUnsupported, type SwitchCapabilities } from '../../../src/domain/capabilities.ts';
import { type DesiredPort, type ObservedPort, planSwitchChanges } from '../../../src/domain/switch-plan.ts';
import { parseSwitchPortName, parseVlan, type SwitchPortName } from '../../../src/domain/values.ts';

const P = parseSwitchPortName;
const V = parseVlan;
const ACCESS_ONLY: SwitchCapabilities = { trunk: false, lag: false };

function observed(name: string, o: Partial<ObservedPort>): [SwitchPortName, ObservedPort] {
  return [
    P(name),
    { name: P(name), exists: true, untagged: null, tagged: [], isEnabled: true, lag: null, memberOf: null, ...o },
  ];
}

const access = (vlan: number): DesiredPort => ({ kind: 'access', vlan: V(vlan), owners: ['port-a'] });

test('a switch that can do everything keeps the whole plan', () => {
  const plan = planSwitchChanges(
    new Map([[P('e1'), access(100)]]),
    new Map([observed('e1', { untagged: V(200), tagged: [V(300)] })]),
    {
      kind: 'shutdown',
    },
  );
  const r = refuseUnsupported(plan, ALL_CAPABILITIES, 'switch j1 (juniper-junos)');
  assert.equal(r.refused.size, 0);
  assert.equal(r.plan, plan);
});

test('tagged VLANs an access-only switch cannot remove: the port is left whole and the reason names switch and port', () => {
  const desired = new Map<SwitchPortName, DesiredPort>([
    [P('xe-0/0/1'), access(100)],
    [P('xe-0/0/2'), access(100)],
  ]);
  const seen = new Map([
    observed('xe-0/0/1', { untagged: V(200), tagged: [V(300)] }),
    observed('xe-0/0/2', { untagged: V(200), isEnabled: false }),
  ]);
  const plan = planSwitchChanges(desired, seen, { kind: 'shutdown' });
  assert.ok(
    plan.removals.some((op) => op.kind === 'remove-tagged'),
    'the planner asks for remove-tagged',
  );
  const r = refuseUnsupported(plan, ACCESS_ONLY, 'switch j1 (juniper-junos)');
  assert.deepEqual(
    [...r.refused],
    [['xe-0/0/1', 'switch j1 (juniper-junos) cannot remove tagged VLANs from xe-0/0/1: left unchanged']],
  );
  const touched = [...r.plan.removals, ...r.plan.additions].map((op) => ('port' in op ? op.port : op.lag));
  assert.ok(!touched.includes(P('xe-0/0/1')), 'no op on the refused port, not even its set-access');
  assert.ok(touched.includes(P('xe-0/0/2')), 'the other port is still configured');
});

test('a LAG op refused on a switch without LAGs refuses the LAG and its members', () => {
  const desired = new Map<SwitchPortName, DesiredPort>([
    [
      P('ae1'),
      { kind: 'lag', vlan: V(100), members: [P('xe-0/0/1'), P('xe-0/0/2')], settings: { mode: 'lacp' }, owners: ['p'] },
    ],
    [P('xe-0/0/1'), { kind: 'lag-member', lag: P('ae1') }],
    [P('xe-0/0/2'), { kind: 'lag-member', lag: P('ae1') }],
    [P('xe-0/0/3'), access(100)],
  ]);
  const plan = planSwitchChanges(desired, new Map(), { kind: 'vlan', vlan: V(999) });
  const r = refuseUnsupported(plan, ACCESS_ONLY, 'switch j1');
  assert.deepEqual([...r.refused.keys()].sort(), ['ae1', 'xe-0/0/1', 'xe-0/0/2']);
  assert.match(r.refused.get(P('xe-0/0/2')) ?? '', /^switch j1 cannot configure the LAG ae1/);
  assert.deepEqual(r.plan.additions, [{ kind: 'set-access', port: P('xe-0/0/3'), vlan: V(100) }]);
});
