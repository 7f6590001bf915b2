import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../../src/dhcp/codec/option-codes.ts';
import { answerDiscover } from '../../../../src/dhcp/steps/discover.ts';
import { network, request, reservedReply, seen } from './exchange.ts';

const cases = [
  {
    name: 'a DISCOVER is answered with an OFFER of the address found',
    type: MessageType.Discover,
    want: 'continue Offer 10.66.100.50',
  },
  { name: 'a REQUEST is left to the request step', type: MessageType.Request, want: 'continue nothing 10.66.100.50' },
  { name: 'an INFORM is left to the inform step', type: MessageType.Inform, want: 'continue nothing 10.66.100.50' },
] as const;

for (const c of cases)
  test(c.name, () => assert.equal(seen(answerDiscover(request(c), reservedReply, network())), c.want));
