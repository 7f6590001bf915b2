/**
 * RFC 2131 §4.3.3: a DECLINE says the address is in use by someone else; a dynamic address is
 * quarantined (not offered to anyone) for a while. Nothing is sent back.
 */

import { MessageType } from '../codec/option-codes.ts';
import { getRequestedIp, presentValue } from '../codec/options.ts';
import type { DhcpStep } from '../step.ts';

/** As dnsmasq: a declined address is not offered again for 10 minutes. */
export const DECLINE_QUARANTINE_MS = 600_000;

export const quarantineDeclined: DhcpStep = (req, reply, net) => {
  if (req.type !== MessageType.Decline) return { kind: 'continue', reply };
  const declined = presentValue(getRequestedIp(req.packet));
  const isOurs = declined !== undefined && declined === reply.yiaddr;
  if (!isOurs || reply.reservation || !reply.subnet) return { kind: 'respond', reply: { ...reply, type: null } };
  const lease = {
    mac: req.mac,
    ip: declined,
    subnetId: reply.subnet.id,
    state: 'declined' as const,
    expiresAtMs: req.context.nowMs + DECLINE_QUARANTINE_MS,
  };
  return { kind: 'respond', reply: { ...reply, type: null, lease: { kind: 'put', networkId: net.networkId, lease } } };
};
