import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../../src/dhcp/codec/option-codes.ts';
import type { NetworkView } from '../../../../src/dhcp/model.ts';
import { EMPTY_REPLY } from '../../../../src/dhcp/step.ts';
import { findReservation } from '../../../../src/dhcp/steps/reservation.ts';
import { network, request, reservation, seen, subnet } from './exchange.ts';

const other = { ...subnet, id: 'sub-other', cidr: '10.77.0.0/24' };
const cases: readonly { name: string; net: NetworkView; relayedTo?: typeof subnet; want: string }[] = [
  { name: 'a MAC with a port gets the port address', net: network(), want: 'continue nothing 10.66.100.50' },
  {
    name: 'an unknown MAC on a reservation-only network is not answered',
    net: network({ reservations: new Map() }),
    want: 'drop unknown-client',
  },
  {
    name: 'an unknown MAC goes on to the dynamic pool when a subnet has one',
    net: network({
      reservations: new Map(),
      subnets: [{ ...subnet, dynamicPools: [{ start: '10.66.100.100', end: '10.66.100.109' }] }],
    }),
    want: 'continue nothing 0.0.0.0',
  },
  {
    name: 'a reservation outside every subnet is not answered',
    net: network({ reservations: new Map([[reservation.mac, { ...reservation, ip: '10.99.0.5' }]]) }),
    want: 'drop no-subnet',
  },
  {
    name: 'a relayed request for a reservation on another subnet is not answered',
    net: network({ subnets: [subnet, other] }),
    relayedTo: other,
    want: 'drop no-subnet',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const reply = c.relayedTo ? { ...EMPTY_REPLY, subnet: c.relayedTo } : EMPTY_REPLY;
    assert.equal(seen(findReservation(request({ type: MessageType.Discover }), reply, c.net)), c.want);
  });
}
