import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../../src/dhcp/codec/option-codes.ts';
import { type DhcpReply, EMPTY_REPLY } from '../../../../src/dhcp/step.ts';
import { forgetReleased } from '../../../../src/dhcp/steps/release.ts';
import { CLIENT_MAC, network, request, reservedReply, subnet } from './exchange.ts';

const dynamic: DhcpReply = { ...EMPTY_REPLY, subnet, yiaddr: '10.66.100.100' };
const cases: readonly { name: string; type: number; ciaddr: string; reply: DhcpReply; want: unknown }[] = [
  {
    name: 'a RELEASE of the dynamic address frees its lease and sends nothing',
    type: MessageType.Release,
    ciaddr: '10.66.100.100',
    reply: dynamic,
    want: {
      kind: 'respond',
      type: null,
      lease: { kind: 'remove', networkId: 'net-prov', mac: CLIENT_MAC, ip: '10.66.100.100' },
    },
  },
  {
    name: 'a RELEASE of a reserved address sends nothing and keeps the port',
    type: MessageType.Release,
    ciaddr: '10.66.100.50',
    reply: reservedReply,
    want: { kind: 'respond', type: null, lease: null },
  },
  {
    name: 'a RELEASE of an address that is not the client’s changes nothing',
    type: MessageType.Release,
    ciaddr: '10.66.100.101',
    reply: dynamic,
    want: { kind: 'respond', type: null, lease: null },
  },
  {
    name: 'a REQUEST is not a release',
    type: MessageType.Request,
    ciaddr: '10.66.100.100',
    reply: dynamic,
    want: { kind: 'continue', type: null, lease: null },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const r = forgetReleased(request(c), c.reply, network());
    assert.deepEqual(r.kind === 'drop' ? r : { kind: r.kind, type: r.reply.type, lease: r.reply.lease }, c.want);
  });
}
