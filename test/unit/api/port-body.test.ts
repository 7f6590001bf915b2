import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type PortCreate,
  type PortUpdate,
  parsePortCreate,
  parsePortUpdate,
} from '../../../src/api/neutron/port-body.ts';
import type { JsonObject } from '../../../src/api/wire.ts';
import { BmnetError } from '../../../src/domain/errors.ts';
import { type Caller, VNIC_TYPES } from '../../../src/domain/model.ts';
import { SYSTEM_CALLER } from '../../../src/domain/policy.ts';
import { parseMac } from '../../../src/domain/values.ts';

const ADMIN = SYSTEM_CALLER;
const MEMBER: Caller = { projectId: 'p1', roles: ['member'], isAdmin: false, isService: false };
const LLI = { local_link_information: [{ switch_id: 'aa:bb:cc:dd:ee:ff', port_id: 'Ethernet1' }] };

/** The status and message the Neutron error body carries. */
function failure(f: () => unknown): { status: number; message: string } {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BmnetError, `not a Neutron error: ${String(e)}`);
    return { status: e.status, message: e.message };
  }
  assert.fail('parsed without an error');
}

const invalid = (attr: string, reason: string) => ({
  status: 400,
  message: `Invalid input for ${attr}. Reason: ${reason}.`,
});
const invalidInput = (detail: string) => ({ status: 400, message: `Invalid input for operation: ${detail}.` });

const updates: { name: string; body: JsonObject; want: PortUpdate }[] = [
  { name: 'an empty body names nothing', body: {}, want: {} },
  { name: 'name', body: { name: 'nic0' }, want: { name: 'nic0' } },
  { name: 'description', body: { description: '' }, want: { description: '' } },
  { name: 'admin_state_up as Neutron converts it', body: { admin_state_up: 'False' }, want: { adminStateUp: false } },
  {
    name: 'mac_address normalised',
    body: { mac_address: 'AA-BB-CC-DD-EE-01' },
    want: { macAddress: parseMac('aa:bb:cc:dd:ee:01') },
  },
  { name: 'mac_address null asks for a fresh one', body: { mac_address: null }, want: { macAddress: null } },
  {
    name: 'fixed_ips by subnet or address',
    body: { fixed_ips: [{ subnet_id: 's1' }, { ip_address: '10.0.0.5' }] },
    want: { fixedIps: [{ subnetId: 's1' }, { ipAddress: '10.0.0.5' }] },
  },
  { name: 'device_id null clears it', body: { device_id: null }, want: { deviceId: '' } },
  { name: 'device_owner', body: { device_owner: 'baremetal:none' }, want: { deviceOwner: 'baremetal:none' } },
  { name: 'security_groups null clears them', body: { security_groups: null }, want: { securityGroups: [] } },
  { name: 'security_groups', body: { security_groups: ['a', 'b'] }, want: { securityGroups: ['a', 'b'] } },
  { name: 'binding:host_id null clears it', body: { 'binding:host_id': null }, want: { hostId: '' } },
  { name: 'binding:vnic_type', body: { 'binding:vnic_type': 'baremetal' }, want: { vnicType: 'baremetal' } },
  { name: 'binding:profile null is the empty profile', body: { 'binding:profile': null }, want: { profile: {} } },
  {
    name: 'binding:profile is kept as sent, to be checked against the resulting VNIC type',
    body: { 'binding:profile': { local_link_information: 'not a list' } },
    want: { profile: { local_link_information: 'not a list' } },
  },
  {
    name: 'extra_dhcp_opts with a deletion',
    body: {
      extra_dhcp_opts: [
        { opt_name: 'bootfile-name', opt_value: 'ipxe.efi' },
        { opt_name: '66', opt_value: null },
      ],
    },
    want: {
      extraDhcpOpts: [
        { optName: 'bootfile-name', optValue: 'ipxe.efi', ipVersion: 4 },
        { optName: '66', optValue: null, ipVersion: 4 },
      ],
    },
  },
  { name: 'extra_dhcp_opts null changes none', body: { extra_dhcp_opts: null }, want: { extraDhcpOpts: [] } },
  {
    name: 'accepted attributes bmnet does not model are ignored',
    body: { port_security_enabled: true, allowed_address_pairs: [], qos_policy_id: null, dns_name: 'x' },
    want: {},
  },
];

for (const c of updates) {
  test(`port update body parses ${c.name}`, () => {
    assert.deepEqual(parsePortUpdate(ADMIN, c.body), c.want);
  });
}

