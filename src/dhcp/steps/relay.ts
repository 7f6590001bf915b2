/**
 * Relayed or not (RFC 2131 §4.1, RFC 1542 §4): an attached listener refuses packets carrying a giaddr
 * (a spoofed or misrouted relay); a relay listener serves only relayed packets and picks the subnet by giaddr.
 */
import { cidrHas, parseIpv4Cidr, ZERO_ADDRESS } from '../codec/ipv4.js';
import type { DhcpStep } from '../pipeline.js';

export const checkRelay: DhcpStep = (req, reply, net) => {
  const giaddr = req.packet.giaddr;
  if (req.context.via === 'attached') {
    return giaddr === ZERO_ADDRESS ? { kind: 'continue', reply } : { kind: 'drop', reason: 'unexpected-relay' };
  }
  if (giaddr === ZERO_ADDRESS) return { kind: 'drop', reason: 'not-relayed' };
  const subnet = net.subnets.find((s) => {
    const c = parseIpv4Cidr(s.cidr);
    return c !== null && cidrHas(c, giaddr);
  });
  return subnet ? { kind: 'continue', reply: { ...reply, subnet } } : { kind: 'drop', reason: 'no-subnet' };
};
