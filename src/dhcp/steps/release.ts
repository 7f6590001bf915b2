/** RFC 2131 §4.3.4: a RELEASE of the client's dynamic address frees it. Nothing is sent back. */
import { MessageType } from '../codec/option-codes.ts';
import type { DhcpStep } from '../step.ts';

export const forgetReleased: DhcpStep = (req, reply, net) => {
  if (req.type !== MessageType.Release) return { kind: 'continue', reply };
  const released = req.packet.ciaddr;
  if (reply.reservation || released !== reply.yiaddr) return { kind: 'respond', reply: { ...reply, type: null } };
  return {
    kind: 'respond',
    reply: { ...reply, type: null, lease: { kind: 'remove', networkId: net.networkId, mac: req.mac, ip: released } },
  };
};
