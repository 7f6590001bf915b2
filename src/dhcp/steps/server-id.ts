/** RFC 2131 §4.3.2: a REQUEST (SELECTING), DECLINE or RELEASE naming another server is not ours to answer. */

import { MessageType } from '../codec/option-codes.ts';
import { getServerId } from '../codec/options.ts';
import type { DhcpStep } from '../step.ts';

export const checkServerId: DhcpStep = (req, reply, net) => {
  const id = getServerId(req.packet);
  if (id.kind === 'malformed') return { kind: 'drop', reason: 'malformed-option' };
  const namesServer =
    req.type === MessageType.Request || req.type === MessageType.Decline || req.type === MessageType.Release;
  if (namesServer && id.kind === 'present' && id.value !== net.serverAddress) {
    return { kind: 'drop', reason: 'other-server' };
  }
  return { kind: 'continue', reply };
};
