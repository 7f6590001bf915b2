/**
 * The reconciler against an in-memory switch (FakeSwitch) and a clock moved by hand (FakeClock), over the
 * real SQLite store in memory: ports written through the Neutron port logic become switch VLANs and port
 * status (docs/architecture.md §3, §5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ApiContext, liveContext } from '../../../src/api/context.ts';
import { createNetworks } from '../../../src/api/neutron/networks.ts';
import { createPorts, deletePort } from '../../../src/api/neutron/ports.ts';
import type { JsonObject } from '../../../src/api/wire.ts';
import { parseConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { ALL_CAPABILITIES } from '../../../src/domain/capabilities.ts';
import type { Port } from '../../../src/domain/model.ts';
import { SYSTEM_CALLER } from '../../../src/domain/policy.ts';
import type { SwitchOp } from '../../../src/domain/switch-plan.ts';
import { parseSwitchPortName, parseVlan } from '../../../src/domain/values.ts';
import { silentLogger } from '../../../src/logging.ts';
import { Reconciler, type ReconcilerOptions } from '../../../src/reconciler/reconciler.ts';
import { openSqliteStore } from '../../../src/store/sqlite.ts';
import { isoSeconds, type Store } from '../../../src/store/store.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { FakeSwitch } from '../../helpers/fake-switch.ts';

const QUARANTINE = 999;
const BATCH_WINDOW_MS = 10;
const RETRY_INITIAL_MS = 1000;
const RESYNC_MS = 60_000;

function configYaml(switchExtra = ''): string {
  return `network:
  physnets:
    physnet1: {vlan_ranges: ["300:399"]}
switches:
  - name: tor1
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "unix:/run/openvswitch/db.sock", bridge: tor1}
    protected_ports: [uplink0]
    unbound: {vlan: ${QUARANTINE}}
    batch_window_ms: ${BATCH_WINDOW_MS}
${switchExtra}
reconciler: {resync_seconds: ${RESYNC_MS / 1000}, retry_initial_ms: ${RETRY_INITIAL_MS}, retry_max_ms: 8000}
`;
}

interface Harness {
  readonly config: Config;
  readonly store: Store;
  readonly clock: FakeClock;
  readonly tor1: FakeSwitch;
  readonly ctx: ApiContext;
  /** A reconciler on this store, switch and clock (not started). */
  reconciler(extra?: Partial<ReconcilerOptions>): Reconciler;
  network(vlan: number): Promise<string>;
  /** A baremetal port bound to `networkId` on these tor1 ports (a port group when `group` is set). */
  bind(networkId: string, ports: readonly string[], group?: JsonObject): Promise<string>;
  unbind(portId: string): Promise<void>;
  port(id: string): Promise<Port>;
}

async function harness(t: { after(fn: () => Promise<void>): void }, switchExtra = ''): Promise<Harness> {
  const config = parseConfig(configYaml(switchExtra));
  const clock = new FakeClock();
  const store = await openSqliteStore(':memory:', () => clock.now());
  const reconcilers: Reconciler[] = [];
  t.after(async () => {
    for (const r of reconcilers) await r.stop();
    await store.close();
  });
  const tor1 = new FakeSwitch('tor1', ['eth1', 'eth2', 'eth3', 'eth4', 'uplink0'], QUARANTINE);
  const sw = config.switches[0];
  assert.ok(sw);
  const ctx: ApiContext = { ...liveContext(store, config), now: () => isoSeconds(clock.now()) };
  return {
    config,
    store,
    clock,
    tor1,
    ctx,
    reconciler(extra = {}) {
      const r = new Reconciler({
        store,
        switches: [{ config: sw, driver: tor1, capabilities: ALL_CAPABILITIES }],
        physnets: config.network.physnets,
        config: config.reconciler,
        log: silentLogger(),
        clock,
        random: () => 1, // no jitter: the back-off is exactly retry_initial_ms, doubling
        ...extra,
      });
      reconcilers.push(r);
      return r;
    },
    async network(vlan) {
      const [n] = await createNetworks(ctx, SYSTEM_CALLER, [{ name: `net${vlan}`, 'provider:segmentation_id': vlan }]);
      assert.ok(n && typeof n.id === 'string');
      return n.id;
    },
    async bind(networkId, ports, group) {
      const [p] = await createPorts(ctx, SYSTEM_CALLER, [
        {
          network_id: networkId,
          'binding:vnic_type': 'baremetal',
          'binding:host_id': 'node-1',
          'binding:profile': {
            local_link_information: ports.map((port_id) => ({ switch_info: 'tor1', port_id })),
            ...(group ? { local_group_information: group } : {}),
          },
          device_owner: 'baremetal:none',
        },
      ]);
      assert.ok(p && typeof p.id === 'string');
      return p.id;
    },
    unbind: (portId) => deletePort(ctx, SYSTEM_CALLER, portId),
    async port(id) {
      const p = await store.getPort(id);
      assert.ok(p, `port ${id} exists`);
      return p;
    },
  };
}