const badUpdates: { name: string; caller?: Caller; body: JsonObject; want: { status: number; message: string } }[] = [
  {
    name: 'a read-only attribute',
    body: { network_id: 'n2', foo: 1 },
    want: { status: 400, message: 'Cannot update read-only attribute network_id' },
  },
  {
    name: 'binding:vif_type is read-only',
    body: { 'binding:vif_type': 'ovs' },
    want: { status: 400, message: 'Cannot update read-only attribute binding:vif_type' },
  },
  {
    name: 'unknown attributes, all named',
    body: { name: 'x', foo: 1, bar: 2 },
    want: { status: 400, message: "Unrecognized attribute(s) 'foo, bar'" },
  },
  {
    name: 'an unknown binding attribute is unknown before it is forbidden',
    caller: MEMBER,
    body: { 'binding:foo': 1 },
    want: { status: 400, message: "Unrecognized attribute(s) 'binding:foo'" },
  },
  {
    name: 'a binding attribute set by a member, before its value is read',
    caller: MEMBER,
    body: { 'binding:host_id': 5 },
    want: { status: 403, message: '(rule:update_port:binding:host_id) is disallowed by policy' },
  },
  { name: 'name not a string', body: { name: 5 }, want: invalid('name', "'5' is not a valid string") },
  {
    name: 'name too long',
    body: { name: 'n'.repeat(256) },
    want: invalid('name', `'${'n'.repeat(256)}' exceeds maximum length of 255`),
  },
  {
    name: 'description null',
    body: { description: null },
    want: invalid('description', "'null' is not a valid string"),
  },
  {
    name: 'admin_state_up not a boolean',
    body: { admin_state_up: 'maybe' },
    want: invalid('admin_state_up', `'"maybe"' cannot be converted to boolean`),
  },
  {
    name: 'mac_address not a string',
    body: { mac_address: 1 },
    want: invalid('mac_address', "'1' is not a valid string"),
  },
  { name: 'mac_address not a MAC', body: { mac_address: 'zz' }, want: invalidInput("'zz' is not a valid MAC address") },
  { name: 'fixed_ips not a list', body: { fixed_ips: 'x' }, want: invalid('fixed_ips', `'"x"' is not a list`) },
  {
    name: 'fixed_ips entry naming neither subnet nor address',
    body: { fixed_ips: [{}] },
    want: invalid('fixed_ips', "'{}' names neither subnet_id nor ip_address"),
  },
  {
    name: 'fixed_ips entry with an unknown key',
    body: { fixed_ips: [{ subnet: 's1' }] },
    want: { status: 400, message: "Unrecognized attribute(s) 'subnet'" },
  },
  { name: 'device_id a number', body: { device_id: 3 }, want: invalid('device_id', "'3' is not a valid string") },
  {
    name: 'device_owner a list',
    body: { device_owner: [] },
    want: invalid('device_owner', "'[]' is not a valid string"),
  },
  {
    name: 'security_groups a string',
    body: { security_groups: 'sg' },
    want: invalid('security_groups', `'"sg"' is not a list`),
  },
  {
    name: 'binding:host_id a number',
    body: { 'binding:host_id': 5 },
    want: invalid('binding:host_id', "'5' is not a valid string"),
  },
  {
    name: 'binding:vnic_type not a known type',
    body: { 'binding:vnic_type': 'weird' },
    want: invalid('binding:vnic_type', `'"weird"' is not in ${JSON.stringify(VNIC_TYPES)}`),
  },
  {
    name: 'binding:profile a string',
    body: { 'binding:profile': 'x' },
    want: invalid('binding:profile', `'"x"' is not a dictionary`),
  },
  {
    name: 'extra_dhcp_opts not a list',
    body: { extra_dhcp_opts: {} },
    want: invalid('extra_dhcp_opts', "'{}' is not a list"),
  },
  {
    name: 'extra_dhcp_opts with an empty name',
    body: { extra_dhcp_opts: [{ opt_name: ' ', opt_value: 'x' }] },
    want: invalid('extra_dhcp_opts', "opt_name ' ' must be 1 to 64 characters"),
  },
  {
    name: 'extra_dhcp_opts with an option DHCP cannot send',
    body: { extra_dhcp_opts: [{ opt_name: '300', opt_value: 'x' }] },
    want: invalidInput("extra_dhcp_opt '300' = 'x': option numbers are 1-254"),
  },
  {
    name: 'the first bad value in body order wins: mac_address before name',
    body: { name: 5, mac_address: 'zz' },
    want: invalidInput("'zz' is not a valid MAC address"),
  },
];

for (const c of badUpdates) {
  test(`port update body refuses ${c.name}`, () => {
    assert.deepEqual(
      failure(() => parsePortUpdate(c.caller ?? ADMIN, c.body)),
      c.want,
    );
  });
}

const DEFAULTS: PortCreate = {
  networkId: 'n1',
  vnicType: 'normal',
  extraDhcpOpts: [],
  name: '',
  description: '',
  adminStateUp: true,
  deviceId: '',
  deviceOwner: '',
  securityGroups: [],
  hostId: '',
  profile: {},
};

