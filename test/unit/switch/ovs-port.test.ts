/** The one Open vSwitch port model: the ovsdb driver and the SSH `ovs` profile read every vlan_mode alike. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSwitchPortName, parseVlan } from '../../../src/domain/values.ts';
import { observePorts, type PortRow } from '../../../src/switch/ovs-port.ts';
import { parseOvsPorts } from '../../../src/switch/ssh/profiles/ovs-linux.ts';

const p1 = parseSwitchPortName('p1');
const vlans = (...v: number[]) => v.map(parseVlan);

const cases: readonly {
  readonly name: string;
  readonly vlanMode: string | null;
  readonly tag: number | null;
  readonly trunks: readonly number[];
  readonly untagged: number | null;
  readonly tagged: readonly number[];
  readonly carriesAllVlans?: true;
}[] = [
  { name: 'access carries tag untagged', vlanMode: 'access', tag: 100, trunks: [100], untagged: 100, tagged: [] },
  { name: 'no vlan_mode with a tag is access', vlanMode: null, tag: 100, trunks: [], untagged: 100, tagged: [] },
  {
    name: 'native-untagged: tag untagged, trunks tagged',
    vlanMode: 'native-untagged',
    tag: 100,
    trunks: [100, 200],
    untagged: 100,
    tagged: [200],
  },
  {
    name: 'native-tagged: the native VLAN leaves tagged, so it is in the tagged set',
    vlanMode: 'native-tagged',
    tag: 100,
    trunks: [200],
    untagged: null,
    tagged: [100, 200],
  },
  {
    name: 'trunk carries trunks tagged',
    vlanMode: 'trunk',
    tag: null,
    trunks: [200, 300],
    untagged: null,
    tagged: [200, 300],
  },
  {
    name: 'no tag and no trunks carries every VLAN',
    vlanMode: null,
    tag: null,
    trunks: [],
    untagged: null,
    tagged: [],
    carriesAllVlans: true,
  },
];

const set = (items: readonly (number | string[])[]) => (items.length === 1 ? items[0] : ['set', items]);

for (const c of cases) {
  test(`${c.name} (ovsdb rows and ovs-vsctl JSON agree)`, () => {
    const row: PortRow = {
      uuid: 'u-port',
      name: 'p1',
      interfaces: ['u-if'],
      tag: c.tag,
      trunks: c.trunks,
      vlanMode: c.vlanMode,
      bondMode: null,
      lacp: null,
      otherConfig: new Map(),
    };
    const fromRows = observePorts(
      {
        ports: new Map([['p1', row]]),
        interfaces: new Map([['u-if', { uuid: 'u-if', name: 'p1', adminState: 'up', macInUse: null }]]),
      },
      [p1],
    ).get(p1);
    const portTable = {
      headings: ['_uuid', 'name', 'tag', 'trunks', 'vlan_mode', 'interfaces', 'bond_mode', 'lacp', 'other_config'],
      data: [
        [
          ['uuid', 'u-port'],
          'p1',
          c.tag === null ? ['set', []] : c.tag,
          set(c.trunks),
          c.vlanMode === null ? ['set', []] : c.vlanMode,
          ['uuid', 'u-if'],
          ['set', []],
          ['set', []],
          ['map', []],
        ],
      ],
    };
    const ifaceTable = { headings: ['_uuid', 'name', 'admin_state'], data: [[['uuid', 'u-if'], 'p1', 'up']] };
    const fromVsctl = parseOvsPorts([JSON.stringify(portTable), JSON.stringify(ifaceTable)], [p1]).get(p1);
    assert.deepEqual(fromVsctl, fromRows);
    assert.equal(fromRows?.untagged ?? null, c.untagged === null ? null : parseVlan(c.untagged));
    assert.deepEqual(fromRows?.tagged, vlans(...c.tagged));
    assert.equal(fromRows?.carriesAllVlans, c.carriesAllVlans);
  });
}
