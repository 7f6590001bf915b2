/**
 * Network-boot answers firmware needs (shared/testbed/README.md): iPXE gets 175.176 = 1 (`no-pxedhcp`,
 * else it waits ~3 s for ProxyDHCP offers); UEFI HTTP boot gets vendor class `HTTPClient` back, or it
 * ignores the offer (UEFI spec 2.x §24.7).
 */

import { IpxeOpt, MessageType, Opt } from '../codec/option-codes.js';
import { subOptionsValue, textValue } from '../codec/options.js';
import type { DhcpStep } from '../pipeline.js';

export const answerPxe: DhcpStep = (req, reply) => {
  if (reply.type !== MessageType.Offer && reply.type !== MessageType.Ack) return { kind: 'continue', reply };
  const options = new Map(reply.options);
  if (req.client.isIpxe && !options.has(Opt.Ipxe)) {
    options.set(Opt.Ipxe, subOptionsValue([{ code: IpxeOpt.NoPxeDhcp, data: Buffer.from([1]) }]));
  }
  if (req.client.isHttpClient && !options.has(Opt.VendorClass)) options.set(Opt.VendorClass, textValue('HTTPClient'));
  return { kind: 'continue', reply: { ...reply, options } };
};