const creates: { name: string; body: JsonObject; want: Partial<PortCreate> }[] = [
  { name: 'only network_id: the defaults', body: { network_id: 'n1' }, want: {} },
  { name: 'project_id', body: { network_id: 'n1', project_id: 'p2' }, want: { projectId: 'p2' } },
  {
    name: 'tenant_id when project_id is absent',
    body: { network_id: 'n1', tenant_id: 'p3' },
    want: { projectId: 'p3' },
  },
  {
    name: 'project_id before tenant_id',
    body: { network_id: 'n1', project_id: 'p2', tenant_id: 'p3' },
    want: { projectId: 'p2' },
  },
  { name: 'mac_address null is a generated one', body: { network_id: 'n1', mac_address: null }, want: {} },
  {
    name: 'mac_address',
    body: { network_id: 'n1', mac_address: 'AA:BB:CC:DD:EE:02' },
    want: { macAddress: parseMac('aa:bb:cc:dd:ee:02') },
  },
  {
    name: 'fixed_ips',
    body: { network_id: 'n1', fixed_ips: [{ subnet_id: 's1' }] },
    want: { fixedIps: [{ subnetId: 's1' }] },
  },
  {
    name: 'an empty fixed_ips list is kept (no address)',
    body: { network_id: 'n1', fixed_ips: [] },
    want: { fixedIps: [] },
  },
  {
    name: 'every plain field',
    body: {
      network_id: 'n1',
      name: 'a',
      description: 'b',
      admin_state_up: 0,
      device_id: 'd',
      device_owner: null,
      security_groups: ['sg'],
      'binding:host_id': 'h',
    },
    want: { name: 'a', description: 'b', adminStateUp: false, deviceId: 'd', securityGroups: ['sg'], hostId: 'h' },
  },
  {
    name: 'a bare-metal port with its link information',
    body: { network_id: 'n1', 'binding:vnic_type': 'baremetal', 'binding:profile': LLI },
    want: { vnicType: 'baremetal', profile: LLI },
  },
  {
    name: 'a normal port with any profile',
    body: { network_id: 'n1', 'binding:profile': { local_link_information: 'x' } },
    want: { profile: { local_link_information: 'x' } },
  },
  {
    name: 'extra_dhcp_opts',
    body: { network_id: 'n1', extra_dhcp_opts: [{ opt_name: 'tftp-server', opt_value: '10.0.0.1', ip_version: 4 }] },
    want: { extraDhcpOpts: [{ optName: 'tftp-server', optValue: '10.0.0.1', ipVersion: 4 }] },
  },
];

for (const c of creates) {
  test(`port create body parses ${c.name}`, () => {
    assert.deepEqual(parsePortCreate(ADMIN, c.body), { ...DEFAULTS, ...c.want });
  });
}

const badCreates: { name: string; caller?: Caller; body: JsonObject; want: { status: number; message: string } }[] = [
  {
    name: 'an unknown attribute, before a missing network_id',
    body: { status: 'ACTIVE' },
    want: { status: 400, message: "Unrecognized attribute(s) 'status'" },
  },
  {
    name: 'a binding attribute from a member, before a missing network_id',
    caller: MEMBER,
    body: { 'binding:profile': {} },
    want: { status: 403, message: '(rule:create_port:binding:profile) is disallowed by policy' },
  },
  { name: 'no network_id', body: { name: 'x' }, want: invalidInput("'network_id' is required") },
  { name: 'network_id null', body: { network_id: null }, want: invalid('network_id', "'null' is not a valid string") },
  {
    name: 'project_id not a string',
    body: { network_id: 'n1', project_id: 7 },
    want: invalid('project_id', "'7' is not a valid string"),
  },
  {
    name: 'a bad tenant_id is reported as project_id',
    body: { network_id: 'n1', tenant_id: 7 },
    want: invalid('project_id', "'7' is not a valid string"),
  },
  {
    name: 'a bare-metal profile with a list that is not one',
    body: { network_id: 'n1', 'binding:vnic_type': 'baremetal', 'binding:profile': { local_link_information: {} } },
    want: invalidInput('binding:profile.local_link_information must be a list'),
  },
  {
    name: 'a bare-metal profile entry without port_id',
    body: {
      network_id: 'n1',
      'binding:vnic_type': 'baremetal',
      'binding:profile': { local_link_information: [{ switch_id: 'aa:bb:cc:dd:ee:ff' }] },
    },
    want: invalidInput('binding:profile.local_link_information[0].port_id is required'),
  },
  {
    name: 'a bare-metal profile with an unknown bond mode',
    body: {
      network_id: 'n1',
      'binding:vnic_type': 'baremetal',
      'binding:profile': { local_group_information: { bond_mode: 'fast' } },
    },
    want: invalidInput(
      "binding:profile.local_group_information.bond_mode 'fast' is not a Linux bonding mode (802.3ad, active-backup, balance-rr, …)",
    ),
  },
  {
    name: 'a bare-metal port with no profile is fine, a bad vnic type is not',
    body: { network_id: 'n1', 'binding:vnic_type': 3 },
    want: invalid('binding:vnic_type', `'3' is not in ${JSON.stringify(VNIC_TYPES)}`),
  },
  {
    name: 'the first bad value in body order wins: mac_address before extra_dhcp_opts',
    body: { network_id: 'n1', extra_dhcp_opts: 'x', mac_address: 'zz' },
    want: invalidInput("'zz' is not a valid MAC address"),
  },
];

for (const c of badCreates) {
  test(`port create body refuses ${c.name}`, () => {
    assert.deepEqual(
      failure(() => parsePortCreate(c.caller ?? ADMIN, c.body)),
      c.want,
    );
  });
}
