/**
 * The DHCP socket loop: receive → decode → pipeline → make the lease durable → send. One server per
 * socket (an attachment's namespace socket, or the relay listen socket); bad input is counted, never thrown.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logging.js';
import { MessageType, Opt } from './codec/option-codes.js';
import { type DecodeFailure, decodePacket } from './codec/packet.js';
import type { LeaseDecision, NetworkView } from './model.js';
import { type BootTraceEvent, DEFAULT_STEPS, type DhcpStep, type DropReason, runPipeline } from './pipeline.js';

/** Which network a socket serves: one attached network, or (relay) the network whose subnet holds giaddr. */
export type ListenerKey = { readonly kind: 'attached'; readonly networkId: string } | { readonly kind: 'relay' };

/** What the server needs from storage; the store implements it, `memory-state.ts` for config-only mode. */
export interface DhcpState {
  /** The current view of the network a request on `listener` belongs to; undefined when none. */
  view(listener: ListenerKey, giaddr: string): Promise<NetworkView | undefined>;
  /**
   * Applies a lease change before it returns (the next `view` sees it) and resolves when the change is
   * durable; the reply is sent only then. Changes of packets handled meanwhile may be written together.
   */
  persistLease(decision: LeaseDecision): Promise<void>;
  recordTrace(event: BootTraceEvent): Promise<void>;
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

export function startDhcpServer(o: DhcpServerOptions): DhcpServer {
  const now = o.now ?? Date.now;
  const steps = o.steps ?? DEFAULT_STEPS;
  const via = o.listener.kind === 'relay' ? 'relay' : 'attached';
  // Packets are decided one at a time per socket, each seeing the lease changes of the ones before; a
  // reply then waits for its lease to be durable off this queue, so many leases share one commit.
  let queue: Promise<void> = Promise.resolve();
  const replying = new Set<Promise<void>>();
  let pending = 0;
  const maxPending = o.maxPending ?? 1024;

  const drop = (reason: ServerDropReason, fields: object) => {
    o.metrics.dropped.inc({ reason });
    o.log.debug({ ...fields, reason }, 'dhcp request dropped');
  };
  const malformed = (reason: DecodeFailure, from: string) => {
    o.metrics.malformed.inc({ reason });
    o.log.debug({ reason, from }, 'dhcp packet malformed');
  };
  const failed = (from: string, err: unknown) => {
    drop('state-error', { from, err: err instanceof Error ? err.message : String(err) });
    o.log.warn({ from, err }, 'dhcp request failed');
  };

  /** Decides one packet; returns what is left to do once its lease is durable, or null. */
  async function decide(msg: Buffer, from: string): Promise<(() => Promise<void>) | null> {
    o.metrics.received.inc();
    const decoded = decodePacket(msg);
    if (!decoded.ok) {
      malformed(decoded.reason, from);
      return null;
    }
    const packet = decoded.packet;
    const view = await o.state.view(o.listener, packet.giaddr);
    if (!view) {
      drop('unknown-network', { from, xid: packet.xid, giaddr: packet.giaddr });
      return null;
    }
    const outcome = runPipeline(steps, packet, view, { via, pathMtu: o.pathMtu, nowMs: now() });
    if (outcome.kind === 'drop') {
      drop(outcome.reason, { from, xid: packet.xid, mac: outcome.trace?.mac, networkId: view.networkId });
      const trace = outcome.trace;
      return trace ? () => recordTrace(trace) : null;
    }
    const durable = outcome.lease ? o.state.persistLease(outcome.lease) : null; // applied now, durable later
    if (outcome.kind === 'silent')
      return async () => {
        await durable;
        await recordTrace(outcome.trace);
      };
    const { address, port } = outcome.destination;
    return async () => {
      await durable; // durable before the client hears of it
      await new Promise<void>((resolve) =>
        o.socket.send(outcome.bytes, port, address, (err) => {
          if (err) {
            drop('send-error', { to: address, xid: packet.xid, err: err.message });
          } else {
            o.metrics.replies.inc({
              type: REPLY_NAMES[outcome.packet.options.get(Opt.MessageType)?.[0] ?? 0] ?? 'unknown',
            });
          }
          resolve();
        }),
      );
      await recordTrace(outcome.trace); // after the reply: a slow trace store does not slow the boot
    };
  }

  async function recordTrace(event: BootTraceEvent): Promise<void> {
    try {
      await o.state.recordTrace(event);
    } catch (err) {
      o.log.warn({ mac: event.mac, xid: event.xid, err }, 'dhcp boot trace not recorded');
    }
  }

  try {
    o.socket.setRecvBufferSize?.(RECEIVE_BUFFER_BYTES);
  } catch (err) {
    o.log.warn({ err }, 'dhcp socket receive buffer not enlarged');
  }
  o.socket.on('message', (msg, rinfo) => {
    const from = `${rinfo.address}:${rinfo.port}`;
    if (pending >= maxPending) return drop('overloaded', { from });
    pending += 1;
    const done = () => {
      pending -= 1;
    };
    queue = queue
      .then(() => decide(msg, from))
      .then(
        (rest) => {
          if (rest === null) return done();
          const p: Promise<void> = rest()
            .catch((err: unknown) => failed(from, err))
            .finally(() => {
              replying.delete(p);
              done();
            });
          replying.add(p);
        },
        (err: unknown) => {
          failed(from, err);
          done();
        },
      );
  });
  o.socket.on('error', (err) => o.log.warn({ err }, 'dhcp socket error'));

  return {
    idle: async () => {
      await queue;
      await Promise.all(replying);
    },
    close: async () => {
      await queue;
      await Promise.all(replying);
      await new Promise<void>((resolve) => o.socket.close(() => resolve()));
    },
  };
}
