/**
 * The node service on the real SQLite store (in memory), the real Neutron port logic and the real reconciler,
 * with a switch in memory (FakeSwitch) and time driven by hand (FakeClock).
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { type ApiContext, liveContext } from '../../../src/api/context.ts';
import { createNetworks } from '../../../src/api/neutron/networks.ts';
import { neutronNodePorts } from '../../../src/api/nodes.ts';
import { parseConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { ALL_CAPABILITIES } from '../../../src/domain/capabilities.ts';
import type { Node } from '../../../src/domain/node.ts';
import { SYSTEM_CALLER } from '../../../src/domain/policy.ts';
import { parseMac } from '../../../src/domain/values.ts';
import { silentLogger } from '../../../src/logging.ts';
import { type MoveRequest, NodeService, StageNotOffered } from '../../../src/nodes/service.ts';
import { Reconciler } from '../../../src/reconciler/reconciler.ts';
import { openSqliteStore } from '../../../src/store/sqlite.ts';
import { isoSeconds, type NodeOperation, type Store } from '../../../src/store/store.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { FakeSwitch } from '../../helpers/fake-switch.ts';

const QUARANTINE = 997;
const TIMEOUT_SECONDS = 5;
const CONFIG = `
switches:
  - name: tor1
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "unix:/nonexistent/db.sock", bridge: tor1}
    unbound: {vlan: ${QUARANTINE}}
    batch_window_ms: 10
reconciler: {resync_seconds: 60, retry_initial_ms: 50, retry_max_ms: 500}
nodes:
  networks: {cleaning: cleaning, provisioning: provisioning}
  operation_timeout_seconds: ${TIMEOUT_SECONDS}
`;
const MAC = '52:54:00:aa:00:01';

interface Rig {
  readonly clock: FakeClock;
  readonly store: Store;
  readonly tor1: FakeSwitch;
  readonly reconciler: Reconciler;
  readonly nodes: NodeService;
  readonly node: Node;
  readonly networks: ReadonlyMap<string, string>;
}

async function rig(): Promise<Rig> {
  const clock = new FakeClock();
  const config: Config = parseConfig(CONFIG);
  const store = await openSqliteStore(':memory:', () => clock.now());
  const ctx: ApiContext = { ...liveContext(store, config), now: () => isoSeconds(clock.now()) };
  const networks = new Map<string, string>();
  for (const [name, vlan] of [
    ['cleaning', 50],
    ['provisioning', 100],
  ] as const) {
    const [made] = await createNetworks(ctx, SYSTEM_CALLER, [{ name, 'provider:segmentation_id': vlan }]);
    networks.set(name, String(made?.id));
  }
  const tor1 = new FakeSwitch('tor1', ['p1'], QUARANTINE);
  const [sw] = config.switches;
  assert.ok(sw);
  const log = silentLogger();
  const reconciler = new Reconciler({
    store,
    switches: [{ config: sw, driver: tor1, capabilities: ALL_CAPABILITIES }],
    physnets: config.network.physnets,
    config: config.reconciler,
    log,
    clock,
  });
  const nodes = new NodeService({
    store,
    config: config.nodes,
    ports: neutronNodePorts(ctx),
    log,
    clock,
    newId: ctx.newId,
  });
  await reconciler.start();
  await nodes.start();
  const node = await nodes.create({
    name: 'node-1',
    nics: [
      {
        mac: parseMac(MAC),
        localLinkInformation: [{ switchInfo: 'tor1', portId: 'p1' }],
        physicalNetwork: null,
        isPxeEnabled: true,
      },
    ],
    portGroups: [],
    boot: { mode: 'bios', pxeFile: 'pxelinux.0', ipxeScript: 'http://10.0.0.1/node-1.ipxe', tftpServer: '10.0.0.1' },
  });
  return { clock, store, tor1, reconciler, nodes, node, networks };
}

/** Lets what the last timers started finish: a commit by one role can wake the other. */
async function settle(r: Rig): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await r.reconciler.idle();
    await r.nodes.idle();
    await new Promise<void>((done) => setImmediate(done));
  }
}

/** Moves fake time on in small steps until the operation has ended, within `limitMs` of fake time. */
async function ended(r: Rig, id: string, limitMs: number): Promise<NodeOperation> {
  const until = r.clock.now() + limitMs;
  for (;;) {
    await settle(r);
    const op = await r.store.nodes().operation(id);
    assert.ok(op, `operation ${id} is stored`);
    if (op.state !== 'running') return op;
    assert.ok(r.clock.now() < until, `operation ${id} still running after ${limitMs} ms of fake time`);
    r.clock.advance(50);
  }
}

