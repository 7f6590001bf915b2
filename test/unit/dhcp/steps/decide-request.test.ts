import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, Opt } from '../../../../src/dhcp/codec/option-codes.ts';
import { type DhcpReply, EMPTY_REPLY } from '../../../../src/dhcp/step.ts';
import { decideRequest } from '../../../../src/dhcp/steps/decide-request.ts';
import type { RawOption } from '../packets.ts';
import {
  network,
  request,
  requestedIpOption,
  reservedReply,
  SERVER,
  seen,
  serverIdOption,
  subnet,
} from './exchange.ts';

const known = reservedReply;
const unknown: DhcpReply = { ...EMPTY_REPLY, subnet };
const cases: readonly {
  name: string;
  options: readonly RawOption[];
  ciaddr?: string;
  reply: DhcpReply;
  want: string;
}[] = [
  {
    name: 'SELECTING for the offered address is ACKed',
    options: [serverIdOption(SERVER), requestedIpOption('10.66.100.50')],
    reply: known,
    want: 'continue Ack 10.66.100.50',
  },
  {
    name: 'INIT-REBOOT for the client’s address is ACKed',
    options: [requestedIpOption('10.66.100.50')],
    reply: known,
    want: 'continue Ack 10.66.100.50',
  },
  {
    name: 'RENEWING by ciaddr is ACKed',
    options: [],
    ciaddr: '10.66.100.50',
    reply: known,
    want: 'continue Ack 10.66.100.50',
  },
  {
    name: 'INIT-REBOOT for another address is NAKed',
    options: [requestedIpOption('10.66.100.77')],
    reply: known,
    want: 'respond Nak 10.66.100.50',
  },
  {
    name: 'INIT-REBOOT of a client without a record stays silent (RFC 2131 §4.3.2)',
    options: [requestedIpOption('10.66.100.77')],
    reply: unknown,
    want: 'drop no-binding',
  },
  {
    name: 'SELECTING without a lease is NAKed',
    options: [serverIdOption(SERVER), requestedIpOption('10.66.100.77')],
    reply: unknown,
    want: 'respond Nak 0.0.0.0',
  },
  {
    name: 'a REQUEST with neither option 50 nor ciaddr is dropped',
    options: [],
    reply: known,
    want: 'drop no-requested-address',
  },
  {
    name: 'a malformed option 50 is dropped',
    options: [{ code: Opt.RequestedIp, bytes: [10] }],
    reply: known,
    want: 'drop malformed-option',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const req = request({ type: MessageType.Request, options: c.options, ...(c.ciaddr ? { ciaddr: c.ciaddr } : {}) });
    assert.equal(seen(decideRequest(req, c.reply, network())), c.want);
  });
}

test('a DISCOVER is left to the other steps', () => {
  assert.equal(
    seen(decideRequest(request({ type: MessageType.Discover }), known, network())),
    'continue nothing 10.66.100.50',
  );
});

test('the NAK says why in option 56', () => {
  const r = decideRequest(
    request({ type: MessageType.Request, options: [requestedIpOption('10.66.100.77')] }),
    known,
    network(),
  );
  assert.match(
    r.kind === 'drop' ? r.reason : (r.reply.options.get(Opt.Message)?.toString() ?? ''),
    /10\.66\.100\.77 is not assigned/,
  );
});