/**
 * Lets the reconciler do everything due within a batch window: reads of the change feed, then each run
 * they schedule. Back-off retries and the periodic resync (longer) are left for the test to reach.
 */
async function settle(h: Harness, r: Reconciler): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await r.idle();
    const next = h.clock.nextIn();
    if (next === null || next > BATCH_WINDOW_MS) return;
    h.clock.advance(next);
  }
  assert.fail('the reconciler kept scheduling runs within the batch window');
}

/** Moves the clock by `ms` (firing the timers due) and waits for what they started. */
async function advance(h: Harness, r: Reconciler, ms: number): Promise<void> {
  h.clock.advance(ms);
  await settle(h, r);
}

async function started(h: Harness, extra?: Partial<ReconcilerOptions>): Promise<Reconciler> {
  const r = h.reconciler(extra);
  await r.start();
  await settle(h, r);
  return r;
}

const access = (port: string, vlan: number): SwitchOp => ({
  kind: 'set-access',
  port: parseSwitchPortName(port),
  vlan: parseVlan(vlan),
});

/** The untagged VLAN a stored switch port record says was read back. */
function observedUntagged(observed: unknown): unknown {
  return typeof observed === 'object' && observed !== null && 'untagged' in observed ? observed.untagged : undefined;
}

test('a baremetal port bound to a network: after the batch window the switch port carries its VLAN and the port turns ACTIVE', async (t) => {
  const h = await harness(t);
  const r = await started(h);
  assert.deepEqual(h.tor1.batches, [], 'nothing is bound: nothing is sent');
  const net = await h.network(100);
  const id = await h.bind(net, ['eth1']);
  await r.idle();
  assert.equal((await h.port(id)).status, 'DOWN', 'not ACTIVE before the switch carries the VLAN');
  assert.equal(h.tor1.port('eth1')?.untagged, QUARANTINE, 'changes wait for the batch window');
  await advance(h, r, BATCH_WINDOW_MS);
  assert.deepEqual(h.tor1.batches, [[access('eth1', 100)]]);
  assert.equal(h.tor1.port('eth1')?.untagged, 100);
  const p = await h.port(id);
  assert.equal(p.status, 'ACTIVE');
  assert.equal(p.vifType, 'other');
  assert.deepEqual(p.vifDetails, { connectivity: 'l2' });
  const [record] = await h.store.switchPorts('tor1');
  assert.equal(record?.port, 'eth1');
  assert.equal(record?.isInSync, true);
});

test('a bound port whose DHCP is not serving yet stays DOWN waiting for DHCP, and turns ACTIVE without resending once it is', async (t) => {
  const h = await harness(t);
  let isServing = false;
  const r = await started(h, { isDhcpServing: () => isServing });
  const id = await h.bind(await h.network(100), ['eth1']);
  await settle(h, r);
  assert.equal(h.tor1.port('eth1')?.untagged, 100, 'the switch is configured meanwhile');
  const waiting = await h.port(id);
  assert.equal(waiting.status, 'DOWN');
  assert.equal(waiting.vifType, 'other');
  assert.deepEqual(waiting.vifDetails, { connectivity: 'l2', reason: 'waiting for DHCP to serve the port' });
  isServing = true;
  r.poke();
  await settle(h, r);
  assert.equal((await h.port(id)).status, 'ACTIVE');
  assert.equal(h.tor1.batches.length, 1, 'the switch port was already confirmed: nothing resent');
});