const provisioning: MoveRequest = { stage: 'provisioning', networks: [] };

describe('node service', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    r.nodes.stop();
    await r.reconciler.stop();
    await r.store.close();
  });

  test('a move to provisioning succeeds once the switch confirms its port ACTIVE', async () => {
    const started = await r.nodes.move(r.node.id, provisioning);
    assert.equal(started.state, 'running');
    assert.equal(started.portIds.length, 1);
    const op = await ended(r, started.id, 2_000);
    assert.equal(op.state, 'succeeded', op.error ?? '');
    assert.equal(op.error, null);
    assert.equal(r.tor1.port('p1')?.untagged, 100);
    const [port] = await r.store.listPorts([], null, op.portIds);
    assert.equal(port?.status, 'ACTIVE');
    assert.equal(port?.networkId, r.networks.get('provisioning'));
    const node = await r.nodes.get(r.node.id);
    assert.deepEqual([node.stage, node.targetStage, node.lastError], ['provisioning', null, null]);
    const { progress } = await r.nodes.operation(op.id);
    assert.deepEqual([progress.active, progress.total], [1, 1]);
  });

  test('a move fails with the switch’s reason when the switch rejects the change (binding_failed)', async () => {
    r.tor1.rejections.push('% VLAN 100 is not allowed on p1');
    const started = await r.nodes.move(r.node.id, provisioning);
    const op = await ended(r, started.id, 2_000);
    assert.equal(op.state, 'failed');
    const [portId] = op.portIds;
    assert.match(op.error ?? '', new RegExp(`^port ${portId}: .*% VLAN 100 is not allowed on p1`));
    const node = await r.nodes.get(r.node.id);
    assert.equal(node.stage, 'isolated', 'the node stays where it was confirmed');
    assert.equal(node.targetStage, 'provisioning');
    assert.equal(node.lastError, op.error);
  });

  test('a move times out at its deadline while the switch cannot be reached', async () => {
    r.tor1.isUnreachable = true;
    const started = await r.nodes.move(r.node.id, provisioning);
    const deadline = Date.parse(started.createdAt) + TIMEOUT_SECONDS * 1000;
    const op = await ended(r, started.id, TIMEOUT_SECONDS * 1000 + 1_000);
    assert.equal(op.state, 'failed');
    assert.equal(op.error, 'timed out: 0 of 1 ports ACTIVE');
    assert.ok(r.clock.now() > deadline, 'it ends only after the deadline');
    assert.ok(r.clock.now() <= deadline + 200, 'it ends at the first poll after the deadline');
    assert.equal((await r.nodes.get(r.node.id)).lastError, 'timed out: 0 of 1 ports ACTIVE');
  });

  test('two moves of one node run one after the other: the second sees the first one’s port', async () => {
    const [first, second] = await Promise.all([
      r.nodes.move(r.node.id, { stage: 'cleaning', networks: [] }),
      r.nodes.move(r.node.id, provisioning),
    ]);
    const ports = await r.store.listPorts([{ column: 'device_id', values: [r.node.id] }], null);
    assert.deepEqual(
      ports.map((p) => p.networkId),
      [r.networks.get('provisioning')],
      'the cleaning port the first move made was deleted by the second, not left beside it',
    );
    const a = await ended(r, first.id, 2_000);
    const b = await ended(r, second.id, 2_000);
    assert.equal(a.state, 'failed');
    assert.equal(a.error, '1 port(s) of the operation were deleted meanwhile');
    assert.equal(b.state, 'succeeded', b.error ?? '');
    assert.equal((await r.nodes.get(r.node.id)).stage, 'provisioning');
    assert.equal(r.tor1.port('p1')?.untagged, 100);
  });

  test('a move to a stage with no network configured is refused and changes nothing', async () => {
    await assert.rejects(r.nodes.move(r.node.id, { stage: 'inspection', networks: [] }), (err: unknown) => {
      assert.ok(err instanceof StageNotOffered);
      assert.match(err.message, /no inspection network is configured \(nodes\.networks\.inspection\)/);
      return true;
    });
    const node = await r.nodes.get(r.node.id);
    assert.deepEqual([node.stage, node.targetStage, node.revisionNumber], ['isolated', null, 1]);
    assert.deepEqual(await r.store.listPorts([{ column: 'device_id', values: [r.node.id] }], null), []);
    assert.deepEqual(await r.store.nodes().runningOperations(), []);
  });
});
