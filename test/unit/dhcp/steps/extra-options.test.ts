import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, type MessageTypeCode, Opt } from '../../../../src/dhcp/codec/option-codes.ts';
import type { ExtraDhcpOpt } from '../../../../src/dhcp/model.ts';
import type { DhcpReply } from '../../../../src/dhcp/step.ts';
import { addExtraDhcpOpts } from '../../../../src/dhcp/steps/extra-options.ts';
import type { RawOption } from '../packets.ts';
import { network, request, reservation, reservedReply } from './exchange.ts';

const ironic: readonly ExtraDhcpOpt[] = [
  { optName: 'tag:!ipxe,67', optValue: 'snponly.efi', ipVersion: 4 },
  { optName: 'tag:ipxe,67', optValue: 'http://10.66.100.1:8080/boot.ipxe', ipVersion: 4 },
  { optName: '66', optValue: '10.66.100.1', ipVersion: 4 },
  { optName: 'tag:!ipxe6,59', optValue: 'tftp://[fd00::1]/snponly.efi', ipVersion: 6 },
];
const reply = (type: MessageTypeCode, opts = ironic): DhcpReply => ({
  ...reservedReply,
  type,
  reservation: { ...reservation, extraDhcpOpts: opts },
});
const ipxe: RawOption = { code: Opt.UserClass, bytes: [...Buffer.from('iPXE')] };

const cases: readonly {
  name: string;
  options: readonly RawOption[];
  reply: DhcpReply;
  want: { file: string; bootfile: string | null };
}[] = [
  {
    name: 'firmware PXE gets the tag:!ipxe bootfile, in option 67 and the file field',
    options: [],
    reply: reply(MessageType.Offer),
    want: { file: 'snponly.efi', bootfile: 'snponly.efi' },
  },
  {
    name: 'iPXE gets the tag:ipxe script URL',
    options: [ipxe],
    reply: reply(MessageType.Ack),
    want: { file: 'http://10.66.100.1:8080/boot.ipxe', bootfile: 'http://10.66.100.1:8080/boot.ipxe' },
  },
  {
    name: 'a NAK gets no extra options',
    options: [],
    reply: reply(MessageType.Nak),
    want: { file: '', bootfile: null },
  },
  {
    name: 'IPv6 entries are not sent by the DHCPv4 server',
    options: [],
    reply: reply(MessageType.Offer, ironic.slice(3)),
    want: { file: '', bootfile: null },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const r = addExtraDhcpOpts(request({ type: MessageType.Discover, options: c.options }), c.reply, network());
    const seen =
      r.kind === 'drop'
        ? r
        : { file: r.reply.file, bootfile: r.reply.options.get(Opt.BootfileName)?.toString() ?? null };
    assert.deepEqual(seen, c.want);
  });
}