test('moving a switch port between networks: the old VLAN is taken away in its own batch and read back before the new one is set', async (t) => {
  const h = await harness(t);
  const r = await started(h);
  const [prov, tenant] = [await h.network(100), await h.network(200)];
  const first = await h.bind(prov, ['eth1']);
  await settle(h, r);
  assert.equal((await h.port(first)).status, 'ACTIVE');
  const before = h.tor1.batches.length;
  // Ironic's move: the provisioning port goes, a tenant port on the same NIC comes, within one batch window
  await h.unbind(first);
  const second = await h.bind(tenant, ['eth1']);
  await settle(h, r);
  assert.deepEqual(h.tor1.batches.slice(before), [[access('eth1', QUARANTINE)], [access('eth1', 200)]]);
  assert.deepEqual(h.tor1.history('eth1'), [QUARANTINE, 100, QUARANTINE, 200], 'never from one VLAN to the other');
  assert.equal((await h.port(second)).status, 'ACTIVE');
});

test('a removal the switch acknowledges but does not carry out is caught by the read-back: the new VLAN is not sent', async (t) => {
  const h = await harness(t);
  const r = await started(h);
  const [prov, tenant] = [await h.network(100), await h.network(200)];
  const first = await h.bind(prov, ['eth1']);
  await settle(h, r);
  const before = h.tor1.batches.length;
  h.tor1.dropsNext = 1;
  await h.unbind(first);
  const second = await h.bind(tenant, ['eth1']);
  await settle(h, r);
  assert.deepEqual(
    h.tor1.batches.slice(before),
    [[access('eth1', QUARANTINE)]],
    'no addition after an unconfirmed removal',
  );
  assert.equal(h.tor1.port('eth1')?.untagged, 100);
  const failed = await h.port(second);
  assert.equal(failed.vifType, 'binding_failed');
  assert.match(String(failed.vifDetails.reason), /still carrying old VLANs: eth1/);
  // the retry after the back-off finds an honest switch and completes the move in order
  await advance(h, r, RETRY_INITIAL_MS);
  assert.deepEqual(h.tor1.history('eth1').slice(-2), [QUARANTINE, 200]);
  assert.equal((await h.port(second)).status, 'ACTIVE');
});

test('a batch the switch rejects: the port is binding_failed with the switch output, the switch port keeps its quarantine VLAN, and a later retry binds it', async (t) => {
  const h = await harness(t);
  const r = await started(h);
  h.tor1.rejections.push('% Invalid VLAN 100');
  const id = await h.bind(await h.network(100), ['eth1']);
  await settle(h, r);
  const p = await h.port(id);
  assert.equal(p.vifType, 'binding_failed');
  assert.equal(p.status, 'DOWN');
  assert.equal(p.vifDetails.reason, "Switch tor1 rejected 'set-access': % Invalid VLAN 100");
  assert.equal(h.tor1.port('eth1')?.untagged, QUARANTINE, 'a rejected batch changes nothing');
  const [record] = await h.store.switchPorts('tor1');
  assert.equal(record?.isInSync, false);
  assert.equal(observedUntagged(record?.observed), QUARANTINE, 'the read-back is recorded');
  await advance(h, r, RETRY_INITIAL_MS);
  assert.equal(h.tor1.batches.length, 2);
  assert.equal(h.tor1.port('eth1')?.untagged, 100);
  assert.equal((await h.port(id)).status, 'ACTIVE');
});

test('a rejected removal during a move: the port keeps the old VLAN, the new one is never sent, the new port is binding_failed', async (t) => {
  const h = await harness(t);
  const r = await started(h);
  const [prov, tenant] = [await h.network(100), await h.network(200)];
  const first = await h.bind(prov, ['eth1']);
  await settle(h, r);
  const before = h.tor1.batches.length;
  h.tor1.refuses = (ops) => (ops.some((op) => op.kind === 'set-access' && op.vlan === QUARANTINE) ? 'locked' : null);
  await h.unbind(first);
  const second = await h.bind(tenant, ['eth1']);
  await settle(h, r);
  assert.deepEqual(h.tor1.batches.slice(before), [[access('eth1', QUARANTINE)]]);
  assert.equal(h.tor1.port('eth1')?.untagged, 100);
  const p = await h.port(second);
  assert.equal(p.vifType, 'binding_failed');
  assert.match(String(p.vifDetails.reason), /rejected 'set-access': locked/);
});

