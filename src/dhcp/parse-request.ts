/** The request's boundary check: a BOOTREQUEST from an Ethernet client carrying a client message type. */

import type { DropReason } from '../domain/boot-trace.ts';
import { macFromBytes } from '../domain/values.ts';
import { BootOp, HardwareType, MessageType, type MessageTypeCode } from './codec/option-codes.ts';
import {
  getClientArch,
  getClientUuid,
  getIpxeOptions,
  getMaxMessageSize,
  getMessageType,
  getUserClasses,
  getVendorClass,
  presentValue,
} from './codec/options.ts';
import type { DhcpPacket } from './codec/packet.ts';
import type { ClientFacts, DhcpRequest, ListenerContext } from './step.ts';

/** RFC 2131 §3: the message types a client sends. */
const CLIENT_TYPES: ReadonlySet<MessageTypeCode> = new Set([
  MessageType.Discover,
  MessageType.Request,
  MessageType.Decline,
  MessageType.Release,
  MessageType.Inform,
]);

export function clientFacts(p: DhcpPacket): ClientFacts {
  const userClasses = presentValue(getUserClasses(p)) ?? [];
  const vendorClass = presentValue(getVendorClass(p)) ?? null;
  return {
    arch: presentValue(getClientArch(p))?.[0] ?? null,
    userClasses,
    vendorClass,
    isIpxe: userClasses.includes('iPXE') || getIpxeOptions(p).kind !== 'absent',
    isHttpClient: vendorClass?.startsWith('HTTPClient') ?? false,
    uuid: presentValue(getClientUuid(p)) ?? null,
    maxMessageSize: presentValue(getMaxMessageSize(p)) ?? null,
  };
}

export function parseRequest(p: DhcpPacket, context: ListenerContext): DhcpRequest | DropReason {
  if (p.op !== BootOp.Request) return 'not-request';
  if (p.htype !== HardwareType.Ethernet || p.hlen !== 6) return 'not-ethernet';
  const type = getMessageType(p);
  if (type.kind === 'absent') return 'not-dhcp';
  if (type.kind === 'malformed') return 'malformed-option';
  if (!CLIENT_TYPES.has(type.value)) return 'not-request';
  return { packet: p, mac: macFromBytes(p.chaddr), type: type.value, client: clientFacts(p), context };
}
