import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SwitchRejected } from '../../../../src/domain/errors.js';
import type { SwitchOp } from '../../../../src/domain/switch-plan.js';
import { parseSwitchPortName, parseVlan } from '../../../../src/domain/values.js';
import { type BridgeSnapshot, datapathIdentities, observePorts } from '../../../../src/switch/ovs-port.js';
import { planTransaction } from '../../../../src/switch/ovsdb/driver.js';
import { decodeSnapshot, snapshotOps } from '../../../../src/switch/ovsdb/snapshot.js';

const name = parseSwitchPortName;
const vlans = (...v: number[]) => v.map(parseVlan);
const access = (port: string, vlan: number): SwitchOp => ({
  kind: 'set-access',
  port: name(port),
  vlan: parseVlan(vlan),
});
const EMPTY = ['set', []];

/** A `select` result as ovsdb-server sends it for bridge tor1 (one port of another bridge mixed in). */
function wireResults() {
  const port = (id: string, portName: string, interfaces: string[], extra: Record<string, unknown> = {}) => ({
    _uuid: ['uuid', id],
    name: portName,
    interfaces: interfaces.length === 1 ? ['uuid', interfaces[0]] : ['set', interfaces.map((i) => ['uuid', i])],
    tag: EMPTY,
    trunks: EMPTY,
    vlan_mode: EMPTY,
    bond_mode: EMPTY,
    lacp: EMPTY,
    other_config: ['map', []],
    ...extra,
  });
  const iface = (id: string, n: string, adminState: string) => ({
    _uuid: ['uuid', id],
    name: n,
    admin_state: adminState,
    mac_in_use: '8e:3a:45:1b:22:4f',
  });
  return [
    {
      rows: [
        {
          _uuid: ['uuid', 'b1'],
          ports: ['set', ['pbr', 'p1', 'p2', 'p3', 'p6', 'pb'].map((i) => ['uuid', i])],
          datapath_id: '00008e3a451b224f',
        },
      ],
    },
    {
      rows: [
        port('pbr', 'tor1', ['ibr']),
        port('p1', 'eth1', ['i1'], { tag: 100, vlan_mode: 'access' }),
        port('p2', 'eth2', ['i2'], { tag: 100, vlan_mode: 'access' }),
        port('p3', 'eth3', ['i3'], { tag: 300 }),
        port('p6', 'eth6', ['i6'], { vlan_mode: 'trunk', trunks: 7 }),
        port('pb', 'bond9', ['i4', 'i5'], {
          tag: 400,
          vlan_mode: 'access',
          bond_mode: 'balance-tcp',
          lacp: 'active',
          other_config: ['map', [['lacp-time', 'fast']]],
        }),
        port('px', 'elsewhere', ['ix'], { tag: 1 }),
      ],
    },
    {
      rows: [
        iface('ibr', 'tor1', 'up'),
        iface('i1', 'eth1', 'up'),
        iface('i2', 'eth2', 'down'),
        iface('i3', 'eth3', 'up'),
        iface('i4', 'eth4', 'up'),
        iface('i5', 'eth5', 'up'),
        iface('i6', 'eth6', 'up'),
        iface('ix', 'elsewhere', 'up'),
      ],
    },
  ];
}

function snapshot(): BridgeSnapshot {
  const s = decodeSnapshot('tor1', wireResults());
  if (s === null) throw new Error('fixture has no bridge');
  return s;
}

test('the snapshot transaction selects the bridge, its ports and interfaces', () => {
  assert.deepEqual(
    snapshotOps('tor1').map((op) => (op.op === 'select' ? [op.table, op.where] : op.op)),
    [
      ['Bridge', [['name', '==', 'tor1']]],
      ['Port', []],
      ['Interface', []],
    ],
  );
  assert.equal(decodeSnapshot('tor1', [{ rows: [] }, { rows: [] }, { rows: [] }]), null, 'no such bridge');
});