test('an unreachable switch: the port is DOWN with the reason, retried after the back-off (doubling), and bound once the switch answers', async (t) => {
  const h = await harness(t);
  const r = await started(h);
  h.tor1.isUnreachable = true;
  const id = await h.bind(await h.network(100), ['eth1']);
  await settle(h, r);
  const down = await h.port(id);
  assert.equal(down.status, 'DOWN');
  assert.equal(down.vifType, 'unbound', 'unreachable is not a refusal');
  assert.match(String(down.vifDetails.reason), /Switch tor1 is unreachable/);
  const [health] = r.health();
  assert.equal(health?.isReachable, false);
  assert.equal(health?.consecutiveFailures, 1);
  assert.equal(h.clock.nextIn(), RETRY_INITIAL_MS);
  await advance(h, r, RETRY_INITIAL_MS);
  assert.equal(r.health()[0]?.consecutiveFailures, 2, 'retried after the retry interval');
  assert.equal(h.clock.nextIn(), 2 * RETRY_INITIAL_MS, 'the back-off doubles');
  h.tor1.isUnreachable = false;
  const reads = h.tor1.reads;
  h.clock.advance(2 * RETRY_INITIAL_MS - 1);
  await r.idle();
  assert.equal(h.tor1.reads, reads, 'not before the back-off has passed');
  await advance(h, r, 1);
  assert.deepEqual(h.tor1.batches, [[access('eth1', 100)]]);
  assert.equal((await h.port(id)).status, 'ACTIVE');
  assert.equal(r.health()[0]?.isReachable, true);
  assert.equal(r.health()[0]?.consecutiveFailures, 0);
});

test('drift: a VLAN changed by hand is repaired by the next periodic resync, old VLAN out before the right one in', async (t) => {
  const h = await harness(t);
  const resyncAt = h.clock.now() + RESYNC_MS;
  const r = await started(h);
  const id = await h.bind(await h.network(100), ['eth1']);
  await settle(h, r);
  const before = h.tor1.batches.length;
  h.tor1.setPort('eth1', { untagged: parseVlan(123) });
  h.clock.advance(resyncAt - h.clock.now() - 1);
  await r.idle();
  assert.equal(h.tor1.port('eth1')?.untagged, 123, 'found only by the resync');
  await advance(h, r, 1);
  assert.deepEqual(h.tor1.batches.slice(before), [[access('eth1', QUARANTINE)], [access('eth1', 100)]]);
  assert.equal(h.tor1.port('eth1')?.untagged, 100);
  assert.equal((await h.port(id)).status, 'ACTIVE');
  assert.deepEqual(r.health()[0]?.drift, []);
});

test('drift with `drift: report`: the resync reports the port in the switch health and leaves it; a real change repairs it', async (t) => {
  const h = await harness(t, '    drift: report');
  const r = await started(h);
  await h.bind(await h.network(100), ['eth1']);
  await settle(h, r);
  const before = h.tor1.batches.length;
  h.tor1.setPort('eth1', { untagged: parseVlan(123) });
  await advance(h, r, RESYNC_MS);
  assert.deepEqual(r.health()[0]?.drift, ['eth1']);
  assert.equal(h.tor1.port('eth1')?.untagged, 123);
  assert.equal(h.tor1.batches.length, before, 'reported, not repaired');
  r.poke('tor1');
  await settle(h, r);
  assert.equal(h.tor1.port('eth1')?.untagged, 100);
  assert.deepEqual(r.health()[0]?.drift, []);
});

