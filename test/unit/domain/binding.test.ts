import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BindingCandidate,
  decideBinding,
  desiredSwitchState,
  lagModeOf,
  type PortToBind,
  type SwitchFacts,
} from '../../../src/domain/binding.ts';
import type { SwitchPortName } from '../../../src/domain/values.ts';

const tor1: SwitchFacts = {
  name: 'tor1',
  identities: ['00:00:8e:3a:45:1b:22:4f', '8e:3a:45:1b:22:4f'],
  physnets: ['physnet1'],
  protectedPorts: ['uplink0'],
  supportsLag: true,
};
const tor2: SwitchFacts = {
  name: 'tor2',
  identities: [],
  physnets: ['physnet2'],
  protectedPorts: [],
  supportsLag: false,
};
const SW = [tor1, tor2];
const bm = (lli: unknown[], extra: Partial<PortToBind> = {}, lgi?: unknown): PortToBind => ({
  portId: 'p1',
  hostId: 'node-1',
  vnicType: 'baremetal',
  profile: { local_link_information: lli, ...(lgi ? { local_group_information: lgi } : {}) },
  segment: { networkType: 'vlan', physnet: 'physnet1', vlan: 100 },
  flatVlan: null,
  ...extra,
});

const decisions: { name: string; port: PortToBind; want: string }[] = [
  {
    name: 'by datapath_id',
    port: bm([{ switch_id: '00:00:8E:3A:45:1B:22:4F', port_id: 'eth1' }]),
    want: 'bind tor1:eth1 vlan 100',
  },
  {
    name: 'by MAC in another spelling',
    port: bm([{ switch_id: '8e-3a-45-1b-22-4f', port_id: 'eth1' }]),
    want: 'bind tor1:eth1 vlan 100',
  },
  {
    name: 'by switch_info when switch_id is unknown',
    port: bm([{ switch_id: '52:54:00:00:00:01', switch_info: 'tor1', port_id: 'eth2' }]),
    want: 'bind tor1:eth2 vlan 100',
  },
  {
    name: 'unknown switch fails',
    port: bm([{ switch_id: '52:54:00:00:00:01', port_id: 'eth1' }]),
    want: 'fail: local_link_information[0]: no switch answers',
  },
  {
    name: 'switch not on the physnet fails',
    port: bm([{ switch_info: 'tor2', port_id: 'eth1' }]),
    want: 'fail: switch tor2 does not serve physical network physnet1',
  },
  {
    name: 'protected port fails',
    port: bm([{ switch_info: 'tor1', port_id: 'uplink0' }]),
    want: 'fail: switch tor1 port uplink0 is protected',
  },
  {
    name: 'bad port name fails',
    port: bm([{ switch_info: 'tor1', port_id: 'eth1; reboot' }]),
    want: "fail: local_link_information[0]: 'eth1; reboot' is not a switch port name",
  },
  {
    name: 'normal vnic is not managed',
    port: bm([{ switch_info: 'tor1', port_id: 'eth1' }], { vnicType: 'normal' }),
    want: 'not-managed',
  },
  { name: 'empty profile (IPAM seed) is not managed', port: { ...bm([]), profile: {} }, want: 'not-managed' },
  { name: 'unmanaged links need no switch', port: bm([{ network_type: 'unmanaged' }]), want: 'unmanaged' },
  {
    name: 'flat without flat_vlan fails',
    port: bm([{ switch_info: 'tor1', port_id: 'eth1' }], {
      segment: { networkType: 'flat', physnet: 'physnet1', vlan: null },
    }),
    want: 'fail: physical network physnet1 has no flat_vlan',
  },
  {
    name: 'flat with flat_vlan binds',
    port: bm([{ switch_info: 'tor1', port_id: 'eth1' }], {
      segment: { networkType: 'flat', physnet: 'physnet1', vlan: null },
      flatVlan: 5,
    }),
    want: 'bind tor1:eth1 vlan 5',
  },
  {
    name: '802.3ad port group is one LACP LAG',
    port: bm(
      [
        { switch_info: 'tor1', port_id: 'eth1' },
        { switch_info: 'tor1', port_id: 'eth2' },
      ],
      {},
      { id: 'pg-1', bond_mode: '802.3ad', bond_properties: { bond_lacp_rate: 'fast' } },
    ),
    want: 'bind tor1:eth1,tor1:eth2 vlan 100 lag pg-1 lacp fast',
  },
  {
    name: 'active-backup port group needs no LAG',
    port: bm(
      [
        { switch_info: 'tor1', port_id: 'eth1' },
        { switch_info: 'tor1', port_id: 'eth2' },
      ],
      {},
      { id: 'pg-1', bond_mode: 'active-backup' },
    ),
    want: 'bind tor1:eth1,tor1:eth2 vlan 100',
  },
];
const show = (d: ReturnType<typeof decideBinding>): string => {
  if (d.kind === 'fail') return `fail: ${d.reason}`;
  if (d.kind !== 'bind') return d.kind;
  const lag = d.group
    ? ` lag ${d.group.key} ${d.group.settings.mode}${d.group.settings.lacpRate ? ` ${d.group.settings.lacpRate}` : ''}`
    : '';
  return `bind ${d.links.map((l) => `${l.switchName}:${l.port}`).join(',')} vlan ${d.vlan}${lag}`;
};
for (const c of decisions)
  test(`binding: ${c.name}`, () =>
    assert.ok(show(decideBinding(c.port, SW)).startsWith(c.want), show(decideBinding(c.port, SW))));

test('bond modes map as networking-baremetal classifies them', () => {
  assert.equal(lagModeOf('802.3ad'), 'lacp');
  assert.equal(lagModeOf(4), 'lacp');
  assert.equal(lagModeOf('balance-xor'), 'static');
  assert.equal(lagModeOf('1'), null);
  assert.equal(lagModeOf(undefined), null);
});

const cand = (
  portId: string,
  vlan: number,
  ports: string[],
  isHolding: boolean,
  createdAt = '2026-01-01T00:00:00Z',
): BindingCandidate => ({
  portId,
  isHolding,
  createdAt,
  decision: {
    kind: 'bind',
    vlan: vlan as never,
    links: ports.map((p) => ({ switchName: 'tor1', port: p as SwitchPortName })),
    group: null,
  },
});

test('invariant 1: the binding holding a switch port keeps it; the newcomer on another VLAN fails', () => {
  const s = desiredSwitchState(
    [
      cand('new', 200, ['eth1'], false, '2026-01-01T00:00:00Z'),
      cand('old', 100, ['eth1'], true, '2026-02-01T00:00:00Z'),
    ],
    [],
    () => 'x' as SwitchPortName,
  );
  assert.deepEqual(s.switches.get('tor1')?.get('eth1' as SwitchPortName), {
    kind: 'access',
    vlan: 100,
    owners: ['old'],
  });
  assert.match(s.failed.get('new') ?? '', /port eth1 already carries VLAN 100 untagged for port old/);
});

test('two ports of one network on one NIC share it; known ports bound to nothing go to the default', () => {
  const s = desiredSwitchState(
    [cand('a', 100, ['eth1'], false), cand('b', 100, ['eth1'], false)],
    [{ switchName: 'tor1', port: 'eth9' as SwitchPortName }],
    () => 'x' as SwitchPortName,
  );
  assert.deepEqual(s.switches.get('tor1')?.get('eth1' as SwitchPortName), {
    kind: 'access',
    vlan: 100,
    owners: ['a', 'b'],
  });
  assert.deepEqual(s.switches.get('tor1')?.get('eth9' as SwitchPortName), { kind: 'default' });
  assert.equal(s.failed.size, 0);
});
