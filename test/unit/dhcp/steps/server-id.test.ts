import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, Opt } from '../../../../src/dhcp/codec/option-codes.ts';
import { EMPTY_REPLY } from '../../../../src/dhcp/step.ts';
import { checkServerId } from '../../../../src/dhcp/steps/server-id.ts';
import { network, request, SERVER, seen, serverIdOption } from './exchange.ts';

const cases = [
  {
    name: 'a REQUEST naming this server goes on',
    type: MessageType.Request,
    options: [serverIdOption(SERVER)],
    want: 'continue nothing 0.0.0.0',
  },
  {
    name: 'a REQUEST naming another server is not answered',
    type: MessageType.Request,
    options: [serverIdOption('10.66.100.9')],
    want: 'drop other-server',
  },
  {
    name: 'a RELEASE naming another server is not ours',
    type: MessageType.Release,
    options: [serverIdOption('10.66.100.9')],
    want: 'drop other-server',
  },
  {
    name: 'a DECLINE naming another server is not ours',
    type: MessageType.Decline,
    options: [serverIdOption('10.66.100.9')],
    want: 'drop other-server',
  },
  {
    name: 'a REQUEST without option 54 goes on (INIT-REBOOT, RENEWING)',
    type: MessageType.Request,
    options: [],
    want: 'continue nothing 0.0.0.0',
  },
  {
    name: 'a DISCOVER with a stray option 54 goes on',
    type: MessageType.Discover,
    options: [serverIdOption('10.66.100.9')],
    want: 'continue nothing 0.0.0.0',
  },
  {
    name: 'a malformed option 54 is dropped',
    type: MessageType.Request,
    options: [{ code: Opt.ServerId, bytes: [10, 66] }],
    want: 'drop malformed-option',
  },
] as const;

for (const c of cases) {
  test(c.name, () => assert.equal(seen(checkServerId(request(c), EMPTY_REPLY, network())), c.want));
}
