import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryDhcpState, type NetworkConfig } from '../../../src/dhcp/memory-state.ts';
import type { BootTraceEvent } from '../../../src/domain/boot-trace.ts';
import { parseMac } from '../../../src/domain/values.ts';

const net = (id: string, cidr: string): NetworkConfig => ({
  networkId: id,
  serverAddress: '192.0.2.1',
  subnets: [
    { id: `s-${id}`, cidr, gateway: null, dnsServers: [], hostRoutes: [], mtu: null, domain: null, dynamicPools: [] },
  ],
  reservations: new Map(),
  leaseSeconds: 60,
});
const mac = parseMac('02:00:00:00:00:01');

test('relay listeners find the network whose subnet holds giaddr; attached ones by id', async () => {
  const s = new MemoryDhcpState();
  s.putNetwork(net('a', '10.1.0.0/24'));
  s.putNetwork(net('b', '10.2.0.0/24'));
  assert.equal((await s.view({ kind: 'relay' }, '10.2.0.1'))?.networkId, 'b');
  assert.equal(await s.view({ kind: 'relay' }, '10.3.0.1'), undefined);
  assert.equal((await s.view({ kind: 'attached', networkId: 'a' }, '0.0.0.0'))?.networkId, 'a');
  s.removeNetwork('a');
  assert.equal(await s.view({ kind: 'attached', networkId: 'a' }, '0.0.0.0'), undefined);
});

test('a MAC holds one lease: a new address replaces its old one, a quarantined address stays', async () => {
  const s = new MemoryDhcpState();
  const put = (ip: string, state: 'offered' | 'bound' | 'declined') =>
    s.persistLease({ kind: 'put', networkId: 'a', lease: { mac, ip, subnetId: 's', state, expiresAtMs: 1 } });
  await put('10.1.0.5', 'declined');
  await put('10.1.0.6', 'offered');
  await put('10.1.0.7', 'bound');
  assert.deepEqual(
    s.leasesOf('a').map((l) => [l.ip, l.state]),
    [
      ['10.1.0.5', 'declined'],
      ['10.1.0.7', 'bound'],
    ],
  );
  await s.persistLease({ kind: 'remove', networkId: 'a', mac, ip: '10.1.0.7' });
  assert.deepEqual(
    s.leasesOf('a').map((l) => l.ip),
    ['10.1.0.5'],
  );
});

test('the boot trace is bounded per MAC and in MACs', async () => {
  const s = new MemoryDhcpState(2, 3);
  const event = (m: string, xid: number): BootTraceEvent => ({
    atMs: xid,
    networkId: 'a',
    mac: parseMac(m),
    xid,
    messageType: 'discover',
    arch: null,
    userClass: null,
    vendorClass: null,
    answer: 'offer',
    dropReason: null,
    address: null,
    bootfile: null,
    relay: null,
    relayAgentInfo: null,
    detail: null,
  });
  for (let i = 0; i < 5; i++) s.recordTrace(event('02:00:00:00:00:01', i));
  assert.deepEqual(
    s.traceOf(mac).map((e) => e.xid),
    [3, 4],
  );
  for (let i = 2; i <= 4; i++) s.recordTrace(event(`02:00:00:00:00:0${i}`, 10 + i));
  assert.equal(s.traceOf(mac).length, 0, 'the least recently seen MAC is forgotten');
  assert.equal(s.traceOf(parseMac('02:00:00:00:00:04')).length, 1);
});
