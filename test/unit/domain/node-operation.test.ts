import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideOperationEnd,
  type OperationEnd,
  type OperationPort,
  operationDeadline,
  operationProgress,
} from '../../../src/domain/node-operation.ts';

const DEADLINE = Date.parse('2026-12-07T10:05:00Z');
const BEFORE = DEADLINE - 1;

const active = (id: string): OperationPort => ({ id, status: 'ACTIVE', vifType: 'other', vifDetails: {} });
const down = (id: string, reason?: string): OperationPort => ({
  id,
  status: 'DOWN',
  vifType: 'unbound',
  vifDetails: reason === undefined ? {} : { reason },
});
const failed = (id: string, details: Record<string, unknown>): OperationPort => ({
  id,
  status: 'DOWN',
  vifType: 'binding_failed',
  vifDetails: details,
});

const cases: {
  name: string;
  portIds: string[];
  ports: OperationPort[];
  now: number;
  want: OperationEnd;
}[] = [
  {
    name: 'every port ACTIVE: succeeded',
    portIds: ['a', 'b'],
    ports: [active('a'), active('b')],
    now: BEFORE,
    want: { state: 'succeeded' },
  },
  {
    name: 'every port ACTIVE after the deadline still succeeded (the switches confirmed)',
    portIds: ['a'],
    ports: [active('a')],
    now: DEADLINE + 60_000,
    want: { state: 'succeeded' },
  },
  {
    name: 'an operation with no ports succeeds at once',
    portIds: [],
    ports: [],
    now: BEFORE,
    want: { state: 'succeeded' },
  },
  {
    name: 'a port not ACTIVE yet before the deadline: running',
    portIds: ['a', 'b'],
    ports: [active('a'), down('b', 'waiting for DHCP to serve the port')],
    now: BEFORE,
    want: { state: 'running' },
  },
  {
    name: 'at the deadline exactly it is still running (it times out strictly after)',
    portIds: ['a'],
    ports: [down('a')],
    now: DEADLINE,
    want: { state: 'running' },
  },
  {
    name: 'past the deadline with ports not ACTIVE: failed, counting the ACTIVE ones',
    portIds: ['a', 'b', 'c'],
    ports: [active('a'), down('b'), down('c')],
    now: DEADLINE + 1,
    want: { state: 'failed', error: 'timed out: 1 of 3 ports ACTIVE' },
  },
  {
    name: 'a port the switch refused: failed with its port and reason',
    portIds: ['a', 'b'],
    ports: [active('a'), failed('b', { reason: 'tor1: VLAN 4095 is reserved' })],
    now: BEFORE,
    want: { state: 'failed', error: 'port b: tor1: VLAN 4095 is reserved' },
  },
  {
    name: 'a refused port without a recorded reason: failed, binding failed',
    portIds: ['a'],
    ports: [failed('a', {})],
    now: BEFORE,
    want: { state: 'failed', error: 'port a: binding failed' },
  },
  {
    name: 'two refused ports: the first one listed is named',
    portIds: ['a', 'b'],
    ports: [failed('b', { reason: 'second' }), failed('a', { reason: 'first' })],
    now: BEFORE,
    want: { state: 'failed', error: 'port b: second' },
  },
  {
    name: 'a refusal wins over a deleted port and over the deadline',
    portIds: ['a', 'b', 'c'],
    ports: [failed('a', { reason: 'nope' }), down('b')],
    now: DEADLINE + 1,
    want: { state: 'failed', error: 'port a: nope' },
  },
  {
    name: 'a port deleted meanwhile: failed, counting the missing ports',
    portIds: ['a', 'b', 'c'],
    ports: [active('a')],
    now: BEFORE,
    want: { state: 'failed', error: '2 port(s) of the operation were deleted meanwhile' },
  },
  {
    name: 'a deleted port wins over the deadline',
    portIds: ['a', 'b'],
    ports: [down('a')],
    now: DEADLINE + 1,
    want: { state: 'failed', error: '1 port(s) of the operation were deleted meanwhile' },
  },
];

for (const c of cases) {
  test(`operation end: ${c.name}`, () => {
    assert.deepEqual(decideOperationEnd(c.portIds, c.ports, c.now, DEADLINE), c.want);
  });
}

test('progress counts ACTIVE, total and missing ports and names the first failure', () => {
  assert.deepEqual(operationProgress(['a', 'b', 'c'], [active('a'), failed('b', { reason: 'r' })]), {
    total: 3,
    active: 1,
    missing: 1,
    failure: 'port b: r',
  });
  assert.deepEqual(operationProgress(['a'], [down('a')]), { total: 1, active: 0, missing: 0, failure: null });
});

test('the deadline is the creation time plus the timeout', () => {
  assert.equal(operationDeadline('2026-12-07T10:00:00Z', 300), DEADLINE);
  assert.equal(operationDeadline('2026-12-07T10:05:00Z', 0), DEADLINE);
});
