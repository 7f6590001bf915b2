/** RFC 2131 §4.3.1: a DISCOVER gets an OFFER of the address chosen by the reservation or the pool. */
import { MessageType } from '../codec/option-codes.ts';
import type { DhcpStep } from '../step.ts';

export const answerDiscover: DhcpStep = (req, reply) =>
  req.type === MessageType.Discover
    ? { kind: 'continue', reply: { ...reply, type: MessageType.Offer } }
    : { kind: 'continue', reply };
