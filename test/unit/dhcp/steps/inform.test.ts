import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../../src/dhcp/codec/option-codes.ts';
import { answerInform } from '../../../../src/dhcp/steps/inform.ts';
import { network, request, reservedReply, seen } from './exchange.ts';

const cases = [
  {
    name: 'an INFORM gets an ACK without an address (RFC 2131 §4.3.5)',
    type: MessageType.Inform,
    want: 'continue Ack 0.0.0.0',
  },
  { name: 'a DISCOVER is left alone', type: MessageType.Discover, want: 'continue nothing 10.66.100.50' },
] as const;

for (const c of cases)
  test(c.name, () => assert.equal(seen(answerInform(request(c), reservedReply, network())), c.want));

test('an INFORM makes no lease change', () => {
  const r = answerInform(request({ type: MessageType.Inform, ciaddr: '10.66.100.50' }), reservedReply, network());
  assert.equal(r.kind === 'continue' ? r.reply.lease : r.kind, null);
});