test('the snapshot keeps only the bridge’s own ports and their interfaces', () => {
  const s = snapshot();
  assert.deepEqual([...s.ports.keys()].sort(), ['bond9', 'eth1', 'eth2', 'eth3', 'eth6', 'tor1']);
  assert.equal(s.interfaces.has('ix'), false);
  assert.equal(s.datapathId, '00008e3a451b224f');
});

test('observed ports: access, trunk, LAG, member, trunk-all, unknown', () => {
  const seen = observePorts(snapshot(), ['eth1', 'eth2', 'eth3', 'eth6', 'bond9', 'eth4', 'tor1', 'nope'].map(name));
  assert.deepEqual(Object.fromEntries(seen), {
    eth1: { name: 'eth1', exists: true, untagged: 100, tagged: [], isEnabled: true, lag: null, memberOf: null },
    eth2: { name: 'eth2', exists: true, untagged: 100, tagged: [], isEnabled: false, lag: null, memberOf: null },
    eth3: { name: 'eth3', exists: true, untagged: 300, tagged: [], isEnabled: true, lag: null, memberOf: null },
    eth6: { name: 'eth6', exists: true, untagged: null, tagged: [7], isEnabled: true, lag: null, memberOf: null },
    bond9: {
      name: 'bond9',
      exists: true,
      untagged: 400,
      tagged: [],
      isEnabled: true,
      lag: { members: ['eth4', 'eth5'], settings: { mode: 'lacp', lacpRate: 'fast' } },
      memberOf: null,
    },
    eth4: { name: 'eth4', exists: true, untagged: null, tagged: [], isEnabled: true, lag: null, memberOf: 'bond9' },
    tor1: {
      name: 'tor1',
      exists: true,
      untagged: null,
      tagged: [],
      carriesAllVlans: true,
      isEnabled: true,
      lag: null,
      memberOf: null,
    },
    nope: { name: 'nope', exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null },
  });
});

test('datapath_id identities: OpenFlow colon form and plain hex', () => {
  assert.deepEqual(datapathIdentities('00008E3A451B224F'), [
    { kind: 'datapath-id', value: '00:00:8e:3a:45:1b:22:4f' },
    { kind: 'datapath-id', value: '00008e3a451b224f' },
  ]);
  assert.deepEqual(datapathIdentities('xyz'), []);
});

const bridgeWait = (...removed: string[]) => ({
  op: 'wait',
  table: 'Bridge',
  where: [
    ['name', '==', 'tor1'],
    ['ports', 'includes', ['set', removed.map((i) => ['uuid', i])]],
  ],
  columns: ['name'],
  until: '==',
  rows: [{ name: 'tor1' }],
  timeout: 0,
});
const portWait = (id: string, was: Record<string, unknown>) => ({
  op: 'wait',
  table: 'Port',
  where: [['_uuid', '==', ['uuid', id]]],
  columns: ['interfaces', 'tag', 'trunks', 'vlan_mode', 'bond_mode', 'lacp', 'other_config'],
  until: '==',
  rows: [
    { tag: EMPTY, trunks: EMPTY, vlan_mode: EMPTY, bond_mode: EMPTY, lacp: EMPTY, other_config: ['map', []], ...was },
  ],
  timeout: 0,
});
const eth1Was = { interfaces: ['set', [['uuid', 'i1']]], tag: 100, vlan_mode: 'access' };

/** Every transaction ends by bumping next_cfg and reading it, to wait for ovs-vswitchd (like ovs-vsctl). */
const nextCfg = [
  { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1]] },
  { op: 'select', table: 'Open_vSwitch', where: [], columns: ['next_cfg'] },
];

