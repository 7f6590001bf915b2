/**
 * RFC 2131 §4.3.5: an INFORM from a client with an address configured elsewhere gets an ACK with the
 * subnet's options, no yiaddr and no lease times, sent to its ciaddr.
 */
import { ZERO_ADDRESS } from '../codec/ipv4.ts';
import { MessageType } from '../codec/option-codes.ts';
import type { DhcpStep } from '../step.ts';

export const answerInform: DhcpStep = (req, reply) =>
  req.type === MessageType.Inform
    ? { kind: 'continue', reply: { ...reply, type: MessageType.Ack, yiaddr: ZERO_ADDRESS, lease: null } }
    : { kind: 'continue', reply };
