/** One request, network and reply as a single step sees them, built from raw client bytes (../packets.ts). */
import { MessageType, Opt } from '../../../../src/dhcp/codec/option-codes.ts';
import { decodePacket } from '../../../../src/dhcp/codec/packet.ts';
import { LeaseTable } from '../../../../src/dhcp/lease-table.ts';
import type { Lease, NetworkView, Reservation, SubnetView } from '../../../../src/dhcp/model.ts';
import { parseRequest } from '../../../../src/dhcp/parse-request.ts';
import {
  type DhcpReply,
  type DhcpRequest,
  EMPTY_REPLY,
  type ListenerContext,
  type StepResult,
} from '../../../../src/dhcp/step.ts';
import { parseMac } from '../../../../src/domain/values.ts';
import { type RawOption, rawPacket } from '../packets.ts';

export const NOW = 1_700_000_000_000;
export const CLIENT = [0x52, 0x54, 0, 0xcf, 0x6a, 0xcd];
export const CLIENT_MAC = parseMac('52:54:00:cf:6a:cd');
export const SERVER = '10.66.100.1';

export const subnet: SubnetView = {
  id: 'sub-prov',
  cidr: '10.66.100.0/24',
  gateway: '10.66.100.254',
  dnsServers: ['10.66.100.2'],
  hostRoutes: [],
  mtu: 1450,
  domain: null,
  dynamicPools: [],
};

export const reservation: Reservation = {
  mac: CLIENT_MAC,
  ip: '10.66.100.50',
  portId: 'port-1',
  hostname: null,
  extraDhcpOpts: [],
};

export function network({
  leases = [],
  ...o
}: Partial<Omit<NetworkView, 'leases'>> & { leases?: readonly Lease[] } = {}): NetworkView {
  return {
    networkId: 'net-prov',
    serverAddress: SERVER,
    subnets: [subnet],
    reservations: new Map([[CLIENT_MAC, reservation]]),
    leaseSeconds: 3600,
    ...o,
    leases: LeaseTable.of(leases),
  };
}

export const ip = (a: string): number[] => a.split('.').map(Number);

/** A client request of `type` as decoded and parsed by the server, or a thrown error when it would be dropped first. */
export function request(o: {
  readonly type: number;
  readonly options?: readonly RawOption[];
  readonly giaddr?: string;
  readonly ciaddr?: string;
  readonly via?: ListenerContext['via'];
}): DhcpRequest {
  const bytes = rawPacket({
    mac: CLIENT,
    ...(o.giaddr ? { giaddr: ip(o.giaddr) } : {}),
    ...(o.ciaddr ? { ciaddr: ip(o.ciaddr) } : {}),
    options: [{ code: Opt.MessageType, bytes: [o.type] }, ...(o.options ?? [])],
  });
  const decoded = decodePacket(bytes);
  if (!decoded.ok) throw new Error(`test packet does not decode: ${decoded.reason}`);
  const parsed = parseRequest(decoded.packet, { via: o.via ?? 'attached', pathMtu: 1500, nowMs: NOW });
  if (typeof parsed === 'string') throw new Error(`test packet dropped: ${parsed}`);
  return parsed;
}

export const serverIdOption = (a: string): RawOption => ({ code: Opt.ServerId, bytes: ip(a) });
export const requestedIpOption = (a: string): RawOption => ({ code: Opt.RequestedIp, bytes: ip(a) });

/** The reply once the reservation step found the client's port. */
export const reservedReply: DhcpReply = { ...EMPTY_REPLY, subnet, reservation, yiaddr: reservation.ip };

/** What the client would see of a step's result: the drop reason, or the reply's type and address so far. */
export function seen(r: StepResult): string {
  if (r.kind === 'drop') return `drop ${r.reason}`;
  const type = r.reply.type === null ? 'nothing' : (TYPE_NAMES.get(r.reply.type) ?? String(r.reply.type));
  return `${r.kind} ${type} ${r.reply.yiaddr}`;
}

const TYPE_NAMES = new Map<number, string>(Object.entries(MessageType).map(([name, code]) => [code, name]));
