/**
 * The contract of a DHCP step (docs/conventions.md): a decoded request, the reply built so far and the network's
 * view in; continue, respond or drop out. Pure; `pipeline.ts` runs the steps in order.
 */
import type { DropReason } from '../domain/boot-trace.ts';
import type { Mac } from '../domain/values.ts';
import { ZERO_ADDRESS } from './codec/ipv4.ts';
import type { MessageTypeCode } from './codec/option-codes.ts';
import type { DhcpPacket } from './codec/packet.ts';
import type { LeaseDecision, NetworkView, Reservation, SubnetView } from './model.ts';

/** What the client said about itself (options 60, 77, 93, 97, 175, 57). */
export interface ClientFacts {
  readonly arch: number | null;
  readonly userClasses: readonly string[];
  readonly vendorClass: string | null;
  /** User class `iPXE` (raw or RFC 3004) or option 175 present: dnsmasq's `tag:ipxe`. */
  readonly isIpxe: boolean;
  /** UEFI HTTP boot (vendor class `HTTPClient…`). */
  readonly isHttpClient: boolean;
  readonly uuid: string | null;
  /** Option 57, when sent. */
  readonly maxMessageSize: number | null;
}

/** Where the request came in. */
export interface ListenerContext {
  /** `attached`: a socket on the network's own segment; `relay`: a routed address that relays send to. */
  readonly via: 'attached' | 'relay';
  /** MTU of the path to the client (the attachment's interface MTU); caps the reply size. */
  readonly pathMtu: number;
  readonly nowMs: number;
}

export interface DhcpRequest {
  readonly packet: DhcpPacket;
  readonly mac: Mac;
  readonly type: MessageTypeCode;
  readonly client: ClientFacts;
  readonly context: ListenerContext;
}

/** The answer as steps build it; `type` null means nothing is sent (DECLINE, RELEASE). */
export interface DhcpReply {
  readonly type: MessageTypeCode | null;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly sname: string;
  readonly file: string;
  readonly options: ReadonlyMap<number, Buffer>;
  readonly subnet: SubnetView | null;
  readonly reservation: Reservation | null;
  readonly lease: LeaseDecision | null;
}

export type StepResult =
  | { readonly kind: 'continue'; readonly reply: DhcpReply }
  | { readonly kind: 'respond'; readonly reply: DhcpReply }
  | { readonly kind: 'drop'; readonly reason: DropReason };

export type DhcpStep = (req: DhcpRequest, reply: DhcpReply, net: NetworkView) => StepResult;

/** The reply before any step ran. */
export const EMPTY_REPLY: DhcpReply = {
  type: null,
  yiaddr: ZERO_ADDRESS,
  siaddr: ZERO_ADDRESS,
  sname: '',
  file: '',
  options: new Map(),
  subnet: null,
  reservation: null,
  lease: null,
};
