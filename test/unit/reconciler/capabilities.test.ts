/**
 * The reconciler refuses what a switch's driver cannot configure (the juniper-junos profile: no trunk ops):
 * the real SQLite store (in memory), the real Neutron port logic and reconciler, a switch in memory
 * (FakeSwitch) and time driven by hand (FakeClock).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { type ApiContext, liveContext } from '../../../src/api/context.ts';
import { createNetworks } from '../../../src/api/neutron/networks.ts';
import { createPorts } from '../../../src/api/neutron/ports.ts';
import { parseConfig } from '../../../src/config/load.ts';
import type { SwitchCapabilities } from '../../../src/domain/capabilities.ts';
import { SYSTEM_CALLER } from '../../../src/domain/policy.ts';
import type { Vlan } from '../../../src/domain/values.ts';
import { silentLogger } from '../../../src/logging.ts';
import { Reconciler } from '../../../src/reconciler/reconciler.ts';
import { openSqliteStore } from '../../../src/store/sqlite.ts';
import { isoSeconds, type Store } from '../../../src/store/store.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { FakeSwitch } from '../../helpers/fake-switch.ts';

const CONFIG = `
switches:
  - name: j1
    physnets: [physnet1]
    driver: ssh
    ssh: {host: 127.0.0.1, username: bmnet, password: secret, profile: juniper-junos}
    unbound: {shutdown: true}
    batch_window_ms: 10
reconciler: {resync_seconds: 60, retry_initial_ms: 50, retry_max_ms: 500}
`;
/** What the juniper-junos profile supports (no trunk and no LAG ops). */
const JUNOS: SwitchCapabilities = { trunk: false, lag: false };

let clock: FakeClock;
let store: Store;
let ctx: ApiContext;
let j1: FakeSwitch;
let reconciler: Reconciler;

beforeEach(async () => {
  clock = new FakeClock();
  const config = parseConfig(CONFIG);
  store = await openSqliteStore(':memory:', () => clock.now());
  ctx = { ...liveContext(store, config), now: () => isoSeconds(clock.now()) };
  j1 = new FakeSwitch('j1', ['xe-0/0/1', 'xe-0/0/2'], null);
  const [sw] = config.switches;
  assert.ok(sw);
  reconciler = new Reconciler({
    store,
    switches: [{ config: sw, driver: j1, capabilities: JUNOS }],
    physnets: config.network.physnets,
    config: config.reconciler,
    log: silentLogger(),
    clock,
  });
  await reconciler.start();
});

afterEach(async () => {
  await reconciler.stop();
  await store.close();
});

async function settle(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    clock.advance(20);
    await reconciler.idle();
    await new Promise<void>((done) => setImmediate(done));
  }
}

async function bind(portId: string, vlan = 100): Promise<string> {
  const [net] = await createNetworks(ctx, SYSTEM_CALLER, [{ name: `n-${portId}`, 'provider:segmentation_id': vlan }]);
  const [port] = await createPorts(ctx, SYSTEM_CALLER, [
    {
      network_id: String(net?.id),
      'binding:vnic_type': 'baremetal',
      'binding:host_id': 'node-1',
      'binding:profile': { local_link_information: [{ switch_info: 'j1', port_id: portId }] },
    },
  ]);
  return String(port?.id);
}

test('a port found carrying tagged VLANs on a switch without trunk ops is left unchanged and its port fails with why', async () => {
  j1.setPort('xe-0/0/1', { tagged: [300 as Vlan, 301 as Vlan] }); // configured by hand as a trunk
  await settle();
  const batchesBefore = j1.batches.length;
  const id = await bind('xe-0/0/1');
  await settle();
  const port = await store.getPort(id);
  const reason = 'switch j1 (juniper-junos) cannot remove tagged VLANs from xe-0/0/1: left unchanged';
  assert.equal(port?.vifType, 'binding_failed');
  assert.equal(port?.status, 'DOWN');
  assert.deepEqual(port?.vifDetails, { reason });
  // nothing was sent for that port: it still has its trunk and its old untagged VLAN
  assert.ok(j1.batches.slice(batchesBefore).every((b) => b.every((op) => !('port' in op) || op.port !== 'xe-0/0/1')));
  assert.deepEqual(j1.port('xe-0/0/1')?.tagged, [300, 301]);
  assert.equal(j1.port('xe-0/0/1')?.untagged, null);
  assert.deepEqual(reconciler.health()[0]?.refused, [{ port: 'xe-0/0/1', reason }]);
  const dry = await reconciler.dryRun('j1');
  assert.deepEqual(dry?.refused, [{ port: 'xe-0/0/1', reason }]);
  assert.deepEqual(dry?.plan, { removals: [], additions: [] });
});

test('a port on the same switch that needs no trunk op is bound as usual beside a refused one', async () => {
  j1.setPort('xe-0/0/1', { tagged: [300 as Vlan] });
  const refused = await bind('xe-0/0/1');
  const fine = await bind('xe-0/0/2', 101);
  await settle();
  assert.equal((await store.getPort(refused))?.vifType, 'binding_failed');
  const ok = await store.getPort(fine);
  assert.equal(ok?.status, 'ACTIVE');
  assert.equal(j1.port('xe-0/0/2')?.untagged, 101);
  assert.deepEqual(
    reconciler.health()[0]?.refused.map((r) => r.port),
    ['xe-0/0/1'],
  );
});
