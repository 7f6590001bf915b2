/**
 * The subnet's options on OFFER and ACK (RFC 2132): mask 1, router 3, DNS 6, host name 12, domain 15,
 * MTU 26, broadcast 28, lease 51 with T1 58 / T2 59 (RFC 2131 §4.4.5 defaults 0.5 and 0.875), and
 * classless routes 121 (RFC 3442) from the host routes.
 */
import { ipv4FromNumber, parseIpv4Cidr, prefixMask } from '../codec/ipv4.ts';
import { MessageType, Opt } from '../codec/option-codes.ts';
import { addressesValue, classlessRoutesValue, textValue, u16Value, u32Value } from '../codec/options.ts';
import type { SubnetView } from '../model.ts';
import type { DhcpStep } from '../step.ts';

/** A subnet's option values, encoded once per SubnetView (a view lives until its network changes). */
interface SubnetOptionValues {
  /** 1, 28, 3, 6: before the host name. */
  readonly head: readonly (readonly [number, Buffer])[];
  /** 15, 26: after it. */
  readonly tail: readonly (readonly [number, Buffer])[];
  /** 121, last. */
  readonly routes: Buffer | null;
}

const encoded = new WeakMap<SubnetView, SubnetOptionValues>();

function subnetValues(subnet: SubnetView): SubnetOptionValues {
  const hit = encoded.get(subnet);
  if (hit) return hit;
  const head: [number, Buffer][] = [];
  const cidr = parseIpv4Cidr(subnet.cidr);
  if (cidr) {
    head.push([Opt.SubnetMask, u32Value(prefixMask(cidr.prefix))]);
    head.push([
      Opt.BroadcastAddress,
      addressesValue([ipv4FromNumber((cidr.network | ~prefixMask(cidr.prefix)) >>> 0)]),
    ]);
  }
  if (subnet.gateway) head.push([Opt.Router, addressesValue([subnet.gateway])]);
  if (subnet.dnsServers.length > 0) head.push([Opt.DnsServers, addressesValue(subnet.dnsServers)]);
  const tail: [number, Buffer][] = [];
  if (subnet.domain) tail.push([Opt.DomainName, textValue(subnet.domain)]);
  if (subnet.mtu !== null) tail.push([Opt.InterfaceMtu, u16Value(subnet.mtu)]);
  let routes: Buffer | null = null;
  if (subnet.hostRoutes.length > 0) {
    // RFC 3442 §3: a client that gets 121 ignores option 3, so the default route goes into 121 too
    routes = classlessRoutesValue(
      subnet.gateway
        ? [...subnet.hostRoutes, { destination: '0.0.0.0/0', nexthop: subnet.gateway }]
        : subnet.hostRoutes,
    );
  }
  const values = { head, tail, routes };
  encoded.set(subnet, values);
  return values;
}

/** 51, 58, 59 for a lease length, encoded once per length. */
const leaseTimes = new Map<number, readonly (readonly [number, Buffer])[]>();

function leaseTimeValues(seconds: number): readonly (readonly [number, Buffer])[] {
  let values = leaseTimes.get(seconds);
  if (!values) {
    values = [
      [Opt.LeaseTime, u32Value(seconds)],
      [Opt.RenewalTime, u32Value(Math.floor(seconds * 0.5))],
      [Opt.RebindingTime, u32Value(Math.floor(seconds * 0.875))],
    ];
    if (leaseTimes.size >= 64) leaseTimes.clear(); // lease lengths come from config: a handful at most
    leaseTimes.set(seconds, values);
  }
  return values;
}

export const addSubnetOptions: DhcpStep = (req, reply, net) => {
  const subnet = reply.subnet;
  if (!subnet || (reply.type !== MessageType.Offer && reply.type !== MessageType.Ack)) {
    return { kind: 'continue', reply };
  }
  const values = subnetValues(subnet);
  const options = new Map(reply.options);
  for (const [code, value] of values.head) options.set(code, value);
  if (reply.reservation?.hostname) options.set(Opt.HostName, textValue(reply.reservation.hostname));
  for (const [code, value] of values.tail) options.set(code, value);
  if (req.type !== MessageType.Inform)
    for (const [code, value] of leaseTimeValues(net.leaseSeconds)) options.set(code, value);
  if (values.routes) options.set(Opt.ClasslessRoutes, values.routes);
  return { kind: 'continue', reply: { ...reply, options } };
};
