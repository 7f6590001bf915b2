import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../../src/dhcp/codec/option-codes.ts';
import type { Lease } from '../../../../src/dhcp/model.ts';
import { EMPTY_REPLY } from '../../../../src/dhcp/step.ts';
import { allocateFromPool, OFFER_HOLD_MS } from '../../../../src/dhcp/steps/dynamic-pool.ts';
import { parseMac } from '../../../../src/domain/values.ts';
import type { RawOption } from '../packets.ts';
import { CLIENT_MAC, NOW, network, request, requestedIpOption, reservedReply, seen, subnet } from './exchange.ts';

const pooled = { ...subnet, dynamicPools: [{ start: '10.66.100.100', end: '10.66.100.101' }] };
const someone = parseMac('02:00:00:00:00:99');
const held = (ip: string, mac = someone, state: Lease['state'] = 'bound'): Lease => ({
  mac,
  ip,
  subnetId: pooled.id,
  state,
  expiresAtMs: NOW + 60_000,
});

const cases: readonly {
  name: string;
  type: number;
  options?: readonly RawOption[];
  leases: readonly Lease[];
  pools?: boolean;
  want: string;
}[] = [
  {
    name: 'a DISCOVER of an unknown MAC is offered the lowest free pool address',
    type: MessageType.Discover,
    leases: [],
    want: 'continue nothing 10.66.100.100',
  },
  {
    name: 'an address another MAC holds is skipped',
    type: MessageType.Discover,
    leases: [held('10.66.100.100')],
    want: 'continue nothing 10.66.100.101',
  },
  {
    name: 'a declined address is not offered',
    type: MessageType.Discover,
    leases: [held('10.66.100.100', CLIENT_MAC, 'declined')],
    want: 'continue nothing 10.66.100.101',
  },
  {
    name: 'a full pool is not answered',
    type: MessageType.Discover,
    leases: [held('10.66.100.100'), held('10.66.100.101', parseMac('02:00:00:00:00:98'))],
    want: 'drop pool-exhausted',
  },
  {
    name: 'the client keeps its lease',
    type: MessageType.Discover,
    leases: [held('10.66.100.101', CLIENT_MAC)],
    want: 'continue nothing 10.66.100.101',
  },
  {
    name: 'a REQUEST of its leased address goes on with it',
    type: MessageType.Request,
    leases: [held('10.66.100.101', CLIENT_MAC)],
    want: 'continue nothing 10.66.100.101',
  },
  {
    name: 'a REQUEST without a record is granted a free asked address',
    type: MessageType.Request,
    options: [requestedIpOption('10.66.100.101')],
    leases: [],
    want: 'continue nothing 10.66.100.101',
  },
  {
    name: 'a REQUEST without a record for a held address gets none (the NAK follows)',
    type: MessageType.Request,
    options: [requestedIpOption('10.66.100.100')],
    leases: [held('10.66.100.100')],
    want: 'continue nothing 0.0.0.0',
  },
  {
    name: 'without a pool an unknown MAC is not answered',
    type: MessageType.Discover,
    leases: [],
    pools: false,
    want: 'drop unknown-client',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const net = network({ reservations: new Map(), subnets: [c.pools === false ? subnet : pooled], leases: c.leases });
    assert.equal(seen(allocateFromPool(request({ type: c.type, options: c.options ?? [] }), EMPTY_REPLY, net)), c.want);
  });
}

test('an offer holds its address for the REQUEST, not for the lease time', () => {
  const r = allocateFromPool(
    request({ type: MessageType.Discover }),
    EMPTY_REPLY,
    network({ reservations: new Map(), subnets: [pooled] }),
  );
  const lease = r.kind === 'drop' ? null : r.reply.lease;
  assert.deepEqual(lease?.kind === 'put' ? [lease.lease.state, lease.lease.expiresAtMs] : lease, [
    'offered',
    NOW + OFFER_HOLD_MS,
  ]);
});

test('a client with a reservation is left to its port', () => {
  assert.equal(
    seen(allocateFromPool(request({ type: MessageType.Discover }), reservedReply, network({ subnets: [pooled] }))),
    'continue nothing 10.66.100.50',
  );
});
