/**
 * RFC 2131 §4.1 reply addressing. Through a relay: to giaddr, port 67. A NAK: broadcast. A client with
 * an address (ciaddr: RENEWING, INFORM): unicast to it. Broadcast flag set: broadcast. Otherwise the RFC
 * asks for unicast to yiaddr at chaddr, which needs an ARP entry a userland socket cannot add: bmnet
 * broadcasts instead (allowed by §4.1: "If unicasting is not possible, the message MAY be sent as an
 * IP broadcast").
 */
import { LIMITED_BROADCAST, ZERO_ADDRESS } from './codec/ipv4.ts';
import { DhcpPort, MessageType, type MessageTypeCode } from './codec/option-codes.ts';
import type { DhcpRequest } from './step.ts';

export function replyDestination(req: DhcpRequest, type: MessageTypeCode): { address: string; port: number } {
  const p = req.packet;
  if (p.giaddr !== ZERO_ADDRESS) return { address: p.giaddr, port: DhcpPort.Server };
  if (type === MessageType.Nak) return { address: LIMITED_BROADCAST, port: DhcpPort.Client };
  if (p.ciaddr !== ZERO_ADDRESS) return { address: p.ciaddr, port: DhcpPort.Client };
  // broadcast flag set, or clear (unicast to yiaddr is not possible from userland): broadcast
  return { address: LIMITED_BROADCAST, port: DhcpPort.Client };
}
