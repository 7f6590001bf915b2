import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { MemoryDhcpState } from '../../../src/dhcp/memory-state.ts';
import type { LeaseDecision } from '../../../src/dhcp/model.ts';
import { createDhcpMetrics, type DhcpSocket, type DhcpState, startDhcpServer } from '../../../src/dhcp/server.ts';
import type { BootTraceEvent } from '../../../src/domain/boot-trace.ts';
import { parseMac } from '../../../src/domain/values.ts';
import { silentLogger } from '../../../src/logging.ts';
import { rawPacket } from './packets.ts';

/** A datagram socket that records what is sent (the server's only I/O boundary). */
class RecordingSocket extends EventEmitter implements DhcpSocket {
  readonly sent: { bytes: Buffer; port: number; address: string }[] = [];
  private readonly log: string[];

  constructor(log: string[]) {
    super();
    this.log = log;
  }
  send(bytes: Buffer, port: number, address: string, callback: (err: Error | null) => void): void {
    this.log.push('send');
    this.sent.push({ bytes, port, address });
    callback(null);
  }
  close(callback?: () => void): this {
    callback?.();
    return this;
  }
  receive(bytes: Buffer): void {
    this.emit('message', bytes, { address: '10.0.0.9', port: 68 });
  }
}

/**
 * The in-memory state with a store's timing: a lease is durable on a later turn of the event loop, and
 * a view can be made to fail or to arrive late (a view that must be loaded).
 */
class OrderedState implements DhcpState {
  readonly memory = new MemoryDhcpState();
  /** How many of the next views are answered late, as a promise (a view the store must load). */
  lateViews = 0;
  private readonly log: string[];
  private failViews: number;

  constructor(log: string[], failViews: number) {
    this.log = log;
    this.failViews = failViews;
  }
  view(...args: Parameters<DhcpState['view']>): ReturnType<DhcpState['view']> {
    if (this.failViews > 0) {
      this.failViews -= 1;
      return Promise.reject(new Error('database is locked'));
    }
    if (this.lateViews === 0) return this.memory.view(...args);
    this.lateViews -= 1;
    return new Promise((resolve) => setTimeout(() => resolve(this.memory.view(...args)), 5));
  }
  persistLease(decision: LeaseDecision): Promise<void> {
    this.log.push('persist');
    this.memory.persistLease(decision);
    return new Promise((resolve) => setImmediate(resolve));
  }
  recordTrace(event: BootTraceEvent): void {
    this.memory.recordTrace(event);
  }
}

const MAC = [2, 0, 0, 0, 0, 7];

function setup(options: { maxPending?: number; failViews?: number } = {}) {
  const log: string[] = [];
  const registry = new Registry();
  const state = new OrderedState(log, options.failViews ?? 0);
  state.memory.putNetwork({
    networkId: 'n1',
    serverAddress: '10.0.0.1',
    subnets: [
      {
        id: 's1',
        cidr: '10.0.0.0/24',
        gateway: null,
        dnsServers: [],
        hostRoutes: [],
        mtu: null,
        domain: null,
        dynamicPools: [{ start: '10.0.0.100', end: '10.0.0.110' }],
      },
    ],
    reservations: new Map(),
    leaseSeconds: 60,
  });
  const socket = new RecordingSocket(log);
  const server = startDhcpServer({
    socket,
    listener: { kind: 'attached', networkId: 'n1' },
    pathMtu: 1500,
    state,
    metrics: createDhcpMetrics(registry),
    log: silentLogger(),
    now: () => 1000,
    maxPending: options.maxPending,
  });
  return { log, registry, state, socket, server };
}

async function count(registry: Registry, name: string, label: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.values(v.labels).includes(label))?.value ?? 0;
}

test('the lease is made durable before the reply is sent', async () => {
  const { log, socket, server, state } = setup();
  socket.receive(rawPacket({ mac: MAC, options: [{ code: 53, bytes: [1] }] }));
  await server.idle();
  assert.deepEqual(log, ['persist', 'send']);
  assert.equal(socket.sent[0]?.address, '255.255.255.255');
  assert.equal(state.memory.leasesOf('n1')[0]?.ip, '10.0.0.100');
  assert.equal(state.memory.traceOf(parseMac('02:00:00:00:00:07'))[0]?.answer, 'offer');
});

test('garbage is counted by decode failure, refused requests by reason; the server keeps answering', async () => {
  const { registry, socket, server } = setup();
  socket.receive(Buffer.from('not dhcp'));
  socket.receive(rawPacket({ mac: MAC, options: [] })); // BOOTP
  socket.receive(rawPacket({ mac: MAC, options: [{ code: 53, bytes: [1] }] }));
  await server.idle();
  assert.equal(await count(registry, 'bmnet_dhcp_malformed_total', 'truncated'), 1);
  assert.equal(await count(registry, 'bmnet_dhcp_dropped_total', 'not-dhcp'), 1);
  assert.equal(await count(registry, 'bmnet_dhcp_replies_total', 'offer'), 1);
  assert.equal(socket.sent.length, 1);
});

test('a failing state is counted, and the next packet is served', async () => {
  const { registry, socket, server } = setup({ failViews: 1 });
  socket.receive(rawPacket({ mac: MAC, options: [{ code: 53, bytes: [1] }] }));
  socket.receive(rawPacket({ mac: MAC, options: [{ code: 53, bytes: [1] }] }));
  await server.idle();
  assert.equal(await count(registry, 'bmnet_dhcp_dropped_total', 'state-error'), 1);
  assert.equal(socket.sent.length, 1);
});

test('packets beyond the pending limit are dropped as overloaded', async () => {
  const { registry, socket, server } = setup({ maxPending: 2 });
  for (let i = 0; i < 5; i++) socket.receive(rawPacket({ mac: MAC, options: [{ code: 53, bytes: [1] }] }));
  await server.idle();
  assert.equal(await count(registry, 'bmnet_dhcp_dropped_total', 'overloaded'), 3);
  assert.equal(socket.sent.length, 2);
});

test('packets are decided in the order received, also behind a view that must be loaded', async () => {
  const { socket, server, state } = setup();
  state.lateViews = 1;
  const discover = (last: number) => rawPacket({ mac: [2, 0, 0, 0, 0, last], options: [{ code: 53, bytes: [1] }] });
  socket.receive(discover(1)); // its view comes later, as a promise
  socket.receive(discover(2)); // at hand, but waits behind the first
  await server.idle();
  socket.receive(discover(3)); // the queue has drained: decided at once
  await server.idle();
  const leases = state.memory.leasesOf('n1').map((l) => `${l.mac} ${l.ip}`);
  assert.deepEqual(leases.sort(), [
    '02:00:00:00:00:01 10.0.0.100',
    '02:00:00:00:00:02 10.0.0.101',
    '02:00:00:00:00:03 10.0.0.102',
  ]);
  assert.equal(socket.sent.length, 3);
});
