/**
 * One DHCP exchange, pure: a decoded request and a NetworkView in; the reply bytes and where to send
 * them, the lease change to make durable first, and a boot-trace event out (docs/conventions.md).
 */
import type { BootTraceEvent, DropReason, TraceAnswer } from '../domain/boot-trace.ts';
import { ZERO_ADDRESS } from './codec/ipv4.ts';
import { BootOp, BROADCAST_FLAG, MessageType, type MessageTypeCode, Opt } from './codec/option-codes.ts';
import { addressesValue } from './codec/options.ts';
import { type DhcpPacket, encodePacket } from './codec/packet.ts';
import { echoOptions } from './echo-options.ts';
import type { LeaseDecision, NetworkView } from './model.ts';
import { parseRequest } from './parse-request.ts';
import { replyDestination } from './reply-destination.ts';
import {
  type ClientFacts,
  type DhcpReply,
  type DhcpRequest,
  type DhcpStep,
  EMPTY_REPLY,
  type ListenerContext,
} from './step.ts';
import { decideRequest } from './steps/decide-request.ts';
import { quarantineDeclined } from './steps/decline.ts';
import { answerDiscover } from './steps/discover.ts';
import { allocateFromPool } from './steps/dynamic-pool.ts';
import { addExtraDhcpOpts } from './steps/extra-options.ts';
import { answerInform } from './steps/inform.ts';
import { answerPxe } from './steps/pxe.ts';
import { checkRelay } from './steps/relay.ts';
import { forgetReleased } from './steps/release.ts';
import { findReservation } from './steps/reservation.ts';
import { checkServerId } from './steps/server-id.ts';
import { addSubnetOptions } from './steps/subnet-options.ts';

export type DhcpOutcome =
  | {
      readonly kind: 'reply';
      readonly bytes: Buffer;
      readonly packet: DhcpPacket;
      readonly destination: { readonly address: string; readonly port: number };
      readonly lease: LeaseDecision | null;
      readonly trace: BootTraceEvent;
    }
  | { readonly kind: 'silent'; readonly lease: LeaseDecision | null; readonly trace: BootTraceEvent }
  | { readonly kind: 'drop'; readonly reason: DropReason; readonly trace: BootTraceEvent | null };

/** The steps every network runs, in order. */
export const DEFAULT_STEPS: readonly DhcpStep[] = [
  checkRelay,
  checkServerId,
  findReservation,
  allocateFromPool,
  answerDiscover,
  decideRequest,
  quarantineDeclined,
  forgetReleased,
  answerInform,
  addSubnetOptions,
  addExtraDhcpOpts,
  answerPxe,
];

const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(MessageType).map(([name, code]) => [code, name.toLowerCase()]),
);

/** RFC 2131 §2: replies fit the client's 57 (else 576), capped at 65280 and the path MTU, less IP+UDP headers. */
const IP_UDP_HEADER_BYTES = 28;
const MAX_REPLY_DATAGRAM = 65280;
export function replyLimitBytes(client: ClientFacts, pathMtu: number): number {
  const asked = Math.min(client.maxMessageSize ?? 576, MAX_REPLY_DATAGRAM);
  return Math.max(576, Math.min(asked, pathMtu)) - IP_UDP_HEADER_BYTES;
}

function traceOf(
  req: DhcpRequest,
  net: NetworkView,
  answer: TraceAnswer,
  reply: DhcpReply | null,
  dropReason: DropReason | null,
): BootTraceEvent {
  const p = req.packet;
  const bootfile = reply?.options.get(Opt.BootfileName)?.toString('utf8') ?? null;
  return {
    atMs: req.context.nowMs,
    networkId: net.networkId,
    mac: req.mac,
    xid: p.xid,
    messageType: TYPE_NAMES[req.type] ?? String(req.type),
    arch: req.client.arch,
    userClass: req.client.userClasses.join(',') || null,
    vendorClass: req.client.vendorClass,
    answer,
    dropReason,
    address: reply && reply.yiaddr !== ZERO_ADDRESS ? reply.yiaddr : null,
    bootfile,
    relay: p.giaddr === ZERO_ADDRESS ? null : p.giaddr,
    relayAgentInfo: p.options.get(Opt.RelayAgentInfo)?.toString('hex') ?? null,
    detail: null,
  };
}

