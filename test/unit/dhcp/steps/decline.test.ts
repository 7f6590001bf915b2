import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../../src/dhcp/codec/option-codes.ts';
import { type DhcpReply, EMPTY_REPLY } from '../../../../src/dhcp/step.ts';
import { DECLINE_QUARANTINE_MS, quarantineDeclined } from '../../../../src/dhcp/steps/decline.ts';
import { CLIENT_MAC, NOW, network, request, requestedIpOption, reservedReply, subnet } from './exchange.ts';

const dynamic: DhcpReply = { ...EMPTY_REPLY, subnet, yiaddr: '10.66.100.100' };
const quarantine = {
  kind: 'put',
  networkId: 'net-prov',
  lease: {
    mac: CLIENT_MAC,
    ip: '10.66.100.100',
    subnetId: 'sub-prov',
    state: 'declined',
    expiresAtMs: NOW + DECLINE_QUARANTINE_MS,
  },
};
const cases: readonly { name: string; type: number; declined: string; reply: DhcpReply; want: unknown }[] = [
  {
    name: 'a DECLINE of the dynamic address quarantines it and sends nothing',
    type: MessageType.Decline,
    declined: '10.66.100.100',
    reply: dynamic,
    want: { kind: 'respond', type: null, lease: quarantine },
  },
  {
    name: 'a DECLINE of a reserved address sends nothing and stores nothing',
    type: MessageType.Decline,
    declined: '10.66.100.50',
    reply: reservedReply,
    want: { kind: 'respond', type: null, lease: null },
  },
  {
    name: 'a DECLINE of an address not offered to the client stores nothing',
    type: MessageType.Decline,
    declined: '10.66.100.101',
    reply: dynamic,
    want: { kind: 'respond', type: null, lease: null },
  },
  {
    name: 'a REQUEST is not a decline',
    type: MessageType.Request,
    declined: '10.66.100.100',
    reply: dynamic,
    want: { kind: 'continue', type: null, lease: null },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const r = quarantineDeclined(
      request({ type: c.type, options: [requestedIpOption(c.declined)] }),
      c.reply,
      network(),
    );
    assert.deepEqual(r.kind === 'drop' ? r : { kind: r.kind, type: r.reply.type, lease: r.reply.lease }, c.want);
  });
}
