/**
 * The boot trace of a MAC (docs/architecture.md §2): one event per DHCP exchange and per TFTP/HTTP step, stored by the
 * store, written by the DHCP and boot servers, read by `GET /v1/boot-trace`. TFTP and HTTP steps share
 * the rows: their message type is the protocol and the step (`TFTP RRQ`, `HTTP refused`…), DHCP's are
 * its message names (`discover`, `ack`…). Pure.
 */
import type { Mac } from './values.ts';

/** Why a request got no answer; servers count these (metric label `reason`). */
export type DropReason =
  | 'not-request' // op is BOOTREPLY, or the message type is one only servers send
  | 'not-ethernet' // htype/hlen other than Ethernet (chaddr is not a MAC)
  | 'not-dhcp' // no option 53: plain BOOTP, not served
  | 'malformed-option' // an option the exchange needs is present but malformed
  | 'unexpected-relay' // giaddr set on an attached (non-relay) listener: spoofed or misrouted
  | 'not-relayed' // giaddr unset on a relay listener
  | 'no-subnet' // no subnet of the network matches giaddr / the reserved address
  | 'other-server' // REQUEST/DECLINE/RELEASE addressed to another server (option 54)
  | 'unknown-client' // MAC without a reservation on a reservation-only network
  | 'pool-exhausted' // no free address in the dynamic pools
  | 'no-binding' // INIT-REBOOT for a client we have no record of: RFC 2131 §4.3.2 says stay silent
  | 'no-requested-address' // REQUEST with neither option 50 nor ciaddr
  | 'reply-too-large'; // the answer does not fit the client's maximum message size

export type TraceAnswer = 'offer' | 'ack' | 'nak' | 'none' | 'dropped';

/** One exchange for the boot trace; stored per MAC. */
export interface BootTraceEvent {
  readonly atMs: number;
  readonly networkId: string;
  readonly mac: Mac;
  readonly xid: number;
  readonly messageType: string;
  readonly arch: number | null;
  readonly userClass: string | null;
  readonly vendorClass: string | null;
  readonly answer: TraceAnswer;
  readonly dropReason: DropReason | null;
  /** yiaddr of the answer (or the address a DECLINE/RELEASE named). */
  readonly address: string | null;
  readonly bootfile: string | null;
  /** giaddr when relayed, and option 82 as hex (RFC 3046), recorded for the operator. */
  readonly relay: string | null;
  readonly relayAgentInfo: string | null;
  /** TFTP/HTTP events: bytes sent and how long it took, or why it was refused or failed; null for DHCP. */
  readonly detail: string | null;
}

/** One boot-trace event as stored: the store's id orders a MAC's events. */
export interface StoredTraceEvent extends BootTraceEvent {
  readonly id: number;
}

export type TraceSource = 'dhcp' | 'tftp' | 'http';

/** The message type of a TFTP or HTTP step. */
export function bootMessageType(protocol: 'tftp' | 'http', step: string): string {
  return `${protocol.toUpperCase()} ${step}`;
}

/** Which server a boot-trace row came from, by its message type. */
export function traceSource(messageType: string): TraceSource {
  if (messageType.startsWith('TFTP ')) return 'tftp';
  if (messageType.startsWith('HTTP ')) return 'http';
  return 'dhcp';
}
