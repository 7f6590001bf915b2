import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExtraDhcpOpt, Port } from '../../../src/domain/model.ts';
import {
  type ExtraDhcpOptChange,
  mergeExtraDhcpOpts,
  type PortPatch,
  patchPort,
} from '../../../src/domain/port-patch.ts';

const LLI = { local_link_information: [{ switch_id: 'aa:bb:cc:dd:ee:ff', port_id: 'Ethernet1' }] };

/** A bound, active port: a binding change is visible as vif_type, vif_details and status resetting. */
const cur: Port = {
  id: 'p1',
  projectId: 'proj',
  name: 'nic0',
  description: 'first',
  createdAt: '2024-01-01T00:00:00Z',
  updatedAt: '2024-01-01T00:00:00Z',
  revisionNumber: 7,
  tags: ['t'],
  networkId: 'n1',
  macAddress: '52:54:00:00:00:01',
  adminStateUp: true,
  status: 'ACTIVE',
  deviceId: 'node-1',
  deviceOwner: 'baremetal:none',
  fixedIps: [{ subnetId: 's1', ipAddress: '10.0.0.5' }],
  securityGroups: ['sg1'],
  hostId: 'node-1',
  vnicType: 'baremetal',
  profile: LLI,
  vifType: 'other',
  vifDetails: { connectivity: 'l2' },
  extraDhcpOpts: [{ optName: '67', optValue: 'ipxe.efi', ipVersion: 4 }],
};
const NOW = '2024-02-02T00:00:00Z';
const UNBOUND = { vifType: 'unbound', vifDetails: {}, status: 'DOWN' } as const;
const normal: Port = { ...cur, vnicType: 'normal', profile: {} };

const cases: {
  name: string;
  from?: Port;
  patch: PortPatch;
  changes: Partial<Port>;
  bindingChanged: boolean;
  isProfileToCheck: boolean;
}[] = [
  {
    name: 'an empty update changes nothing but the revision',
    patch: {},
    changes: {},
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'name is replaced',
    patch: { name: 'x' },
    changes: { name: 'x' },
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'description is replaced, also by the empty string',
    patch: { description: '' },
    changes: { description: '' },
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'admin_state_up false is kept (not taken for absent)',
    patch: { adminStateUp: false },
    changes: { adminStateUp: false },
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'device_id and device_owner cleared to the empty string',
    patch: { deviceId: '', deviceOwner: '' },
    changes: { deviceId: '', deviceOwner: '' },
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'security groups replaced by an empty list',
    patch: { securityGroups: [] },
    changes: { securityGroups: [] },
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'fixed IPs replaced as resolved by the caller, without rebinding',
    patch: { fixedIps: [{ subnetId: 's2', ipAddress: '10.1.0.9' }] },
    changes: { fixedIps: [{ subnetId: 's2', ipAddress: '10.1.0.9' }] },
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'a new host unbinds the port until the reconciler binds it',
    patch: { hostId: 'node-2' },
    changes: { hostId: 'node-2', ...UNBOUND },
    bindingChanged: true,
    isProfileToCheck: false,
  },
  {
    name: 'clearing the host unbinds the port',
    patch: { hostId: '' },
    changes: { hostId: '', ...UNBOUND },
    bindingChanged: true,
    isProfileToCheck: false,
  },
  {
    name: 'the same host sent again keeps the binding',
    patch: { hostId: 'node-1' },
    changes: {},
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'a new MAC unbinds the port',
    patch: { macAddress: '52:54:00:00:00:02' },
    changes: { macAddress: '52:54:00:00:00:02', ...UNBOUND },
    bindingChanged: true,
    isProfileToCheck: false,
  },
  {
    name: 'the same MAC keeps the binding',
    patch: { macAddress: '52:54:00:00:00:01' },
    changes: {},
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'a different profile on a bare-metal port unbinds it and must be checked',
    patch: { profile: {} },
    changes: { profile: {}, ...UNBOUND },
    bindingChanged: true,
    isProfileToCheck: true,
  },
  {
    name: 'an equal profile sent again keeps the binding but is still checked on a bare-metal port',
    patch: { profile: structuredClone(LLI) },
    changes: { profile: LLI },
    bindingChanged: false,
    isProfileToCheck: true,
  },
  {
    name: 'a profile on a normal port is not checked as bare metal',
    from: normal,
    patch: { profile: { anything: 1 } },
    changes: { profile: { anything: 1 }, ...UNBOUND },
    bindingChanged: true,
    isProfileToCheck: false,
  },
  {
    name: 'becoming baremetal without a profile checks the stored profile',
    from: normal,
    patch: { vnicType: 'baremetal' },
    changes: { vnicType: 'baremetal', ...UNBOUND },
    bindingChanged: true,
    isProfileToCheck: true,
  },
  {
    name: 'the same VNIC type sent again without a profile is not checked',
    patch: { vnicType: 'baremetal' },
    changes: {},
    bindingChanged: false,
    isProfileToCheck: false,
  },
  {
    name: 'leaving baremetal unbinds and needs no profile check',
    patch: { vnicType: 'normal' },
    changes: { vnicType: 'normal', ...UNBOUND },
    bindingChanged: true,
    isProfileToCheck: false,
  },
  {
    name: 'extra DHCP options merge into the stored ones',
    patch: { extraDhcpOpts: [{ optName: '66', optValue: '10.0.0.1', ipVersion: 4 }] },
    changes: {
      extraDhcpOpts: [
        { optName: '67', optValue: 'ipxe.efi', ipVersion: 4 },
        { optName: '66', optValue: '10.0.0.1', ipVersion: 4 },
      ],
    },
    bindingChanged: false,
    isProfileToCheck: false,
  },
];

