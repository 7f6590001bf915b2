/**
 * Relayed or not (RFC 2131 §4.1, RFC 1542 §4): an attached listener refuses packets carrying a giaddr
 * (a spoofed or misrouted relay); a relay listener serves only relayed packets and picks the subnet by giaddr.
 */
import { ZERO_ADDRESS } from '../codec/ipv4.ts';
import { subnetFor } from '../model.ts';
import type { DhcpStep } from '../step.ts';

export const checkRelay: DhcpStep = (req, reply, net) => {
  const giaddr = req.packet.giaddr;
  if (req.context.via === 'attached') {
    return giaddr === ZERO_ADDRESS ? { kind: 'continue', reply } : { kind: 'drop', reason: 'unexpected-relay' };
  }
  if (giaddr === ZERO_ADDRESS) return { kind: 'drop', reason: 'not-relayed' };
  const subnet = subnetFor(net.subnets, giaddr);
  return subnet ? { kind: 'continue', reply: { ...reply, subnet } } : { kind: 'drop', reason: 'no-subnet' };
};
