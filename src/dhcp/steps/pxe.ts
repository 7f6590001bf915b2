/**
 * Network-boot answers firmware needs (shared/testbed/README.md): iPXE gets 175.176 = 1 (`no-pxedhcp`,
 * else it waits ~3 s for ProxyDHCP offers); UEFI HTTP boot gets vendor class `HTTPClient` back, or it
 * ignores the offer (UEFI spec 2.x §24.7).
 */

import { IpxeOpt, MessageType, Opt } from '../codec/option-codes.ts';
import { subOptionsValue, textValue } from '../codec/options.ts';
import type { DhcpStep } from '../step.ts';

const NO_PXEDHCP = subOptionsValue([{ code: IpxeOpt.NoPxeDhcp, data: Buffer.from([1]) }]);
const HTTP_CLIENT = textValue('HTTPClient');

export const answerPxe: DhcpStep = (req, reply) => {
  if (reply.type !== MessageType.Offer && reply.type !== MessageType.Ack) return { kind: 'continue', reply };
  const ipxe = req.client.isIpxe && !reply.options.has(Opt.Ipxe);
  const http = req.client.isHttpClient && !reply.options.has(Opt.VendorClass);
  if (!ipxe && !http) return { kind: 'continue', reply }; // nothing to add: no copy of the options
  const options = new Map(reply.options);
  if (ipxe) options.set(Opt.Ipxe, NO_PXEDHCP);
  if (http) options.set(Opt.VendorClass, HTTP_CLIENT);
  return { kind: 'continue', reply: { ...reply, options } };
};
