import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../../../src/dhcp/codec/option-codes.ts';
import { EMPTY_REPLY } from '../../../../src/dhcp/step.ts';
import { checkRelay } from '../../../../src/dhcp/steps/relay.ts';
import { network, request, seen } from './exchange.ts';

const cases = [
  {
    name: 'an attached listener serves a packet without giaddr',
    via: 'attached',
    giaddr: undefined,
    want: 'continue nothing 0.0.0.0',
  },
  {
    name: 'an attached listener drops a relayed packet',
    via: 'attached',
    giaddr: '10.66.100.253',
    want: 'drop unexpected-relay',
  },
  {
    name: 'a relay listener drops a packet that was not relayed',
    via: 'relay',
    giaddr: undefined,
    want: 'drop not-relayed',
  },
  {
    name: 'a relay listener drops a giaddr outside every subnet',
    via: 'relay',
    giaddr: '10.99.0.1',
    want: 'drop no-subnet',
  },
  {
    name: 'a relay listener serves the subnet holding giaddr',
    via: 'relay',
    giaddr: '10.66.100.253',
    want: 'continue nothing 0.0.0.0',
  },
] as const;

for (const c of cases) {
  test(c.name, () => {
    const req = request({ type: MessageType.Discover, via: c.via, ...(c.giaddr ? { giaddr: c.giaddr } : {}) });
    assert.equal(seen(checkRelay(req, EMPTY_REPLY, network())), c.want);
  });
}

test('a relayed packet is answered from the subnet of its giaddr', () => {
  const r = checkRelay(
    request({ type: MessageType.Discover, via: 'relay', giaddr: '10.66.100.253' }),
    EMPTY_REPLY,
    network(),
  );
  assert.equal(r.kind === 'continue' ? r.reply.subnet?.id : r.kind, 'sub-prov');
});
