/**
 * The store-backed DhcpState on a real SQLite file: views from API-made rows, change-feed invalidation,
 * durable leases and DECLINE quarantine across a reopen, bounded boot trace. No root needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { parseConfig } from '../../src/config/load.ts';
import { StoreDhcpState } from '../../src/dhcp/store-state.ts';
import type { BootTraceEvent } from '../../src/domain/boot-trace.ts';
import { parseMac } from '../../src/domain/values.ts';
import { silentLogger } from '../../src/logging.ts';
import { type Running, serve } from '../../src/main.ts';
import { readBootTrace } from '../../src/store/boot-trace.ts';
import { openDhcpStorage } from '../../src/store/dhcp-storage.ts';
import { type Body, callOk } from '../helpers/bmnet.ts';

const dir = mkdtempSync(join(tmpdir(), 'bmnet-dhcp-state-'));
const yaml = `listen: 127.0.0.1:0\ndatabase: sqlite:${join(dir, 'bmnet.db')}\nlog: {level: silent}\n`;
const log = silentLogger();
const MAC = parseMac('02:cc:00:00:00:01');
const OTHER = parseMac('02:cc:00:00:00:02');
let running: Running;
let state: StoreDhcpState;
let net: Body;
let sub: Body;

const call = (method: string, path: string, body?: unknown): Promise<Body> =>
  callOk(String(running.url), method, path, body);

const options = (relayAddress: string | null = null) => ({
  leaseSeconds: 600,
  dynamicPools: new Map([['inspection', [{ start: '10.90.0.100', end: '10.90.0.109' }]]]),
  relayAddress,
  log,
  tracePerMac: 3,
  traceTotal: 5,
});

/** The state over the store's DHCP tables, as the dhcp role opens it. */
const openState = async (o: ReturnType<typeof options>): Promise<StoreDhcpState> =>
  StoreDhcpState.open(running.store, await openDhcpStorage(running.store, o), o);

const view = () => state.view({ kind: 'attached', networkId: net.id }, '0.0.0.0');

/** A DHCP boot-trace event of `mac` on the test network (an iPXE DISCOVER answered with an offer), with `fields` changed. */
const traceEvent = (mac: typeof MAC, xid: number, fields: Partial<BootTraceEvent> = {}): BootTraceEvent => ({
  atMs: 1_000 + xid,
  networkId: net.id,
  mac,
  xid,
  messageType: 'discover',
  arch: 7,
  userClass: 'iPXE',
  vendorClass: null,
  answer: 'offer',
  dropReason: null,
  address: '10.90.0.20',
  bootfile: 'a.efi',
  relay: null,
  relayAgentInfo: null,
  detail: null,
  ...fields,
});

before(async () => {
  running = await serve(parseConfig(yaml), log);
  state = await openState(options());
  net = (await call('POST', '/v2.0/networks', { network: { name: 'inspection', 'provider:segmentation_id': 90 } }))
    .network;
  sub = (
    await call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, cidr: '10.90.0.0/24', ip_version: 4, dns_nameservers: ['10.90.0.53'] },
    })
  ).subnet;
});