/** Option 53's value per message type, and option 54's per server address: the same bytes every reply. */
const MESSAGE_TYPE_VALUES = new Map<number, Buffer>();
const SERVER_ID_VALUES = new Map<string, Buffer>();

function cachedValue<K>(cache: Map<K, Buffer>, key: K, make: () => Buffer): Buffer {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    if (cache.size >= 4096) cache.clear(); // server addresses: one per served network
    cache.set(key, value);
  }
  return value;
}

/** RFC 2131 §4.3.1 table 3: the header and option layout of the reply. */
function replyPacket(req: DhcpRequest, reply: DhcpReply, type: MessageTypeCode, net: NetworkView): DhcpPacket {
  const p = req.packet;
  const isNak = type === MessageType.Nak;
  const options = new Map<number, Buffer>();
  options.set(
    Opt.MessageType,
    cachedValue(MESSAGE_TYPE_VALUES, type, () => Buffer.from([type])),
  );
  options.set(
    Opt.ServerId,
    cachedValue(SERVER_ID_VALUES, net.serverAddress, () => addressesValue([net.serverAddress])),
  );
  for (const [code, value] of reply.options) if (!options.has(code)) options.set(code, value);
  echoOptions(req, options); // 61 then 82, last (RFC 3046 §2.2)
  return {
    op: BootOp.Reply,
    htype: p.htype,
    hlen: p.hlen,
    hops: 0,
    xid: p.xid,
    secs: 0,
    // RFC 2131 §4.3.2: a NAK to a relay has the broadcast bit set, so the relay broadcasts it
    flags: isNak && p.giaddr !== ZERO_ADDRESS ? p.flags | BROADCAST_FLAG : p.flags,
    ciaddr: isNak || req.type === MessageType.Discover ? ZERO_ADDRESS : p.ciaddr,
    yiaddr: isNak ? ZERO_ADDRESS : reply.yiaddr,
    siaddr: isNak ? ZERO_ADDRESS : reply.siaddr,
    giaddr: p.giaddr,
    chaddr: p.chaddr,
    sname: isNak ? '' : reply.sname,
    file: isNak ? '' : reply.file,
    options,
  };
}

/** Runs `steps` for one decoded packet on `net`. */
export function runPipeline(
  steps: readonly DhcpStep[],
  packet: DhcpPacket,
  net: NetworkView,
  context: ListenerContext,
): DhcpOutcome {
  const parsed = parseRequest(packet, context);
  if (typeof parsed === 'string') return { kind: 'drop', reason: parsed, trace: null };
  const req = parsed;
  let reply = EMPTY_REPLY;
  for (const step of steps) {
    const r = step(req, reply, net);
    if (r.kind === 'drop')
      return { kind: 'drop', reason: r.reason, trace: traceOf(req, net, 'dropped', reply, r.reason) };
    reply = r.reply;
    if (r.kind === 'respond') break;
  }
  if (reply.type === null) return { kind: 'silent', lease: reply.lease, trace: traceOf(req, net, 'none', reply, null) };
  const out = replyPacket(req, reply, reply.type, net);
  const encoded = encodePacket(out, replyLimitBytes(req.client, context.pathMtu));
  if (!encoded.ok) {
    return { kind: 'drop', reason: 'reply-too-large', trace: traceOf(req, net, 'dropped', reply, 'reply-too-large') };
  }
  const answer: TraceAnswer =
    reply.type === MessageType.Offer ? 'offer' : reply.type === MessageType.Nak ? 'nak' : 'ack';
  return {
    kind: 'reply',
    bytes: encoded.bytes,
    packet: out,
    destination: replyDestination(req, reply.type),
    lease: reply.lease,
    trace: traceOf(req, net, answer, reply, null),
  };
}
