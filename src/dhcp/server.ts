/**
 * The DHCP socket loop: receive → decode → pipeline → make the lease durable → send. One server per
 * socket (an attachment's namespace socket, or the relay listen socket); bad input is counted, never thrown.
 */

import { Counter, type Registry } from 'prom-client';
import type { BootTraceEvent, DropReason } from '../domain/boot-trace.ts';
import type { Logger } from '../logging.ts';
import { MessageType, Opt } from './codec/option-codes.ts';
import { type DhcpPacket, decodePacket } from './codec/packet.ts';
import type { LeaseDecision, NetworkView } from './model.ts';
import { DEFAULT_STEPS, type DhcpOutcome, runPipeline } from './pipeline.ts';
import type { DhcpStep } from './step.ts';

/** Which network a socket serves: one attached network, or (relay) the network whose subnet holds giaddr. */
export type ListenerKey = { readonly kind: 'attached'; readonly networkId: string } | { readonly kind: 'relay' };

/** What the server needs from storage; the store implements it, `memory-state.ts` for config-only mode. */
export interface DhcpState {
  /**
   * The current view of the network a request on `listener` belongs to; undefined when none. Returned
   * as is when at hand (the common case: the packet is then decided in its receive callback), as a
   * promise when it must be loaded.
   */
  view(listener: ListenerKey, giaddr: string): NetworkView | undefined | Promise<NetworkView | undefined>;
  /**
   * Applies a lease change before it returns (the next `view` sees it). Returns a promise that resolves
   * when the change is durable — the reply is sent only then; changes of packets handled meanwhile may be
   * written together — or undefined when nothing needs to be written before the reply.
   */
  persistLease(decision: LeaseDecision): Promise<void> | undefined;
  /** Queues a boot-trace event; storing it never delays a reply, and a failure to store loses only it. */
  recordTrace(event: BootTraceEvent): void;
}