const planCases: { name: string; ops: SwitchOp[]; want: unknown[] }[] = [
  {
    name: 'set-access changes only the tag of an access port',
    ops: [access('eth1', 200)],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-access eth1 200' },
      portWait('p1', eth1Was),
      { op: 'update', table: 'Port', where: [['_uuid', '==', ['uuid', 'p1']]], row: { tag: 200 } },
    ],
  },
  {
    name: 'add-tagged makes an access port native-untagged',
    ops: [{ kind: 'add-tagged', port: name('eth1'), vlans: vlans(301, 300) }],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: add-tagged eth1 301,300' },
      portWait('p1', eth1Was),
      {
        op: 'update',
        table: 'Port',
        where: [['_uuid', '==', ['uuid', 'p1']]],
        row: { trunks: ['set', [300, 301]], vlan_mode: 'native-untagged' },
      },
    ],
  },
  {
    name: 'set-access clears trunks and sets access mode',
    ops: [access('eth6', 5)],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-access eth6 5' },
      portWait('p6', { interfaces: ['set', [['uuid', 'i6']]], trunks: ['set', [7]], vlan_mode: 'trunk' }),
      {
        op: 'update',
        table: 'Port',
        where: [['_uuid', '==', ['uuid', 'p6']]],
        row: { tag: 5, trunks: EMPTY, vlan_mode: 'access' },
      },
    ],
  },
  {
    name: 'a new LACP bond takes the Interfaces of two standalone ports in one transaction',
    ops: [
      {
        kind: 'set-lag',
        lag: name('bond0'),
        members: [name('eth2'), name('eth3')],
        settings: { mode: 'lacp', lacpRate: 'fast' },
      },
      access('bond0', 500),
    ],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-lag bond0 [eth2,eth3] lacp; set-access bond0 500' },
      bridgeWait('p2', 'p3'),
      {
        op: 'insert',
        table: 'Port',
        'uuid-name': 'new_port_0',
        row: {
          name: 'bond0',
          interfaces: [
            'set',
            [
              ['uuid', 'i2'],
              ['uuid', 'i3'],
            ],
          ],
          tag: 500,
          trunks: EMPTY,
          vlan_mode: 'access',
          bond_mode: 'balance-tcp',
          lacp: 'active',
          other_config: ['map', [['lacp-time', 'fast']]],
        },
      },
      {
        op: 'mutate',
        table: 'Bridge',
        where: [['name', '==', 'tor1']],
        mutations: [
          [
            'ports',
            'delete',
            [
              'set',
              [
                ['uuid', 'p2'],
                ['uuid', 'p3'],
              ],
            ],
          ],
          ['ports', 'insert', ['set', [['named-uuid', 'new_port_0']]]],
        ],
      },
    ],
  },
  {
    name: 'delete-lag gives each member a port of its own with the VLAN of the next ops',
    ops: [{ kind: 'delete-lag', lag: name('bond9') }, access('eth4', 10), access('eth5', 11)],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: delete-lag bond9; set-access eth4 10; set-access eth5 11' },
      bridgeWait('pb'),
      ...[
        ['eth4', 'i4', 10],
        ['eth5', 'i5', 11],
      ].map(([n, i, tag], index) => ({
        op: 'insert',
        table: 'Port',
        'uuid-name': `new_port_${index}`,
        row: {
          name: n,
          interfaces: ['set', [['uuid', i]]],
          tag,
          trunks: EMPTY,
          vlan_mode: 'access',
          bond_mode: EMPTY,
          lacp: EMPTY,
          other_config: ['map', []],
        },
      })),
      {
        op: 'mutate',
        table: 'Bridge',
        where: [['name', '==', 'tor1']],
        mutations: [
          ['ports', 'delete', ['set', [['uuid', 'pb']]]],
          [
            'ports',
            'insert',
            [
              'set',
              [
                ['named-uuid', 'new_port_0'],
                ['named-uuid', 'new_port_1'],
              ],
            ],
          ],
        ],
      },
    ],
  },
  {
    name: 'a bond switched to active-backup drops LACP and its rate',
    ops: [
      {
        kind: 'set-lag',
        lag: name('bond9'),
        members: [name('eth4'), name('eth5')],
        settings: { mode: 'active-backup' },
      },
    ],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-lag bond9 [eth4,eth5] active-backup' },
      portWait('pb', {
        interfaces: [
          'set',
          [
            ['uuid', 'i4'],
            ['uuid', 'i5'],
          ],
        ],
        tag: 400,
        vlan_mode: 'access',
        bond_mode: 'balance-tcp',
        lacp: 'active',
        other_config: ['map', [['lacp-time', 'fast']]],
      }),
      {
        op: 'update',
        table: 'Port',
        where: [['_uuid', '==', ['uuid', 'pb']]],
        row: { bond_mode: 'active-backup', lacp: 'off', other_config: ['map', []] },
      },
    ],
  },
];
for (const { name: caseName, ops, want } of planCases) {
  test(`transaction: ${caseName}`, () => {
    const got = planTransaction({ switchName: 'tor-a', snapshot: snapshot(), ops });
    assert.deepEqual(JSON.parse(JSON.stringify(got)), [...want, ...nextCfg]);
  });
}

