/**
 * What the DHCP pipeline sees of one network: plain readonly data the next layer builds from store rows
 * (subnets, ports with fixed IPs and `extra_dhcp_opts`, dynamic leases) and hands to the server.
 * Addresses are dotted-quad strings, as in `domain/model.ts`.
 */
import type { Mac } from '../domain/values.ts';
import { cidrHas, type Ipv4Cidr, parseIpv4Cidr } from './codec/ipv4.ts';

/** Neutron's `extra_dhcp_opts` entry (same shape as `domain/model.ts` ExtraDhcpOpt). */
export interface ExtraDhcpOpt {
  readonly optName: string;
  readonly optValue: string;
  readonly ipVersion: 4 | 6;
}

export interface HostRoute {
  /** `a.b.c.d/n` */
  readonly destination: string;
  readonly nexthop: string;
}

/** An inclusive address range, e.g. an allocation pool used as a dynamic pool. */
export interface AddressRange {
  readonly start: string;
  readonly end: string;
}

/** Whether `address` lies in the subnet's CIDR. */
export function subnetHolds(subnet: SubnetView, address: string): boolean {
  let c = parsedCidrs.get(subnet);
  if (c === undefined) {
    c = parseIpv4Cidr(subnet.cidr);
    parsedCidrs.set(subnet, c);
  }
  return c !== null && cidrHas(c, address);
}

/** Each view's CIDR parsed once (views live until their network changes). */
const parsedCidrs = new WeakMap<SubnetView, Ipv4Cidr | null>();

/** The first subnet holding `address`. */
export function subnetFor(subnets: readonly SubnetView[], address: string): SubnetView | undefined {
  return subnets.find((s) => subnetHolds(s, address));
}

export interface SubnetView {
  readonly id: string;
  /** `a.b.c.d/n` */
  readonly cidr: string;
  readonly gateway: string | null;
  readonly dnsServers: readonly string[];
  /** Sent as option 121 (RFC 3442), with the default route through `gateway` added when there is one. */
  readonly hostRoutes: readonly HostRoute[];
  /** The network's MTU (option 26); null to leave the client's default. */
  readonly mtu: number | null;
  readonly domain: string | null;
  /** Ranges handed out to unknown MACs (inspection/discovery). Empty: reservation-only (docs/architecture.md §3, invariant 4). */
  readonly dynamicPools: readonly AddressRange[];
}

/** A port with a fixed IP on this network: its MAC gets exactly this address and these options. */
export interface Reservation {
  readonly mac: Mac;
  readonly ip: string;
  readonly portId: string | null;
  readonly hostname: string | null;
  readonly extraDhcpOpts: readonly ExtraDhcpOpt[];
}

export type LeaseState = 'offered' | 'bound' | 'declined';

/** A dynamic-pool address held for a MAC (or quarantined after a DECLINE) until `expiresAtMs`. */
export interface Lease {
  readonly mac: Mac;
  readonly ip: string;
  readonly subnetId: string;
  readonly state: LeaseState;
  readonly expiresAtMs: number;
}

/** What the pipeline reads of a network's leases. */
export interface LeaseIndex {
  readonly size: number;
  /** The lease (or quarantine) on `ip`. */
  at(ip: string): Lease | undefined;
  /** The MAC's lease; a quarantined (declined) address is not its lease. */
  ofMac(mac: Mac): Lease | undefined;
  values(): IterableIterator<Lease>;
  /**
   * The lowest address of `range` that no lease names and `usable` accepts, or null. Amortized O(1):
   * the table remembers, per range, up to where every address is leased.
   */
  firstUnleased(range: AddressRange, usable: (ip: string) => boolean): string | null;
}

export interface NetworkView {
  readonly networkId: string;
  /** The address clients reach this server at on this network: option 54 and the source of replies. */
  readonly serverAddress: string;
  readonly subnets: readonly SubnetView[];
  readonly reservations: ReadonlyMap<Mac, Reservation>;
  /** Current dynamic leases of this network (expired ones may be included; they count as free). */
  readonly leases: LeaseIndex;
  readonly leaseSeconds: number;
}

/** A change to the dynamic leases the caller must make durable before the reply is sent. */
export type LeaseDecision =
  | { readonly kind: 'put'; readonly networkId: string; readonly lease: Lease }
  | { readonly kind: 'remove'; readonly networkId: string; readonly mac: Mac; readonly ip: string };

/**
 * Whether a change must be durable before its reply. An OFFER's hold only keeps the address for the
 * client's REQUEST (RFC 2131 §4.3.1: the server SHOULD reserve it, a restart may lose it and the REQUEST
 * is then granted if the address is still free); the ACK hands the address out, and its lease, like a
 * DECLINE's quarantine or a RELEASE, is stored before anyone hears of it.
 */
export function mustBeDurable(d: LeaseDecision): boolean {
  return d.kind === 'remove' || d.lease.state !== 'offered';
}
