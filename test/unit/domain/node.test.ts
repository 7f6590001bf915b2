import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Port } from '../../../src/domain/model.ts';
import {
  type Node,
  planNodeTransition,
  pxeDhcpOptions,
  SERVICE_OWNER,
  TENANT_OWNER,
} from '../../../src/domain/node.ts';

const node: Node = {
  id: 'n1',
  name: 'node-1',
  nics: [
    {
      mac: '52:54:00:00:00:01',
      localLinkInformation: [{ switchInfo: 'tor1', portId: 'eth1' }],
      physicalNetwork: 'physnet1',
      isPxeEnabled: true,
    },
    {
      mac: '52:54:00:00:00:02',
      localLinkInformation: [{ switchInfo: 'tor1', portId: 'eth2' }],
      physicalNetwork: 'physnet1',
      isPxeEnabled: false,
    },
  ],
  portGroups: [
    { name: 'pg0', mode: '802.3ad', properties: { miimon: 100 }, members: ['52:54:00:00:00:01', '52:54:00:00:00:02'] },
  ],
  boot: {
    mode: 'bios',
    pxeFile: 'undionly.kpxe',
    ipxeScript: 'http://10.0.0.1:8080/node-1.ipxe',
    tftpServer: '10.0.0.1',
  },
  stage: 'isolated',
  targetStage: null,
  lastError: null,
  createdAt: '',
  updatedAt: '',
  revisionNumber: 1,
};
const port = (id: string, networkId: string, mac: string, owner: string, hostId = 'n1') =>
  ({ id, networkId, macAddress: mac, deviceOwner: owner, hostId }) as Port;

test("Ironic's iPXE option set: PXE file for firmware, script for iPXE, TFTP server as 66, 150 and siaddr", () => {
  assert.deepEqual(
    pxeDhcpOptions(node.boot).map((o) => `${o.optName}=${o.optValue}`),
    [
      'tag:!ipxe,67=undionly.kpxe',
      'tag:ipxe,67=http://10.0.0.1:8080/node-1.ipxe',
      '66=10.0.0.1',
      '150=10.0.0.1',
      '255=10.0.0.1',
    ],
  );
});

test('a service stage: one port per PXE-enabled NIC with PXE options; other service ports deleted, tenant ports unbound', () => {
  const plan = planNodeTransition(
    node,
    'provisioning',
    [
      port('old', 'cleaning', '52:54:00:00:00:01', SERVICE_OWNER),
      port('t', 'tenant', '52:54:00:00:00:01', TENANT_OWNER),
    ],
    'prov',
    [],
  );
  assert.deepEqual(plan.deletes, ['old']);
  assert.deepEqual(plan.unbinds, ['t']);
  assert.equal(plan.wanted.length, 1);
  assert.equal(plan.wanted[0]?.want.networkId, 'prov');
  assert.equal(plan.wanted[0]?.want.mac, '52:54:00:00:00:01');
  assert.equal(plan.wanted[0]?.want.extraDhcpOpts.length, 5);
  assert.deepEqual(plan.wanted[0]?.want.profile.local_link_information, [{ port_id: 'eth1', switch_info: 'tor1' }]);
});

test('repeating a stage re-uses its port (idempotent)', () => {
  const existing = port('p', 'prov', '52:54:00:00:00:01', SERVICE_OWNER);
  const plan = planNodeTransition(node, 'provisioning', [existing], 'prov', []);
  assert.deepEqual(plan.deletes, []);
  assert.equal(plan.wanted[0]?.existing?.id, 'p');
});

test('tenant on a port group: one port with every member link and the group as local_group_information', () => {
  const plan = planNodeTransition(node, 'tenant', [port('svc', 'prov', '52:54:00:00:00:01', SERVICE_OWNER)], null, [
    { networkId: 'tn', portGroup: 'pg0' },
  ]);
  assert.deepEqual(plan.deletes, ['svc']);
  const w = plan.wanted[0]?.want;
  assert.equal((w?.profile.local_link_information as unknown[] | undefined)?.length, 2);
  assert.deepEqual(w?.profile.local_group_information, {
    id: 'n1/pg0',
    name: 'pg0',
    bond_mode: '802.3ad',
    bond_properties: { bond_miimon: 100 },
  });
  assert.deepEqual(w?.extraDhcpOpts, []);
});

test('isolated: every service port deleted, every tenant port unbound', () => {
  const plan = planNodeTransition(
    node,
    'isolated',
    [port('s', 'prov', 'm', SERVICE_OWNER), port('t', 'tn', 'm', TENANT_OWNER), port('u', 'tn', 'x', TENANT_OWNER, '')],
    null,
    [],
  );
  assert.deepEqual(plan.deletes, ['s']);
  assert.deepEqual(plan.unbinds, ['t']);
  assert.deepEqual(plan.wanted, []);
});
