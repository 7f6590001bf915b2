import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decidePortOutcome, type PortOutcome, type PortOutcomeFacts } from '../../../src/domain/port-outcome.ts';

const base: PortOutcomeFacts = {
  failedReason: undefined,
  isUnmanaged: false,
  isEveryPlacementInSync: false,
  touchesThisSwitch: true,
  isDhcpServing: undefined,
  currentVifType: 'unbound',
  failure: { kind: 'none' },
};
const ACTIVE: PortOutcome = { vifType: 'other', status: 'ACTIVE', details: { connectivity: 'l2' } };

const cases: { name: string; facts: Partial<PortOutcomeFacts>; want: PortOutcome | null }[] = [
  {
    name: 'a port binding cannot place fails with the binding reason, whatever the switch did',
    facts: { failedReason: 'no switch answers to switch_id x', isEveryPlacementInSync: true },
    want: { vifType: 'binding_failed', status: 'DOWN', details: { reason: 'no switch answers to switch_id x' } },
  },
  {
    name: 'a port on a switch port the driver cannot configure fails with the refusal, not as a switch error',
    facts: {
      refusedReason: 'switch j1 (juniper-junos) cannot remove tagged VLANs from xe-0/0/1: left unchanged',
      failure: { kind: 'other', message: 'timeout' },
    },
    want: {
      vifType: 'binding_failed',
      status: 'DOWN',
      details: { reason: 'switch j1 (juniper-junos) cannot remove tagged VLANs from xe-0/0/1: left unchanged' },
    },
  },
  {
    name: 'a binding failure is reported before a refusal',
    facts: { failedReason: 'switch j1 cannot form LAGs', refusedReason: 'switch j1 (juniper-junos) cannot …' },
    want: { vifType: 'binding_failed', status: 'DOWN', details: { reason: 'switch j1 cannot form LAGs' } },
  },
  {
    name: 'an unmanaged port (no switch to configure) is ACTIVE at once',
    facts: { isUnmanaged: true, failure: { kind: 'rejected', message: 'nope' } },
    want: ACTIVE,
  },
  {
    name: 'every placement confirmed and nothing waited for: ACTIVE',
    facts: { isEveryPlacementInSync: true },
    want: ACTIVE,
  },
  {
    name: 'every placement confirmed and DHCP serves it: ACTIVE',
    facts: { isEveryPlacementInSync: true, isDhcpServing: true },
    want: ACTIVE,
  },
  {
    name: 'every placement confirmed but DHCP does not serve it yet: DOWN, waiting',
    facts: { isEveryPlacementInSync: true, isDhcpServing: false },
    want: {
      vifType: 'other',
      status: 'DOWN',
      details: { connectivity: 'l2', reason: 'waiting for DHCP to serve the port' },
    },
  },
  {
    name: 'confirmation wins over this run failing (the port is on another switch that is fine)',
    facts: { isEveryPlacementInSync: true, failure: { kind: 'other', message: 'unreachable' } },
    want: ACTIVE,
  },
  {
    name: 'not in sync and not on this switch: left for its own switch to decide',
    facts: { touchesThisSwitch: false, failure: { kind: 'rejected', message: 'bad vlan' } },
    want: null,
  },
  { name: 'not in sync, this run did not fail: left as it is', facts: {}, want: null },
  {
    name: 'the switch rejected a command: binding_failed with its message',
    facts: { failure: { kind: 'rejected', message: 'tor1: VLAN 4095 is reserved' } },
    want: { vifType: 'binding_failed', status: 'DOWN', details: { reason: 'tor1: VLAN 4095 is reserved' } },
  },
  {
    name: 'unreachable: a port that never failed stays unbound, DOWN with the reason',
    facts: { failure: { kind: 'other', message: 'tor1 unreachable' } },
    want: { vifType: 'unbound', status: 'DOWN', details: { reason: 'tor1 unreachable' } },
  },
  {
    name: 'unreachable: a port that had failed stays binding_failed',
    facts: { currentVifType: 'binding_failed', failure: { kind: 'other', message: 'tor1 unreachable' } },
    want: { vifType: 'binding_failed', status: 'DOWN', details: { reason: 'tor1 unreachable' } },
  },
  {
    name: 'unreachable: a port that was ACTIVE goes back to unbound',
    facts: { currentVifType: 'other', failure: { kind: 'other', message: 'timeout' } },
    want: { vifType: 'unbound', status: 'DOWN', details: { reason: 'timeout' } },
  },
];

for (const c of cases) {
  test(`decidePortOutcome: ${c.name}`, () => {
    assert.deepEqual(decidePortOutcome({ ...base, ...c.facts }), c.want);
  });
}
