/**
 * The subnet's options on OFFER and ACK (RFC 2132): mask 1, router 3, DNS 6, host name 12, domain 15,
 * MTU 26, broadcast 28, lease 51 with T1 58 / T2 59 (RFC 2131 §4.4.5 defaults 0.5 and 0.875), and
 * classless routes 121 (RFC 3442) from the host routes.
 */
import { ipv4FromNumber, parseIpv4Cidr, prefixMask } from '../codec/ipv4.js';
import { MessageType, Opt } from '../codec/option-codes.js';
import { addressesValue, classlessRoutesValue, textValue, u16Value, u32Value } from '../codec/options.js';
import type { DhcpStep } from '../pipeline.js';

export const addSubnetOptions: DhcpStep = (req, reply, net) => {
  const subnet = reply.subnet;
  if (!subnet || (reply.type !== MessageType.Offer && reply.type !== MessageType.Ack)) {
    return { kind: 'continue', reply };
  }
  const options = new Map(reply.options);
  const cidr = parseIpv4Cidr(subnet.cidr);
  if (cidr) {
    options.set(Opt.SubnetMask, u32Value(prefixMask(cidr.prefix)));
    options.set(
      Opt.BroadcastAddress,
      addressesValue([ipv4FromNumber((cidr.network | ~prefixMask(cidr.prefix)) >>> 0)]),
    );
  }
  if (subnet.gateway) options.set(Opt.Router, addressesValue([subnet.gateway]));
  if (subnet.dnsServers.length > 0) options.set(Opt.DnsServers, addressesValue(subnet.dnsServers));
  if (reply.reservation?.hostname) options.set(Opt.HostName, textValue(reply.reservation.hostname));
  if (subnet.domain) options.set(Opt.DomainName, textValue(subnet.domain));
  if (subnet.mtu !== null) options.set(Opt.InterfaceMtu, u16Value(subnet.mtu));
  if (req.type !== MessageType.Inform) {
    options.set(Opt.LeaseTime, u32Value(net.leaseSeconds));
    options.set(Opt.RenewalTime, u32Value(Math.floor(net.leaseSeconds * 0.5)));
    options.set(Opt.RebindingTime, u32Value(Math.floor(net.leaseSeconds * 0.875)));
  }
  if (subnet.hostRoutes.length > 0) {
    // RFC 3442 §3: a client that gets 121 ignores option 3, so the default route goes into 121 too
    const routes = subnet.gateway
      ? [...subnet.hostRoutes, { destination: '0.0.0.0/0', nexthop: subnet.gateway }]
      : subnet.hostRoutes;
    options.set(Opt.ClasslessRoutes, classlessRoutesValue(routes));
  }
  return { kind: 'continue', reply: { ...reply, options } };
};