for (const c of cases) {
  test(`port update: ${c.name}`, () => {
    const from = c.from ?? cur;
    const got = patchPort(from, c.patch, NOW);
    assert.deepEqual(got.port, { ...from, ...c.changes, updatedAt: NOW, revisionNumber: from.revisionNumber + 1 });
    assert.equal(got.bindingChanged, c.bindingChanged);
    assert.equal(got.isProfileToCheck, c.isProfileToCheck);
  });
}

test('port update: the stored port is left as it was', () => {
  const before = structuredClone(cur);
  patchPort(cur, { hostId: '', extraDhcpOpts: [{ optName: '67', optValue: null, ipVersion: 4 }] }, NOW);
  assert.deepEqual(cur, before);
});

const v4 = (optName: string, optValue: string): ExtraDhcpOpt => ({ optName, optValue, ipVersion: 4 });
const stored: ExtraDhcpOpt[] = [
  v4('67', 'a'),
  v4('66', '10.0.0.1'),
  { optName: '59', optValue: 'tftp://x', ipVersion: 6 },
];
const mergeCases: { name: string; current: ExtraDhcpOpt[]; changes: ExtraDhcpOptChange[]; want: ExtraDhcpOpt[] }[] = [
  {
    name: 'same name and version replaces in place',
    current: stored,
    changes: [{ optName: '67', optValue: 'b', ipVersion: 4 }],
    want: [v4('67', 'b'), v4('66', '10.0.0.1'), { optName: '59', optValue: 'tftp://x', ipVersion: 6 }],
  },
  {
    name: 'a null value deletes the option',
    current: stored,
    changes: [{ optName: '66', optValue: null, ipVersion: 4 }],
    want: [v4('67', 'a'), { optName: '59', optValue: 'tftp://x', ipVersion: 6 }],
  },
  {
    name: 'a null value for an option the port lacks changes nothing',
    current: stored,
    changes: [{ optName: '150', optValue: null, ipVersion: 4 }],
    want: stored,
  },
  {
    name: 'the same name in the other IP version is another option',
    current: stored,
    changes: [{ optName: '59', optValue: 'v4', ipVersion: 4 }],
    want: [...stored, v4('59', 'v4')],
  },
  {
    name: 'a null value deletes only the option of its own IP version',
    current: stored,
    changes: [{ optName: '59', optValue: null, ipVersion: 4 }],
    want: stored,
  },
  {
    name: 'a new option is appended',
    current: stored,
    changes: [{ optName: '150', optValue: '10.0.0.2', ipVersion: 4 }],
    want: [...stored, v4('150', '10.0.0.2')],
  },
  {
    name: 'on a new port a null value is dropped and a repeated option keeps the last value',
    current: [],
    changes: [
      { optName: '67', optValue: 'a', ipVersion: 4 },
      { optName: '66', optValue: null, ipVersion: 4 },
      { optName: '67', optValue: 'b', ipVersion: 4 },
    ],
    want: [v4('67', 'b')],
  },
];

for (const c of mergeCases) {
  test(`extra_dhcp_opts merge (Neutron's update): ${c.name}`, () => {
    assert.deepEqual(mergeExtraDhcpOpts(c.current, c.changes), c.want);
  });
}
