/**
 * Addresses for MACs without a reservation, from a subnet's dynamic pools (inspection/discovery).
 * Pure: the current leases come in with the NetworkView, the choice goes out as a LeaseDecision that
 * the server makes durable before it answers (no address is handed out twice across restarts).
 */
import type { Mac } from '../../domain/values.js';
import { ipv4FromNumber, ipv4ToNumber, isIpv4, ZERO_ADDRESS } from '../codec/ipv4.js';
import { MessageType } from '../codec/option-codes.js';
import { getRequestedIp, presentValue } from '../codec/options.js';
import { type AddressRange, type Lease, type NetworkView, type SubnetView, subnetHolds } from '../model.js';
import type { DhcpStep } from '../pipeline.js';

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
export function chooseAddress(args: {
  readonly subnet: SubnetView;
  readonly leases: readonly Lease[];
  /** Reserved addresses, the gateway and the server's own address. */
  readonly unavailable: ReadonlySet<string>;
  readonly mac: Mac;
  readonly preferred: string | null;
  readonly nowMs: number;
}): string | null {
  const { subnet, leases, unavailable, mac, nowMs } = args;
  const held = new Set<string>(unavailable);
  const known = new Set<string>();
  for (const l of leases) {
    known.add(l.ip);
    if (l.expiresAtMs > nowMs && (l.mac !== mac || l.state === 'declined')) held.add(l.ip);
  }
  const free = (ip: string) => !held.has(ip) && inPools(subnet.dynamicPools, ip);
  const own = leases.find((l) => l.mac === mac && l.state !== 'declined' && l.subnetId === subnet.id);
  if (own && free(own.ip)) return own.ip;
  if (args.preferred && free(args.preferred)) return args.preferred;
  for (const pass of ['never-leased', 'expired'] as const) {
    for (const range of subnet.dynamicPools) {
      for (let n = ipv4ToNumber(range.start); n <= ipv4ToNumber(range.end); n++) {
        const ip = ipv4FromNumber(n);
        if (held.has(ip) || (pass === 'never-leased' && known.has(ip))) continue;
        return ip;
      }
    }
  }
  return null;
}

function poolSubnets(net: NetworkView, relayed: SubnetView | null): readonly SubnetView[] {
  const withPools = (relayed ? [relayed] : net.subnets).filter((s) => s.dynamicPools.length > 0);
  // attached: the subnet of our own address first
  return [...withPools].sort(
    (a, b) => Number(subnetHolds(b, net.serverAddress)) - Number(subnetHolds(a, net.serverAddress)),
  );
}

function unavailableIn(net: NetworkView, subnet: SubnetView): Set<string> {
  const out = new Set<string>([net.serverAddress]);
  if (subnet.gateway) out.add(subnet.gateway);
  for (const r of net.reservations.values()) out.add(r.ip);
  return out;
}

export const allocateFromPool: DhcpStep = (req, reply, net) => {
  if (reply.reservation) return { kind: 'continue', reply };
  const subnets = poolSubnets(net, reply.subnet);
  const first = subnets[0];
  if (!first) return { kind: 'drop', reason: 'unknown-client' };
  const p = req.packet;
  const requested = presentValue(getRequestedIp(p)) ?? null;
  const own = net.leases.find((l) => l.mac === req.mac && l.state !== 'declined');
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
