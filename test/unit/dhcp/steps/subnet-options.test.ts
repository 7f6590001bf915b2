import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, Opt } from '../../../../src/dhcp/codec/option-codes.ts';
import type { DhcpReply } from '../../../../src/dhcp/step.ts';
import { addSubnetOptions } from '../../../../src/dhcp/steps/subnet-options.ts';
import { network, request, reservedReply, subnet } from './exchange.ts';

const offer: DhcpReply = { ...reservedReply, type: MessageType.Offer };
const withRoutes: DhcpReply = {
  ...offer,
  subnet: { ...subnet, hostRoutes: [{ destination: '10.17.0.0/16', nexthop: '10.66.100.253' }] },
};
const LEASE = [Opt.LeaseTime, Opt.RenewalTime, Opt.RebindingTime];
const BASE = [Opt.SubnetMask, Opt.BroadcastAddress, Opt.Router, Opt.DnsServers, Opt.InterfaceMtu];

const cases: readonly { name: string; type: number; reply: DhcpReply; want: readonly number[] }[] = [
  {
    name: 'an OFFER carries mask, broadcast, router, DNS, MTU and the lease times',
    type: MessageType.Discover,
    reply: offer,
    want: [...BASE, ...LEASE],
  },
  {
    name: 'an ACK of an INFORM carries no lease times (RFC 2131 §3.4)',
    type: MessageType.Inform,
    reply: { ...offer, type: MessageType.Ack },
    want: BASE,
  },
  {
    name: 'host routes go out as option 121, last',
    type: MessageType.Discover,
    reply: withRoutes,
    want: [...BASE, ...LEASE, Opt.ClasslessRoutes],
  },
  {
    name: 'a NAK carries no subnet options',
    type: MessageType.Request,
    reply: { ...offer, type: MessageType.Nak },
    want: [],
  },
  {
    name: 'a reply without a subnet carries none',
    type: MessageType.Discover,
    reply: { ...offer, subnet: null },
    want: [],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const r = addSubnetOptions(request({ type: c.type }), c.reply, network());
    assert.deepEqual(r.kind === 'drop' ? r.reason : [...r.reply.options.keys()], c.want);
  });
}

test('the lease time is the network’s, T1 half and T2 seven eighths of it', () => {
  const r = addSubnetOptions(request({ type: MessageType.Discover }), offer, network({ leaseSeconds: 3600 }));
  const times = r.kind === 'drop' ? [] : LEASE.map((code) => r.reply.options.get(code)?.readUInt32BE(0));
  assert.deepEqual(times, [3600, 1800, 3150]);
});
