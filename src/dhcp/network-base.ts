/**
 * A network's DHCP facts from its rows, pure: DHCP-enabled IPv4 subnets, ports with fixed IPs as
 * reservations, the DHCP port's address as the server address.
 */
import { DHCP_DEVICE_OWNER, type Port, type Subnet } from '../domain/model.ts';
import { isMac, type Mac, parseMac } from '../domain/values.ts';
import type { NetworkWithSegment } from '../store/store.ts';
import { cidrHas, parseIpv4Cidr } from './codec/ipv4.ts';
import type { AddressRange, ExtraDhcpOpt, NetworkView, Reservation, SubnetView } from './model.ts';

/** A network's DHCP facts without its leases (the lease table owns those). */
export type NetworkBase = Omit<NetworkView, 'leases'>;

/** Whether a subnet is served by the DHCPv4 server. */
export function isDhcpSubnet(s: Subnet): boolean {
  return s.enableDhcp && s.ipVersion === 4;
}

/**
 * The NetworkView of one network from its rows; undefined when it has no DHCP-enabled IPv4 subnet or no
 * server address. Pure.
 */
export function buildNetworkBase(args: {
  readonly network: NetworkWithSegment;
  readonly subnets: readonly Subnet[];
  readonly ports: readonly Port[];
  readonly serverAddress: string | null;
  readonly leaseSeconds: number;
  readonly dynamicPools: readonly AddressRange[];
}): NetworkBase | undefined {
  const subnets = args.subnets.filter(isDhcpSubnet);
  if (subnets.length === 0) return undefined;
  const dhcpPort = args.ports.find((p) => p.deviceOwner === DHCP_DEVICE_OWNER);
  const ownAddress = dhcpPort?.fixedIps.find((f) => subnets.some((s) => s.id === f.subnetId))?.ipAddress ?? null;
  const serverAddress = args.serverAddress ?? ownAddress;
  if (serverAddress === null) return undefined;
  const mtu = args.network.network.mtu;
  const views: SubnetView[] = subnets.map((s) => {
    const cidr = parseIpv4Cidr(s.cidr);
    return {
      id: s.id,
      cidr: s.cidr,
      gateway: s.gatewayIp,
      dnsServers: s.dnsNameservers,
      hostRoutes: s.hostRoutes,
      mtu,
      domain: null,
      dynamicPools: args.dynamicPools.filter((r) => cidr !== null && cidrHas(cidr, r.start) && cidrHas(cidr, r.end)),
    };
  });
  const reservations = new Map<Mac, Reservation>();
  for (const p of args.ports) {
    if (p.deviceOwner === DHCP_DEVICE_OWNER || !isMac(p.macAddress)) continue;
    const fixed = p.fixedIps.find((f) => subnets.some((s) => s.id === f.subnetId));
    if (!fixed) continue;
    const mac = parseMac(p.macAddress);
    reservations.set(mac, {
      mac,
      ip: fixed.ipAddress,
      portId: p.id,
      hostname: null,
      extraDhcpOpts: p.extraDhcpOpts.map(
        (o): ExtraDhcpOpt => ({ optName: o.optName, optValue: o.optValue, ipVersion: o.ipVersion }),
      ),
    });
  }
  return {
    networkId: args.network.network.id,
    serverAddress,
    subnets: views,
    reservations,
    leaseSeconds: args.leaseSeconds,
  };
}