const refusals: { name: string; ops: SwitchOp[]; why: RegExp }[] = [
  { name: 'an unknown port', ops: [access('nope', 5)], why: /no port nope on bridge tor1/ },
  { name: 'VLANs on a LAG member', ops: [access('eth4', 5)], why: /eth4 is a member of LAG bond9/ },
  {
    name: 'a member taken from another LAG',
    ops: [
      { kind: 'set-lag', lag: name('bond0'), members: [name('eth4')], settings: { mode: 'static' } },
      access('bond0', 5),
    ],
    why: /eth4 is a member of LAG bond9/,
  },
  {
    name: 'a LAG over a plain port',
    ops: [{ kind: 'set-lag', lag: name('eth1'), members: [name('eth2')], settings: { mode: 'static' } }],
    why: /eth1 is a port, not a LAG/,
  },
  {
    name: 'minimum links',
    ops: [{ kind: 'set-lag', lag: name('bond0'), members: [name('eth2')], settings: { mode: 'lacp', minLinks: 2 } }],
    why: /no minimum-links setting/,
  },
  {
    name: 'a LAG deleted with no VLAN for its members',
    ops: [{ kind: 'delete-lag', lag: name('bond9') }],
    why: /eth4 would carry no VLAN/,
  },
  {
    name: 'a new LAG with no VLAN',
    ops: [{ kind: 'set-lag', lag: name('bond0'), members: [name('eth2')], settings: { mode: 'static' } }],
    why: /bond0 would carry no VLAN/,
  },
  {
    name: 'the last tagged VLAN of a trunk port',
    ops: [{ kind: 'remove-tagged', port: name('eth6'), vlans: vlans(7) }],
    why: /eth6 would carry no VLAN setting, which Open vSwitch treats as trunking every VLAN/,
  },
  { name: 'delete of a plain port as a LAG', ops: [{ kind: 'delete-lag', lag: name('eth1') }], why: /no LAG eth1/ },
  {
    name: 'set-enabled',
    ops: [{ kind: 'set-enabled', port: name('eth1'), isEnabled: false }],
    why: /admin_state is read-only.*quarantine VLAN/,
  },
];
for (const { name: caseName, ops, why } of refusals) {
  test(`refused: ${caseName}`, () => {
    assert.throws(
      () => planTransaction({ switchName: 'tor-a', snapshot: snapshot(), ops }),
      (err: unknown) => err instanceof SwitchRejected && err.switchName === 'tor-a' && why.test(err.output),
    );
  });
}

test('a port left trunking every VLAN by hand is not refused while the batch does not touch it', () => {
  assert.doesNotThrow(() => planTransaction({ switchName: 'tor-a', snapshot: snapshot(), ops: [access('eth1', 9)] }));
});