test('a restart on the same store and switch converges without resending confirmed work or rewriting the ports', async (t) => {
  const h = await harness(t);
  const first = await started(h);
  const id = await h.bind(await h.network(100), ['eth1']);
  const group = await h.bind(await h.network(200), ['eth2', 'eth3'], { id: 'pg-1', bond_mode: '802.3ad' });
  await settle(h, first);
  await first.stop();
  const [batches, reads] = [h.tor1.batches.length, h.tor1.reads];
  const revisions = [(await h.port(id)).revisionNumber, (await h.port(group)).revisionNumber];
  const second = await started(h);
  assert.ok(h.tor1.reads > reads, 'the new reconciler read the switch (a full resync)');
  assert.equal(h.tor1.batches.length, batches, 'nothing changed: nothing sent');
  assert.deepEqual([(await h.port(id)).revisionNumber, (await h.port(group)).revisionNumber], revisions);
  assert.equal((await h.port(id)).status, 'ACTIVE');
  assert.deepEqual(await h.store.lagNames(), [{ switchName: 'tor1', groupKey: 'pg-1', lagName: 'bond1' }]);
  await advance(h, second, RESYNC_MS);
  assert.equal(h.tor1.batches.length, batches, 'nor on its periodic resync');
});

test('a take-over after a move stopped half way (old VLAN removed and confirmed, new one refused) sends only what is left', async (t) => {
  const h = await harness(t);
  const first = await started(h);
  const [prov, tenant] = [await h.network(100), await h.network(200)];
  const old = await h.bind(prov, ['eth1']);
  await settle(h, first);
  h.tor1.refuses = (ops) => (ops.some((op) => op.kind === 'set-access' && op.vlan === 200) ? 'busy' : null);
  await h.unbind(old);
  const moved = await h.bind(tenant, ['eth1']);
  await settle(h, first);
  assert.equal(h.tor1.port('eth1')?.untagged, QUARANTINE, 'the removal went through');
  assert.equal((await h.port(moved)).vifType, 'binding_failed');
  await first.stop();
  h.tor1.refuses = null;
  const before = h.tor1.batches.length;
  await started(h);
  assert.deepEqual(h.tor1.batches.slice(before), [[access('eth1', 200)]], 'the confirmed removal is not redone');
  assert.equal((await h.port(moved)).status, 'ACTIVE');
});

test('a port group of several links is one LAG named by the switch template, first free number, kept in the store', async (t) => {
  const h = await harness(t);
  const r = await started(h);
  const net = await h.network(100);
  const lgi = (id: string) => ({ id, bond_mode: '802.3ad', bond_properties: { bond_lacp_rate: 'fast' } });
  const a = await h.bind(net, ['eth1', 'eth2'], lgi('pg-a'));
  await settle(h, r);
  assert.deepEqual(h.tor1.batches, [
    [
      { kind: 'set-lag', lag: 'bond1', members: ['eth1', 'eth2'], settings: { mode: 'lacp', lacpRate: 'fast' } },
      access('bond1', 100),
    ],
  ]);
  assert.equal(h.tor1.port('bond1')?.untagged, 100);
  assert.deepEqual(
    ['eth1', 'eth2'].map((m) => h.tor1.port(m)?.memberOf),
    ['bond1', 'bond1'],
  );
  assert.equal((await h.port(a)).status, 'ACTIVE');
  const b = await h.bind(net, ['eth3', 'eth4'], lgi('pg-b'));
  await settle(h, r);
  assert.deepEqual(h.tor1.port('bond2')?.lag?.members, ['eth3', 'eth4'], 'bond1 is taken: the next number');
  assert.equal((await h.port(b)).status, 'ACTIVE');
  assert.deepEqual((await h.store.lagNames()).map((l) => [l.groupKey, l.lagName]).sort(), [
    ['pg-a', 'bond1'],
    ['pg-b', 'bond2'],
  ]);
});

test('a LAG name comes from the switch lag_name_template', async (t) => {
  const h = await harness(t, '    lag_name_template: "po{n}"');
  const r = await started(h);
  await h.bind(await h.network(100), ['eth1', 'eth2'], { id: 'pg-a', bond_mode: '802.3ad' });
  await settle(h, r);
  assert.deepEqual(h.tor1.port('po1')?.lag?.members, ['eth1', 'eth2']);
  assert.equal(h.tor1.port('po1')?.untagged, 100);
});