/** The part of `dgram.Socket` the server uses. */
export interface DhcpSocket {
  on(event: 'message', listener: (msg: Buffer, rinfo: { address: string; port: number }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  send(msg: Buffer, port: number, address: string, callback: (err: Error | null) => void): void;
  close(callback?: () => void): unknown;
  setRecvBufferSize?(bytes: number): void;
}

/** A rack powering on at once sends a burst; the kernel caps this at twice net.core.rmem_max. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Reasons the server itself drops a packet, beyond the pipeline's. */
export type ServerDropReason = DropReason | 'unknown-network' | 'state-error' | 'send-error' | 'overloaded';

export interface DhcpMetrics {
  readonly received: Counter<never>;
  readonly malformed: Counter<'reason'>;
  readonly dropped: Counter<'reason'>;
  readonly replies: Counter<'type'>;
}

/** Registers bmnet's DHCP counters once per registry; every server of the process shares them. */
export function createDhcpMetrics(registry: Registry): DhcpMetrics {
  const registers = [registry];
  return {
    received: new Counter({ name: 'bmnet_dhcp_received_total', help: 'DHCP packets received', registers }),
    malformed: new Counter({
      name: 'bmnet_dhcp_malformed_total',
      help: 'Packets that are not valid DHCP messages, by decode failure',
      labelNames: ['reason'],
      registers,
    }),
    dropped: new Counter({
      name: 'bmnet_dhcp_dropped_total',
      help: 'Valid DHCP messages not answered, by reason',
      labelNames: ['reason'],
      registers,
    }),
    replies: new Counter({
      name: 'bmnet_dhcp_replies_total',
      help: 'DHCP replies sent, by message type',
      labelNames: ['type'],
      registers,
    }),
  };
}

export interface DhcpServerOptions {
  readonly socket: DhcpSocket;
  readonly listener: ListenerKey;
  /** MTU of the attachment's interface (caps reply size, with the client's option 57). */
  readonly pathMtu: number;
  readonly state: DhcpState;
  readonly metrics: DhcpMetrics;
  readonly log: Logger;
  readonly now?: () => number;
  readonly steps?: readonly DhcpStep[];
  /** Packets waiting to be handled before new ones are dropped as `overloaded` (default 1024). */
  readonly maxPending?: number;
}

export interface DhcpServer {
  /** Resolves when every packet received so far has been handled (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const REPLY_NAMES: Readonly<Record<number, string>> = {
  [MessageType.Offer]: 'offer',
  [MessageType.Ack]: 'ack',
  [MessageType.Nak]: 'nak',
};

/** Where a datagram came from. */
interface Remote {
  readonly address: string;
  readonly port: number;
}

const fromText = (r: Remote): string => `${r.address}:${r.port}`;

type Answer = Exclude<DhcpOutcome, { readonly kind: 'drop' }>;

export function startDhcpServer(o: DhcpServerOptions): DhcpServer {
  const now = o.now ?? Date.now;
  const steps = o.steps ?? DEFAULT_STEPS;
  const via = o.listener.kind === 'relay' ? 'relay' : 'attached';
  const maxPending = o.maxPending ?? 1024;
  // Packets are decided one at a time per socket, in the order received, each seeing the lease changes of
  // the ones before. A packet whose network view is at hand is decided in the receive callback itself; one
  // whose view must be loaded waits on `behind`, and so does every packet after it until that queue has
  // drained. A reply then waits for its lease to be durable outside this order, so leases share commits.
  let behind: Promise<void> = Promise.resolve();
  let queued = 0;
  /** Packets received and not yet answered or dropped: the overload bound, and what `idle` waits for. */
  let pending = 0;
  let idleWaiters: (() => void)[] = [];
  let closing = false;

  const finish = (): void => {
    pending -= 1;
    if (pending === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
  const drop = (reason: ServerDropReason, fields: object): void => {
    o.metrics.dropped.inc({ reason });
    o.log.debug({ ...fields, reason }, 'dhcp request dropped');
  };
  const failed = (from: Remote, err: unknown): void => {
    drop('state-error', { from: fromText(from), err: err instanceof Error ? err.message : String(err) });
    o.log.warn({ from: fromText(from), err }, 'dhcp request failed');
  };
  const recordTrace = (event: BootTraceEvent): void => {
    try {
      o.state.recordTrace(event);
    } catch (err) {
      o.log.warn({ mac: event.mac, xid: event.xid, err }, 'dhcp boot trace not recorded');
    }
  };

  /** Decides one packet on its network's view; answers at once, or once its lease is durable. */
  function decide(packet: DhcpPacket, view: NetworkView | undefined, from: Remote): void {
    if (!view) {
      drop('unknown-network', { from: fromText(from), xid: packet.xid, giaddr: packet.giaddr });
      finish();
      return;
    }
    const outcome = runPipeline(steps, packet, view, { via, pathMtu: o.pathMtu, nowMs: now() });
    if (outcome.kind === 'drop') {
      const { trace } = outcome;
      drop(outcome.reason, { from: fromText(from), xid: packet.xid, mac: trace?.mac, networkId: view.networkId });
      if (trace) recordTrace(trace);
      finish();
      return;
    }
    const durable = outcome.lease ? o.state.persistLease(outcome.lease) : undefined; // applied now, durable later
    if (durable === undefined) {
      answer(outcome, packet.xid);
      return;
    }
    durable
      .then(
        () => answer(outcome, packet.xid), // durable before the client hears of it
        (err: unknown) => {
          failed(from, err);
          finish();
        },
      )
      // answer() does not throw; this keeps anything unforeseen from becoming an unhandled rejection
      .catch((err: unknown) => o.log.error({ from: fromText(from), err }, 'dhcp reply failed'));
  }

  function answer(outcome: Answer, xid: number): void {
    if (outcome.kind === 'silent') {
      recordTrace(outcome.trace);
      finish();
      return;
    }
    const { address, port } = outcome.destination;
    const type = REPLY_NAMES[outcome.packet.options.get(Opt.MessageType)?.[0] ?? 0] ?? 'unknown';
    try {
      o.socket.send(outcome.bytes, port, address, (err) => {
        if (err) drop('send-error', { to: address, xid, err: err.message });
        else o.metrics.replies.inc({ type });
        finish();
      });
    } catch (err) {
      // a closed socket throws at once
      drop('send-error', { to: address, xid, err: err instanceof Error ? err.message : String(err) });
      finish();
      return;
    }
    recordTrace(outcome.trace); // after the reply is on its way: a slow trace store does not slow the boot
  }

  /** Decides `packet` now when nothing waits before it and its view is at hand, else queues it. */
  function admit(packet: DhcpPacket, from: Remote): void {
    let view: ReturnType<DhcpState['view']>;
    if (queued > 0) view = behind.then(() => o.state.view(o.listener, packet.giaddr));
    else {
      try {
        view = o.state.view(o.listener, packet.giaddr);
      } catch (err) {
        failed(from, err);
        finish();
        return;
      }
      if (!(view instanceof Promise)) {
        decide(packet, view, from);
        return;
      }
    }
    queued += 1;
    behind = view
      .then((v) => decide(packet, v, from))
      .catch((err: unknown) => {
        failed(from, err); // its view or decision failed: counted, and the queue moves on
        finish();
      })
      .finally(() => {
        queued -= 1;
      });
  }

  try {
    o.socket.setRecvBufferSize?.(RECEIVE_BUFFER_BYTES);
  } catch (err) {
    o.log.warn({ err }, 'dhcp socket receive buffer not enlarged');
  }
  o.socket.on('message', (msg, rinfo) => {
    if (closing) return;
    if (pending >= maxPending) {
      drop('overloaded', { from: fromText(rinfo) });
      return;
    }
    pending += 1;
    o.metrics.received.inc();
    const decoded = decodePacket(msg);
    if (!decoded.ok) {
      o.metrics.malformed.inc({ reason: decoded.reason });
      o.log.debug({ reason: decoded.reason, from: fromText(rinfo) }, 'dhcp packet malformed');
      finish();
      return;
    }
    try {
      admit(decoded.packet, rinfo);
    } catch (err) {
      failed(rinfo, err); // a decision that threw: the packet is dropped, the server goes on
      finish();
    }
  });
  o.socket.on('error', (err) => o.log.warn({ err }, 'dhcp socket error'));

  const idle = (): Promise<void> =>
    pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
  return {
    idle,
    close: async () => {
      closing = true;
      await idle();
      await new Promise<void>((resolve) => o.socket.close(() => resolve()));
    },
  };
}