after(async () => {
  await state.close();
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('no DHCP port yet: the attached network has no server address, so no view', async () => {
  assert.equal(await view(), undefined);
});

test('the view has the DHCP port as server, reservations with options, MTU and the configured pool', async () => {
  await call('POST', '/v2.0/ports', { port: { network_id: net.id, device_owner: 'network:dhcp' } });
  const port = (
    await call('POST', '/v2.0/ports', {
      port: {
        network_id: net.id,
        mac_address: MAC,
        fixed_ips: [{ ip_address: '10.90.0.20' }],
        extra_dhcp_opts: [{ opt_name: '67', opt_value: 'a.efi' }],
      },
    })
  ).port;
  const v = await view();
  assert.equal(v?.serverAddress, '10.90.0.2');
  assert.equal(v?.subnets[0]?.mtu, 1500);
  assert.deepEqual(v?.subnets[0]?.dnsServers, ['10.90.0.53']);
  assert.deepEqual(v?.subnets[0]?.dynamicPools, [{ start: '10.90.0.100', end: '10.90.0.109' }]);
  assert.equal(v?.reservations.get(MAC)?.ip, '10.90.0.20');
  assert.equal(v?.reservations.get(MAC)?.portId, port.id);
  assert.equal(v?.reservations.size, 1, 'the DHCP port is no reservation');

  await call('PUT', `/v2.0/ports/${port.id}`, { port: { extra_dhcp_opts: [{ opt_name: '67', opt_value: 'b.efi' }] } });
  assert.equal((await view())?.reservations.get(MAC)?.extraDhcpOpts[0]?.optValue, 'b.efi', 'changed options');
  await call('DELETE', `/v2.0/ports/${port.id}`);
  assert.equal((await view())?.reservations.has(MAC), false, 'a deleted port has no reservation');
});

test('relay mode: the network is the one whose subnet holds giaddr; a new subnet is found at once', async () => {
  const relay = await openState(options('10.99.0.1'));
  try {
    const v = await relay.view({ kind: 'relay' }, '10.90.0.1');
    assert.equal(v?.networkId, net.id);
    assert.equal(v?.serverAddress, '10.99.0.1');
    assert.equal(await relay.view({ kind: 'relay' }, '10.91.0.1'), undefined);
    const other = (await call('POST', '/v2.0/networks', { network: { name: 'n2' } })).network;
    await call('POST', '/v2.0/subnets', { subnet: { network_id: other.id, cidr: '10.91.0.0/24', ip_version: 4 } });
    assert.equal((await relay.view({ kind: 'relay' }, '10.91.0.1'))?.networkId, other.id);
  } finally {
    await relay.close();
  }
});

test('leases and a DECLINE quarantine are durable: a reopened store has them; a MAC holds one lease', async () => {
  const put = (mac: typeof MAC, ip: string, s: 'offered' | 'bound' | 'declined') =>
    state.persistLease({
      kind: 'put',
      networkId: net.id,
      lease: { mac, ip, subnetId: sub.id, state: s, expiresAtMs: 2_000_000_000_000 },
    });
  await put(MAC, '10.90.0.100', 'offered');
  await put(MAC, '10.90.0.101', 'bound');
  await put(OTHER, '10.90.0.102', 'declined');
  await state.persistLease({ kind: 'remove', networkId: net.id, mac: OTHER, ip: '10.90.0.109' }); // not its own
  const reopened = await openState(options());
  try {
    const view = await reopened.view({ kind: 'attached', networkId: net.id }, '0.0.0.0');
    assert.deepEqual([...(view?.leases.values() ?? [])].map((l) => [l.ip, l.mac, l.state]).sort(), [
      ['10.90.0.101', MAC, 'bound'],
      ['10.90.0.102', OTHER, 'declined'],
    ]);
  } finally {
    await reopened.close();
  }
});

test('leases of one burst share a commit: every change resolves durable, an offer hold is not stored, a failed commit rejects and the table reloads', async () => {
  const net2 = (
    await call('POST', '/v2.0/networks', { network: { name: 'inspection', 'provider:segmentation_id': 91 } })
  ).network;
  const sub2 = (
    await call('POST', '/v2.0/subnets', { subnet: { network_id: net2.id, cidr: '10.90.0.0/24', ip_version: 4 } })
  ).subnet;
  const macs = Array.from({ length: 40 }, (_, i) => parseMac(`02:cd:00:00:00:${i.toString(16).padStart(2, '0')}`));
  const lease = (i: number, s: 'offered' | 'bound') => ({
    kind: 'put' as const,
    networkId: net2.id,
    lease: {
      mac: macs[i] ?? MAC,
      ip: `10.90.0.${10 + i}`,
      subnetId: sub2.id,
      state: s,
      expiresAtMs: 2_000_000_000_000,
    },
  });
  const stored = async () =>
    (
      await running.store.builder
        .selectFrom('dhcp_leases')
        .select(['ip_address', 'state'])
        .where('network_id', '=', net2.id)
        .execute()
    )
      .map((r) => `${r.ip_address} ${r.state}`)
      .sort();
  // 40 leases bound in one turn: every change resolves once stored
  await Promise.all(macs.map((_, i) => state.persistLease(lease(i, 'bound'))));
  assert.equal((await stored()).length, 40);
  // an offer of another address is held in memory only; the lease it replaces is deleted
  const offer = lease(0, 'offered');
  await state.persistLease({ ...offer, lease: { ...offer.lease, ip: '10.90.0.60' } });
  await state.persistLease(lease(1, 'bound')); // a later commit carries the deletion
  const afterOffer = await stored();
  assert.equal(afterOffer.length, 39);
  assert.ok(!afterOffer.some((r) => r.startsWith('10.90.0.60 ') || r.startsWith('10.90.0.10 ')), afterOffer.join());
  assert.equal((await state.leasesOfNetwork(net2.id)).find((l) => l.mac === macs[0])?.state, 'offered');
  // a commit that fails (its table is gone) rejects the change, and the state forgets what it did not store
  await sql`alter table dhcp_leases rename to dhcp_leases_away`.execute(running.store.builder);
  try {
    const moved = lease(39, 'bound');
    await assert.rejects(
      async () => await state.persistLease({ ...moved, lease: { ...moved.lease, ip: '10.90.0.99' } }),
    );
  } finally {
    await sql`alter table dhcp_leases_away rename to dhcp_leases`.execute(running.store.builder);
  }
  const now = await state.leasesOfNetwork(net2.id);
  assert.equal(now.find((l) => l.mac === macs[39])?.ip, '10.90.0.49', 'the lease that was not stored is not served');
  assert.equal(now.length, 39);
  await call('DELETE', `/v2.0/networks/${net2.id}`);
});

test('trace events queued meanwhile commit with the leases; a failed trace write loses only the trace', async () => {
  const THIRD = parseMac('02:cc:00:00:00:03');
  const event = (xid: number) =>
    traceEvent(THIRD, xid, { messageType: 'request', answer: 'ack', address: '10.90.0.105' });
  const bind = (ip: string) =>
    state.persistLease({
      kind: 'put',
      networkId: net.id,
      lease: { mac: THIRD, ip, subnetId: sub.id, state: 'bound', expiresAtMs: 2_000_000_000_000 },
    });
  const traced = async () =>
    (await running.store.builder.selectFrom('boot_trace').select('xid').where('mac_address', '=', THIRD).execute())
      .map((r) => Number(r.xid))
      .sort((a, b) => a - b);
  state.recordTrace(event(1));
  await bind('10.90.0.105');
  assert.deepEqual(await traced(), [1], 'stored by the lease commit, before the trace timer');
  // the trace table is gone: the lease still commits, the event is lost (and logged)
  await sql`alter table boot_trace rename to boot_trace_away`.execute(running.store.builder);
  try {
    state.recordTrace(event(2));
    await bind('10.90.0.106');
  } finally {
    await sql`alter table boot_trace_away rename to boot_trace`.execute(running.store.builder);
  }
  const lease = await running.store.builder
    .selectFrom('dhcp_leases')
    .select('ip_address')
    .where('mac_address', '=', THIRD)
    .execute();
  assert.deepEqual(
    lease.map((r) => r.ip_address),
    ['10.90.0.106'],
  );
  await state.flushTraces();
  assert.deepEqual(await traced(), [1]);
  await state.persistLease({ kind: 'remove', networkId: net.id, ip: '10.90.0.106', mac: THIRD });
});

test('the boot trace keeps the newest events per MAC and in total, oldest first', async () => {
  const event = (mac: typeof MAC, xid: number) => traceEvent(mac, xid);
  for (let xid = 1; xid <= 5; xid++) state.recordTrace(event(MAC, xid));
  assert.deepEqual(
    (await state.traceOf(MAC)).map((e) => e.xid),
    [3, 4, 5],
  );
  for (let xid = 10; xid <= 13; xid++) state.recordTrace(event(OTHER, xid));
  await state.flushTraces();
  const total = (await state.traceOf(MAC)).length + (await state.traceOf(OTHER)).length;
  assert.ok(total <= 5, `at most 5 events in total, found ${total}`);
  assert.deepEqual(
    (await state.traceOf(OTHER)).map((e) => e.xid),
    [11, 12, 13],
  );
  // a reopened state knows which stored events are whose: retention goes on from there
  const reopened = await openState(options());
  try {
    for (let xid = 14; xid <= 15; xid++) reopened.recordTrace(event(OTHER, xid));
    assert.deepEqual(
      (await reopened.traceOf(OTHER)).map((e) => e.xid),
      [13, 14, 15],
    );
    const rows = await running.store.builder
      .selectFrom('boot_trace')
      .select('xid')
      .where('mac_address', '=', OTHER)
      .execute();
    assert.deepEqual(
      rows.map((r) => Number(r.xid)).sort((a, b) => a - b),
      [13, 14, 15],
      'older rows deleted',
    );
  } finally {
    await reopened.close();
  }
});

test("a MAC's trace is cut back in steps and its stored rows stay the newest ones", async () => {
  // 40 per MAC, cut back once 10 more piled up: 300 events make the state drop ids many times over
  const many = await openState({ ...options(), tracePerMac: 40, traceTotal: 100_000 });
  const mac = parseMac('52:54:00:00:40:40');
  try {
    for (let xid = 1; xid <= 300; xid++) {
      many.recordTrace(traceEvent(mac, xid));
      if (xid % 7 === 0) await many.flushTraces(); // batches of 7: cuts fall between and within them
    }
    const kept = (await many.traceOf(mac, 1_000)).map((e) => e.xid);
    assert.ok(kept.length >= 40 && kept.length < 50, `40–49 events kept, found ${kept.length}`);
    assert.deepEqual(
      kept,
      Array.from({ length: kept.length }, (_, i) => 301 - kept.length + i),
      'the newest, oldest first',
    );
  } finally {
    await many.close();
  }
});

test("a MAC's trace read by the ids the state keeps is what a scan of the table finds", async () => {
  const st = await openState({ ...options(), tracePerMac: 40, traceTotal: 100_000 });
  const x = parseMac('52:54:00:00:50:01');
  const y = parseMac('52:54:00:00:50:02');
  try {
    for (let xid = 1; xid <= 60; xid++) {
      st.recordTrace(traceEvent(xid % 2 === 0 ? x : y, xid));
      if (xid % 9 === 0) await st.flushTraces();
    }
    const scan = (mac: typeof x, limit: number) => readBootTrace(running.store, mac, limit);
    for (const limit of [1, 5, 30, 1_000]) {
      assert.deepEqual(await st.traceOf(x, limit), await scan(x, limit), `limit ${limit}`);
    }
    assert.equal((await st.traceOf(x, 1_000)).length, 30);
    // ids are a superset at most (another MAC's ids are ignored); none known means no events
    const all = await running.store.builder.selectFrom('boot_trace').select('id').execute();
    const ids = all.map((r) => Number(r.id));
    assert.deepEqual(await readBootTrace(running.store, y, 7, ids), await scan(y, 7));
    assert.deepEqual(await readBootTrace(running.store, y, 7, []), []);
    // events still queued are part of what the state reads
    st.recordTrace(traceEvent(x, 61));
    assert.equal((await st.traceOf(x, 1)).at(0)?.xid, 61);
  } finally {
    await st.close();
  }
});
