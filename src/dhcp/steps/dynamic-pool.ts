/**
 * Addresses for MACs without a reservation, from a subnet's dynamic pools (inspection/discovery).
 * Pure: the current leases come in with the NetworkView, the choice goes out as a LeaseDecision that
 * the server makes durable before it answers (no address is handed out twice across restarts).
 */
import type { Mac } from '../../domain/values.ts';
import { ipv4ToNumber, isIpv4, ZERO_ADDRESS } from '../codec/ipv4.ts';
import { MessageType } from '../codec/option-codes.ts';
import { getRequestedIp, presentValue } from '../codec/options.ts';
import {
  type AddressRange,
  type Lease,
  type LeaseIndex,
  type NetworkView,
  type SubnetView,
  subnetHolds,
} from '../model.ts';
import type { DhcpStep } from '../step.ts';

/** How long an offered address stays held for the client's REQUEST. */
export const OFFER_HOLD_MS = 60_000;

function inPools(pools: readonly AddressRange[], ip: string): boolean {
  if (!isIpv4(ip)) return false;
  const n = ipv4ToNumber(ip);
  return pools.some((r) => n >= ipv4ToNumber(r.start) && n <= ipv4ToNumber(r.end));
}

/**
 * The address for `mac`, in order: its own lease (even expired, while nobody else took it), the address
 * it asked for, an address never leased, then one whose lease expired. Null when the pools are full.
 */
export function chooseAddress(args: ChooseArgs): string | null {
  const { subnet, leases, unavailable, mac, nowMs } = args;
  const own = leases.ofMac(mac);
  if (own && own.subnetId === subnet.id && isFree(args, own.ip)) return own.ip;
  if (args.preferred && isFree(args, args.preferred)) return args.preferred;
  for (const range of subnet.dynamicPools) {
    const ip = leases.firstUnleased(range, (x) => !unavailable(x));
    if (ip !== null) return ip;
  }
  // the pools are fully leased: the lowest address whose lease expired (rare; walks the leases)
  let best: { n: number; ip: string } | null = null;
  for (const l of leases.values()) {
    if (isHeld(l, mac, nowMs) || unavailable(l.ip) || !inPools(subnet.dynamicPools, l.ip)) continue;
    const n = ipv4ToNumber(l.ip);
    if (best === null || n < best.n) best = { n, ip: l.ip };
  }
  return best?.ip ?? null;
}

interface ChooseArgs {
  readonly subnet: SubnetView;
  readonly leases: LeaseIndex;
  /** Reserved addresses, the gateway and the server's own address. */
  readonly unavailable: (ip: string) => boolean;
  readonly mac: Mac;
  readonly preferred: string | null;
  readonly nowMs: number;
}

// module functions rather than closures in chooseAddress: it runs per DISCOVER, and a closure made per call
// costs more than the check itself

/** Held by someone else: a live lease of another MAC, or a quarantine (DECLINE) of any. */
function isHeld(l: Lease | undefined, mac: Mac, nowMs: number): boolean {
  return l !== undefined && l.expiresAtMs > nowMs && (l.mac !== mac || l.state === 'declined');
}

function isFree(args: ChooseArgs, ip: string): boolean {
  return (
    !args.unavailable(ip) && !isHeld(args.leases.at(ip), args.mac, args.nowMs) && inPools(args.subnet.dynamicPools, ip)
  );
}

/** The subnets with pools a packet may lease from, per view and relayed subnet (views are reused). */
const poolSubnetsOf = new WeakMap<NetworkView, Map<SubnetView | null, readonly SubnetView[]>>();

function poolSubnets(net: NetworkView, relayed: SubnetView | null): readonly SubnetView[] {
  let byRelayed = poolSubnetsOf.get(net);
  if (!byRelayed) {
    byRelayed = new Map();
    poolSubnetsOf.set(net, byRelayed);
  }
  let subnets = byRelayed.get(relayed);
  if (!subnets) {
    const withPools = (relayed ? [relayed] : net.subnets).filter((s) => s.dynamicPools.length > 0);
    // attached: the subnet of our own address first
    subnets = withPools.sort(
      (a, b) => Number(subnetHolds(b, net.serverAddress)) - Number(subnetHolds(a, net.serverAddress)),
    );
    byRelayed.set(relayed, subnets);
  }
  return subnets;
}

/** Reserved addresses of a network, computed once per reservation map (views share it until it changes). */
const reservedAddresses = new WeakMap<NetworkView['reservations'], ReadonlySet<string>>();

function unavailableIn(net: NetworkView, subnet: SubnetView): (ip: string) => boolean {
  let reserved = reservedAddresses.get(net.reservations);
  if (!reserved) {
    reserved = new Set([...net.reservations.values()].map((r) => r.ip));
    reservedAddresses.set(net.reservations, reserved);
  }
  const taken = reserved;
  return (ip) => ip === net.serverAddress || ip === subnet.gateway || taken.has(ip);
}

export const allocateFromPool: DhcpStep = (req, reply, net) => {
  if (reply.reservation) return { kind: 'continue', reply };
  const subnets = poolSubnets(net, reply.subnet);
  const first = subnets[0];
  if (!first) return { kind: 'drop', reason: 'unknown-client' };
  const p = req.packet;
  const requested = presentValue(getRequestedIp(p)) ?? null;
  const own = net.leases.ofMac(req.mac);
  const ownSubnet = own ? subnets.find((s) => s.id === own.subnetId) : undefined;

  switch (req.type) {
    case MessageType.Discover: {
      for (const subnet of subnets) {
        const ip = chooseAddress({
          subnet,
          leases: net.leases,
          unavailable: unavailableIn(net, subnet),
          mac: req.mac,
          preferred: requested,
          nowMs: req.context.nowMs,
        });
        if (ip === null) continue;
        const lease: Lease = {
          mac: req.mac,
          ip,
          subnetId: subnet.id,
          state: 'offered',
          expiresAtMs: req.context.nowMs + OFFER_HOLD_MS,
        };
        return {
          kind: 'continue',
          reply: { ...reply, subnet, yiaddr: ip, lease: { kind: 'put', networkId: net.networkId, lease } },
        };
      }
      return { kind: 'drop', reason: 'pool-exhausted' };
    }
    case MessageType.Request: {
      if (own && ownSubnet) return { kind: 'continue', reply: { ...reply, subnet: ownSubnet, yiaddr: own.ip } };
      // no record (e.g. the lease expired and was removed): grant the asked address if it is free
      const asked = requested ?? (p.ciaddr === ZERO_ADDRESS ? null : p.ciaddr);
      for (const subnet of subnets) {
        if (asked === null || !subnetHolds(subnet, asked)) continue;
        const ip = chooseAddress({
          subnet,
          leases: net.leases,
          unavailable: unavailableIn(net, subnet),
          mac: req.mac,
          preferred: asked,
          nowMs: req.context.nowMs,
        });
        if (ip === asked) return { kind: 'continue', reply: { ...reply, subnet, yiaddr: ip } };
      }
      return { kind: 'continue', reply: { ...reply, subnet: reply.subnet ?? first } };
    }
    case MessageType.Decline:
    case MessageType.Release:
      return own && ownSubnet
        ? { kind: 'continue', reply: { ...reply, subnet: ownSubnet, yiaddr: own.ip } }
        : { kind: 'continue', reply: { ...reply, subnet: reply.subnet ?? first } };
    default:
      return {
        kind: 'continue',
        reply: { ...reply, subnet: subnets.find((s) => subnetHolds(s, p.ciaddr)) ?? first },
      };
  }
};
