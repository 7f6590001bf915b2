/**
 * The store conformance spec: one function, every store. It runs here on the SQLite store in a temp
 * file; the PostgreSQL store will run the same `storeSpec`. No root needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MacAddressInUse } from '../../src/domain/errors.ts';
import type { Network, Port, Segment, Subnet } from '../../src/domain/model.ts';
import type { Node } from '../../src/domain/node.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/store.ts';

const T = '2026-12-07T00:00:00Z';
const std = { projectId: 'p1', description: '', createdAt: T, updatedAt: T, revisionNumber: 1, tags: [] };

function network(id: string, vlan: number): { network: Network; segment: Segment } {
  return {
    network: {
      ...std,
      id,
      name: `net-${id}`,
      adminStateUp: true,
      shared: false,
      external: false,
      mtu: 1500,
      status: 'ACTIVE',
      portSecurityEnabled: true,
    },
    segment: {
      id: `seg-${id}`,
      networkId: id,
      name: '',
      description: '',
      networkType: 'vlan',
      physicalNetwork: 'physnet1',
      segmentationId: vlan,
      createdAt: T,
      updatedAt: T,
      revisionNumber: 1,
    },
  };
}

function subnet(id: string, networkId: string): Subnet {
  return {
    ...std,
    id,
    name: `sub-${id}`,
    networkId,
    segmentId: null,
    ipVersion: 4,
    cidr: '10.0.0.0/24',
    gatewayIp: '10.0.0.1',
    allocationPools: [{ start: '10.0.0.10', end: '10.0.0.200' }],
    dnsNameservers: [],
    hostRoutes: [],
    enableDhcp: true,
    ipv6AddressMode: null,
    ipv6RaMode: null,
  };
}

function port(id: string, networkId: string, mac: string, fixedIps: Port['fixedIps'] = []): Port {
  return {
    ...std,
    id,
    name: `port-${id}`,
    networkId,
    macAddress: mac,
    adminStateUp: true,
    status: 'DOWN',
    deviceId: '',
    deviceOwner: 'baremetal:none',
    fixedIps,
    securityGroups: [],
    hostId: 'node-1',
    vnicType: 'baremetal',
    profile: {},
    vifType: 'unbound',
    vifDetails: {},
    extraDhcpOpts: [],
  };
}

const node: Node = {
  id: 'n1',
  name: 'node-1',
  nics: [],
  portGroups: [],
  boot: { mode: 'uefi', pxeFile: 'snponly.efi', ipxeScript: 'http://boot/boot.ipxe', tftpServer: null },
  stage: 'provisioning',
  targetStage: null,
  lastError: null,
  createdAt: T,
  updatedAt: T,
  revisionNumber: 1,
};

/** The behaviour every store gives: repositories, transactions with their outbox event, rollback. */
export function storeSpec(open: () => Promise<Store>): void {
  const withStore = (name: string, fn: (store: Store) => Promise<void>) =>
    test(name, async () => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });

  withStore('a committed transaction keeps its rows and its outbox event, and tells the feed', async (store) => {
    const start = await store.outbox.lastId();
    let commits = 0;
    const off = store.onCommit(() => commits++);
    const { network: n, segment: s } = network('a', 101);
    await store.transaction(async (tx) => {
      await tx.networks.insert(n, s);
      await tx.outbox.add('network-created', n.id, { vlan: 101 });
    });
    off();
    assert.equal(commits, 1);
    assert.deepEqual(await store.networks.get('a'), { network: n, segment: s });
    const events = await store.eventsAfter(start);
    assert.deepEqual(
      events.map((e) => [e.kind, e.resourceId, e.payload]),
      [['network-created', 'a', { vlan: 101 }]],
    );
    assert.equal(await store.lastEventId(), events[0]?.id);
  });

  withStore('a transaction that throws leaves neither its row nor its event (invariant 5)', async (store) => {
    const start = await store.lastEventId();
    const { network: n, segment: s } = network('b', 102);
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.insertNetwork(n, s);
        await tx.addEvent('network-created', n.id);
        throw new Error('decided against it');
      }),
      /decided against it/,
    );
    assert.equal(await store.getNetwork('b'), null);
    assert.deepEqual(await store.eventsAfter(start), []);
  });

  withStore('a second port with the same MAC on a network is MacAddressInUse, and rolls back', async (store) => {
    const { network: n, segment: s } = network('c', 103);
    await store.transaction((tx) => tx.insertNetwork(n, s));
    await store.transaction((tx) => tx.ports.insert(port('p1', 'c', 'fa:16:3e:00:00:01')));
    const start = await store.lastEventId();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.addEvent('port-created', 'p2');
        await tx.ports.insert(port('p2', 'c', 'fa:16:3e:00:00:01'));
      }),
      (err) => err instanceof MacAddressInUse && err.status === 409 && /fa:16:3e:00:00:01 is in use/.test(err.message),
    );
    assert.equal(await store.getPort('p2'), null);
    assert.deepEqual(await store.eventsAfter(start), []);
    assert.equal((await store.portOnNetworkWithMac('c', 'fa:16:3e:00:00:01'))?.id, 'p1');
    await store.transaction((tx) => tx.ports.update({ ...port('p1', 'c', 'fa:16:3e:00:00:02'), revisionNumber: 2 }));
    assert.equal((await store.getPort('p1'))?.macAddress, 'fa:16:3e:00:00:02');
  });

  withStore('networks: get, list with filters and visibility, update, delete', async (store) => {
    const a = network('n1', 201);
    const b = { ...network('n2', 202), network: { ...network('n2', 202).network, projectId: 'p2' } };
    await store.transaction(async (tx) => {
      await tx.networks.insert(a.network, a.segment);
      await tx.networks.insert(b.network, b.segment);
    });
    assert.deepEqual(
      (await store.networks.list([], null)).map((x) => x.network.id),
      ['n1', 'n2'],
    );
    assert.deepEqual(
      (await store.networks.list([], { projectId: 'p2' })).map((x) => x.network.id),
      ['n2'],
    );
    assert.deepEqual(
      (await store.listNetworks([{ column: 'name', values: ['net-n1'] }], null)).map((x) => x.network.id),
      ['n1'],
    );
    assert.deepEqual(
      (await store.listNetworks([], null, { limit: 1, markerId: 'n1', reverse: false })).map((x) => x.network.id),
      ['n2'],
    );
    assert.deepEqual(await store.usedVlans('physnet1'), new Set([201, 202]));
    assert.equal((await store.segmentOnPhysnet('physnet1', 'vlan', 202))?.networkId, 'n2');
    await store.transaction((tx) => tx.networks.update({ ...a.network, name: 'renamed' }, a.segment));
    assert.equal((await store.getNetwork('n1'))?.network.name, 'renamed');
    await store.transaction((tx) => tx.networks.delete('n1'));
    assert.equal(await store.getNetwork('n1'), null);
    assert.equal(await store.getSegment('seg-n1'), null);
  });

  withStore('subnets: get, list, of networks, update, delete', async (store) => {
    const { network: n, segment: s } = network('s', 301);
    await store.transaction(async (tx) => {
      await tx.networks.insert(n, s);
      await tx.subnets.insert(subnet('sn1', 's'));
    });
    assert.deepEqual(await store.subnets.get('sn1'), subnet('sn1', 's'));
    assert.deepEqual(
      (await store.listSubnets([], null)).map((x) => x.id),
      ['sn1'],
    );
    assert.deepEqual(
      (await store.subnetsOfNetworks(['s'])).map((x) => x.id),
      ['sn1'],
    );
    await store.transaction((tx) => tx.subnets.update({ ...subnet('sn1', 's'), name: 'renamed' }));
    assert.equal((await store.getSubnet('sn1'))?.name, 'renamed');
    await store.transaction((tx) => tx.deleteSubnet('sn1'));
    assert.equal(await store.getSubnet('sn1'), null);
  });

  withStore('ports: get, list, addresses, bindable, delete', async (store) => {
    const { network: n, segment: s } = network('q', 401);
    const p = port('pa', 'q', 'fa:16:3e:00:01:01', [{ subnetId: 'sq', ipAddress: '10.0.0.10' }]);
    await store.transaction(async (tx) => {
      await tx.networks.insert(n, s);
      await tx.subnets.insert(subnet('sq', 'q'));
      await tx.ports.insert(p);
      await tx.ports.insert(port('pb', 'q', 'fa:16:3e:00:01:02'));
    });
    assert.deepEqual(await store.ports.get('pa'), p);
    assert.deepEqual(
      (await store.listPorts([], null)).map((x) => x.id),
      ['pa', 'pb'],
    );
    assert.deepEqual(
      (await store.listPorts([], null, ['pb'])).map((x) => x.id),
      ['pb'],
    );
    assert.deepEqual(await store.portIdsWithAddress({ ipAddress: ['10.0.0.10'] }), ['pa']);
    assert.equal(await store.allocationOwner('sq', '10.0.0.10'), 'pa');
    assert.equal(await store.countAllocations('sq'), 1);
    assert.equal(await store.countPorts('q', 'network:dhcp'), 2);
    assert.deepEqual(
      (await store.bindablePorts()).map((b) => [b.port.id, b.segment.segmentationId]),
      [
        ['pa', 401],
        ['pb', 401],
      ],
    );
    await store.transaction((tx) => tx.ports.delete('pa'));
    assert.equal(await store.getPort('pa'), null);
    assert.equal(await store.allocationOwner('sq', '10.0.0.10'), null);
    assert.deepEqual(await store.transaction((tx) => tx.deletePortsOfNetwork('q')), ['pb']);
    assert.deepEqual(await store.listPorts([], null), []);
  });

  withStore('switch ports: put replaces, list per switch, delete; LAG names', async (store) => {
    await store.putSwitchPort({ switchName: 'sw1', port: 'eth1', desired: { vlan: 5 }, observed: {}, isInSync: false });
    await store.putSwitchPort({
      switchName: 'sw1',
      port: 'eth1',
      desired: { vlan: 6 },
      observed: { vlan: 6 },
      isInSync: true,
    });
    await store.putSwitchPort({ switchName: 'sw2', port: 'eth1', desired: {}, observed: {}, isInSync: true });
    const sw1 = await store.switchPorts('sw1');
    assert.deepEqual(
      sw1.map(({ updatedAt: _, ...r }) => r),
      [{ switchName: 'sw1', port: 'eth1', desired: { vlan: 6 }, observed: { vlan: 6 }, isInSync: true }],
    );
    assert.equal((await store.switchPorts()).length, 2);
    await store.deleteSwitchPort('sw1', 'eth1');
    assert.deepEqual(await store.switchPorts('sw1'), []);
    await store.addLagName('sw1', 'group-a', 'bond1');
    assert.deepEqual(await store.lagNames(), [{ switchName: 'sw1', groupKey: 'group-a', lagName: 'bond1' }]);
  });

  withStore('nodes: insert, get by id or name, list, update, operations, delete', async (store) => {
    await store.transaction((tx) => tx.nodes().insert(node));
    assert.deepEqual(await store.nodes().get('node-1'), node);
    assert.deepEqual(await store.nodes().get('n1'), node);
    await store.transaction((tx) => tx.nodes().update({ ...node, lastError: 'x', revisionNumber: 2 }));
    assert.equal((await store.nodes().list())[0]?.lastError, 'x');
    const op = {
      id: 'op1',
      nodeId: 'n1',
      targetStage: node.stage,
      state: 'running' as const,
      portIds: ['pa'],
      error: null,
      createdAt: T,
      updatedAt: T,
    };
    await store.nodes().putOperation(op);
    assert.deepEqual(await store.nodes().runningOperations(), [op]);
    await store.nodes().putOperation({ ...op, state: 'succeeded' });
    assert.deepEqual(await store.nodes().runningOperations(), []);
    await store.transaction((tx) => tx.nodes().delete('n1'));
    assert.equal(await store.nodes().get('n1'), null);
    assert.equal(await store.nodes().operation('op1'), null);
  });
}

describe('SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bmnet-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  storeSpec(() => openSqliteStore(join(dir, `store-${++n}.db`), () => Date.parse(T)));
});
