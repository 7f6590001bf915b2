import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpxeOpt, MessageType, Opt } from '../../../../src/dhcp/codec/option-codes.ts';
import type { DhcpReply } from '../../../../src/dhcp/step.ts';
import { answerPxe } from '../../../../src/dhcp/steps/pxe.ts';
import type { RawOption } from '../packets.ts';
import { network, request, reservedReply } from './exchange.ts';

const ipxeUserClass: RawOption = { code: Opt.UserClass, bytes: [...Buffer.from('iPXE')] };
const httpClient: RawOption = { code: Opt.VendorClass, bytes: [...Buffer.from('HTTPClient:Arch:00016')] };
const offer: DhcpReply = { ...reservedReply, type: MessageType.Offer };
const nak: DhcpReply = { ...reservedReply, type: MessageType.Nak };

const cases: readonly {
  name: string;
  options: readonly RawOption[];
  reply: DhcpReply;
  want: Record<number, string>;
}[] = [
  {
    name: 'iPXE gets 175.176 = 1, so it does not wait for ProxyDHCP',
    options: [ipxeUserClass],
    reply: offer,
    want: { [Opt.Ipxe]: Buffer.from([IpxeOpt.NoPxeDhcp, 1, 1]).toString('hex') },
  },
  {
    name: 'UEFI HTTP boot gets vendor class HTTPClient back',
    options: [httpClient],
    reply: offer,
    want: { [Opt.VendorClass]: Buffer.from('HTTPClient').toString('hex') },
  },
  { name: 'a plain PXE client gets nothing added', options: [], reply: offer, want: {} },
  { name: 'a NAK gets nothing added', options: [ipxeUserClass], reply: nak, want: {} },
];

for (const c of cases) {
  test(c.name, () => {
    const r = answerPxe(request({ type: MessageType.Discover, options: c.options }), c.reply, network());
    const options = r.kind === 'drop' ? new Map<number, Buffer>() : r.reply.options;
    assert.deepEqual(Object.fromEntries([...options].map(([k, v]) => [k, v.toString('hex')])), c.want);
  });
}
