/**
 * RFC 2131 §4.3.2: a REQUEST is ACKed when it asks for the client's address, NAKed when it asks for
 * another one, and left unanswered in INIT-REBOOT when the server has no record of the client.
 */
import { ZERO_ADDRESS } from '../codec/ipv4.ts';
import { MessageType, Opt } from '../codec/option-codes.ts';
import { getRequestedIp, getServerId, textValue } from '../codec/options.ts';
import type { DhcpReply, DhcpStep, StepResult } from '../step.ts';

/** SELECTING names a server (54); INIT-REBOOT asks for an address (50) without; RENEWING/REBINDING uses ciaddr. */
export type RequestState = 'selecting' | 'init-reboot' | 'renewing';

function nak(reply: DhcpReply, message: string): StepResult {
  return {
    kind: 'respond',
    reply: { ...reply, type: MessageType.Nak, lease: null, options: new Map([[Opt.Message, textValue(message)]]) },
  };
}

export const decideRequest: DhcpStep = (req, reply, net) => {
  if (req.type !== MessageType.Request) return { kind: 'continue', reply };
  const p = req.packet;
  const requested = getRequestedIp(p);
  if (requested.kind === 'malformed') return { kind: 'drop', reason: 'malformed-option' };
  const state: RequestState =
    getServerId(p).kind === 'present' ? 'selecting' : requested.kind === 'present' ? 'init-reboot' : 'renewing';
  const asked = requested.kind === 'present' ? requested.value : p.ciaddr === ZERO_ADDRESS ? null : p.ciaddr;
  if (asked === null) return { kind: 'drop', reason: 'no-requested-address' };
  if (reply.yiaddr === ZERO_ADDRESS) {
    if (state === 'init-reboot') return { kind: 'drop', reason: 'no-binding' };
    return nak(reply, `no lease for ${req.mac}`);
  }
  if (asked !== reply.yiaddr) return nak(reply, `requested address ${asked} is not assigned to ${req.mac}`);
  const lease = reply.reservation
    ? null
    : {
        kind: 'put' as const,
        networkId: net.networkId,
        lease: {
          mac: req.mac,
          ip: reply.yiaddr,
          subnetId: reply.subnet?.id ?? '',
          state: 'bound' as const,
          expiresAtMs: req.context.nowMs + net.leaseSeconds * 1000,
        },
      };
  return { kind: 'continue', reply: { ...reply, type: MessageType.Ack, lease } };
};
