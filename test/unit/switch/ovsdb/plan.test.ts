/** Transaction planning for the ovsdb driver: a batch and the bridge as read → the exact RFC 7047 operations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SwitchRejected } from '../../../../src/domain/errors.ts';
import type { SwitchOp } from '../../../../src/domain/switch-plan.ts';
import { parseSwitchPortName, parseVlan } from '../../../../src/domain/values.ts';
import type { BridgeSnapshot, InterfaceRow, PortRow } from '../../../../src/switch/ovs-port.ts';
import { isGuardConflict, planTransaction, summarizeOps } from '../../../../src/switch/ovsdb/plan.ts';
import type { TransactOp, TransactOutcome } from '../../../../src/switch/ovsdb/protocol.ts';

const name = parseSwitchPortName;
const vlans = (...v: number[]) => v.map(parseVlan);
const access = (port: string, vlan: number): SwitchOp => ({
  kind: 'set-access',
  port: name(port),
  vlan: parseVlan(vlan),
});
const EMPTY = ['set', []];

/** Bridge tor1 as the driver reads it: Port `pN` is named `ethN` and holds Interface `iN`. */
function snapshot(): BridgeSnapshot {
  const port = (id: string, portName: string, interfaces: string[], extra: Partial<PortRow> = {}): PortRow => ({
    uuid: id,
    name: portName,
    interfaces,
    tag: null,
    trunks: [],
    vlanMode: null,
    bondMode: null,
    lacp: null,
    otherConfig: new Map(),
    ...extra,
  });
  const ports: PortRow[] = [
    port('pbr', 'tor1', ['ibr']),
    port('p1', 'eth1', ['i1'], { tag: 100, vlanMode: 'access' }),
    port('p2', 'eth2', ['i2'], { tag: 100, vlanMode: 'access' }),
    port('p3', 'eth3', ['i3'], { tag: 300 }),
    port('p6', 'eth6', ['i6'], { vlanMode: 'trunk', trunks: [7] }),
    port('p7', 'eth7', ['i7'], { tag: 100, vlanMode: 'native-untagged', trunks: [10, 20] }),
    port('pb', 'bond9', ['i4', 'i5'], {
      tag: 400,
      vlanMode: 'access',
      bondMode: 'balance-tcp',
      lacp: 'active',
      otherConfig: new Map([['lacp-time', 'fast']]),
    }),
  ];
  const ifaces: InterfaceRow[] = [
    'ibr:tor1',
    'i1:eth1',
    'i2:eth2',
    'i3:eth3',
    'i4:eth4',
    'i5:eth5',
    'i6:eth6',
    'i7:eth7',
  ]
    .map((s) => s.split(':'))
    .map(([id = '', n = '']) => ({ uuid: id, name: n, adminState: 'up', macInUse: null }));
  return {
    bridge: 'tor1',
    datapathId: '00008e3a451b224f',
    ports: new Map(ports.map((p) => [p.name, p])),
    interfaces: new Map(ifaces.map((i) => [i.uuid, i])),
  };
}

// ------------------------------------------------------------------------- the operations a plan emits

/** Guard: the Ports the transaction takes off the bridge are still on it. */
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
/** Guard: a Port the transaction changes still has the columns it was planned on. */
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
const portUpdate = (id: string, row: Record<string, unknown>) => ({
  op: 'update',
  table: 'Port',
  where: [['_uuid', '==', ['uuid', id]]],
  row,
});
const bridgePorts = (mutations: unknown[]) => ({
  op: 'mutate',
  table: 'Bridge',
  where: [['name', '==', 'tor1']],
  mutations,
});
const one = (id: string) => ['set', [['uuid', id]]];
const eth1Was = { interfaces: one('i1'), tag: 100, vlan_mode: 'access' };
const eth7Was = { interfaces: one('i7'), tag: 100, trunks: ['set', [10, 20]], vlan_mode: 'native-untagged' };
const bond9Was = {
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
};

/** Every transaction ends by bumping next_cfg and reading it, to wait for ovs-vswitchd (like ovs-vsctl). */
const nextCfg = [
  { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1]] },
  { op: 'select', table: 'Open_vSwitch', where: [], columns: ['next_cfg'] },
];

const planCases: { name: string; ops: SwitchOp[]; want: unknown[] }[] = [
  {
    name: 'set-access on an access port guards the port and changes only its tag',
    ops: [access('eth1', 200)],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-access eth1 200' },
      portWait('p1', eth1Was),
      portUpdate('p1', { tag: 200 }),
    ],
  },
  {
    name: 'set-access on a port with a tag and no vlan_mode writes the mode explicitly',
    ops: [access('eth3', 301)],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-access eth3 301' },
      portWait('p3', { interfaces: one('i3'), tag: 300 }),
      portUpdate('p3', { tag: 301, vlan_mode: 'access' }),
    ],
  },
  {
    name: 'set-access to the VLAN a port already has sends only its guard',
    ops: [access('eth1', 100)],
    want: [{ op: 'comment', comment: 'bmnet tor-a: set-access eth1 100' }, portWait('p1', eth1Was)],
  },
  {
    name: 'set-access on a trunk port clears its trunks and sets access mode',
    ops: [access('eth6', 5)],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-access eth6 5' },
      portWait('p6', { interfaces: one('i6'), trunks: ['set', [7]], vlan_mode: 'trunk' }),
      portUpdate('p6', { tag: 5, trunks: EMPTY, vlan_mode: 'access' }),
    ],
  },
  {
    name: 'add-tagged makes an access port native-untagged with the VLANs sorted',
    ops: [{ kind: 'add-tagged', port: name('eth1'), vlans: vlans(301, 300) }],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: add-tagged eth1 301,300' },
      portWait('p1', eth1Was),
      portUpdate('p1', { trunks: ['set', [300, 301]], vlan_mode: 'native-untagged' }),
    ],
  },
  {
    name: 'add-tagged on a trunk port adds to its trunks and keeps trunk mode',
    ops: [{ kind: 'add-tagged', port: name('eth6'), vlans: vlans(8, 7) }],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: add-tagged eth6 8,7' },
      portWait('p6', { interfaces: one('i6'), trunks: ['set', [7]], vlan_mode: 'trunk' }),
      portUpdate('p6', { trunks: ['set', [7, 8]] }),
    ],
  },
  {
    name: 'remove-tagged of one VLAN keeps the native VLAN and the other trunk',
    ops: [{ kind: 'remove-tagged', port: name('eth7'), vlans: vlans(20) }],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: remove-tagged eth7 20' },
      portWait('p7', eth7Was),
      portUpdate('p7', { trunks: ['set', [10]] }),
    ],
  },
  {
    name: 'remove-tagged of every trunk leaves a native-untagged port in access mode',
    ops: [{ kind: 'remove-tagged', port: name('eth7'), vlans: vlans(10, 20) }],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: remove-tagged eth7 10,20' },
      portWait('p7', eth7Was),
      portUpdate('p7', { trunks: EMPTY, vlan_mode: 'access' }),
    ],
  },
  {
    name: 'set-lag creates an LACP bond from the Interfaces of two standalone ports in one transaction',
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
      bridgePorts([
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
      ]),
    ],
  },
  {
    name: 'set-lag creates a static bond as balance-slb without LACP',
    ops: [
      { kind: 'set-lag', lag: name('bond0'), members: [name('eth2')], settings: { mode: 'static' } },
      access('bond0', 5),
    ],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-lag bond0 [eth2] static; set-access bond0 5' },
      bridgeWait('p2'),
      {
        op: 'insert',
        table: 'Port',
        'uuid-name': 'new_port_0',
        row: {
          name: 'bond0',
          interfaces: one('i2'),
          tag: 5,
          trunks: EMPTY,
          vlan_mode: 'access',
          bond_mode: 'balance-slb',
          lacp: 'off',
          other_config: ['map', []],
        },
      },
      bridgePorts([
        ['ports', 'delete', ['set', [['uuid', 'p2']]]],
        ['ports', 'insert', ['set', [['named-uuid', 'new_port_0']]]],
      ]),
    ],
  },
  {
    name: 'set-lag dropping a member gives it a Port of its own and shrinks the bond',
    ops: [
      { kind: 'set-lag', lag: name('bond9'), members: [name('eth4')], settings: { mode: 'lacp', lacpRate: 'fast' } },
      access('eth5', 12),
    ],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-lag bond9 [eth4] lacp; set-access eth5 12' },
      portWait('pb', bond9Was),
      {
        op: 'insert',
        table: 'Port',
        'uuid-name': 'new_port_0',
        row: {
          name: 'eth5',
          interfaces: one('i5'),
          tag: 12,
          trunks: EMPTY,
          vlan_mode: 'access',
          bond_mode: EMPTY,
          lacp: EMPTY,
          other_config: ['map', []],
        },
      },
      portUpdate('pb', { interfaces: one('i4') }),
      bridgePorts([['ports', 'insert', ['set', [['named-uuid', 'new_port_0']]]]]),
    ],
  },
  {
    name: 'set-lag switching a bond to active-backup drops LACP and its rate',
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
      portWait('pb', bond9Was),
      portUpdate('pb', { bond_mode: 'active-backup', lacp: 'off', other_config: ['map', []] }),
    ],
  },
  {
    name: 'delete-lag removes the bond and gives each member a port of its own with the VLAN of the next ops',
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
          interfaces: one(String(i)),
          tag,
          trunks: EMPTY,
          vlan_mode: 'access',
          bond_mode: EMPTY,
          lacp: EMPTY,
          other_config: ['map', []],
        },
      })),
      bridgePorts([
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
      ]),
    ],
  },
  {
    name: 'a batch over several ports guards each, in port-name order, before any update',
    ops: [access('eth6', 6), access('eth1', 1)],
    want: [
      { op: 'comment', comment: 'bmnet tor-a: set-access eth6 6; set-access eth1 1' },
      portWait('p1', eth1Was),
      portWait('p6', { interfaces: one('i6'), trunks: ['set', [7]], vlan_mode: 'trunk' }),
      portUpdate('p1', { tag: 1 }),
      portUpdate('p6', { tag: 6, trunks: EMPTY, vlan_mode: 'access' }),
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
    name: 'a LAG with no members',
    ops: [{ kind: 'set-lag', lag: name('bond0'), members: [], settings: { mode: 'static' } }],
    why: /LAG bond0 needs at least one member/,
  },
  {
    name: 'a LAG listing a member twice',
    ops: [{ kind: 'set-lag', lag: name('bond0'), members: [name('eth2'), name('eth2')], settings: { mode: 'static' } }],
    why: /LAG bond0 lists a member twice/,
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
    name: 'disabling a port (set-enabled false)',
    ops: [{ kind: 'set-enabled', port: name('eth1'), isEnabled: false }],
    why: /admin_state is read-only.*quarantine VLAN/,
  },
  {
    name: 'enabling a port (set-enabled true)',
    ops: [{ kind: 'set-enabled', port: name('eth1'), isEnabled: true }],
    why: /admin_state is read-only.*isolate eth1 with a quarantine VLAN/,
  },
];
for (const { name: caseName, ops, why } of refusals) {
  test(`refused: ${caseName}`, () => {
    assert.throws(
      () => planTransaction({ switchName: 'tor-a', snapshot: snapshot(), ops }),
      (err: unknown) =>
        err instanceof SwitchRejected &&
        err.switchName === 'tor-a' &&
        err.command === summarizeOps(ops) &&
        why.test(err.output),
    );
  });
}

test('a port left trunking every VLAN by hand is not refused while the batch does not touch it', () => {
  assert.doesNotThrow(() => planTransaction({ switchName: 'tor-a', snapshot: snapshot(), ops: [access('eth1', 9)] }));
});

test('the summary names every op of the batch in order, one clause each', () => {
  assert.equal(
    summarizeOps([
      access('eth1', 5),
      { kind: 'add-tagged', port: name('eth1'), vlans: vlans(7, 8) },
      { kind: 'remove-tagged', port: name('eth1'), vlans: vlans(8) },
      { kind: 'set-lag', lag: name('bond0'), members: [name('eth2'), name('eth3')], settings: { mode: 'lacp' } },
      { kind: 'delete-lag', lag: name('bond9') },
      { kind: 'set-enabled', port: name('eth1'), isEnabled: false },
    ]),
    'set-access eth1 5; add-tagged eth1 7,8; remove-tagged eth1 8; set-lag bond0 [eth2,eth3] lacp; ' +
      'delete-lag bond9; set-enabled eth1 false',
  );
});

// ------------------------------------------------------------------------------------- guard conflicts

const lagPlan = planTransaction({
  switchName: 'tor-a',
  snapshot: snapshot(),
  ops: [
    { kind: 'set-lag', lag: name('bond0'), members: [name('eth2')], settings: { mode: 'static' } },
    access('bond0', 5),
  ],
});
const vswitchdWait: TransactOp = {
  op: 'wait',
  table: 'Open_vSwitch',
  where: [['cur_cfg', '>=', 3]],
  columns: ['_uuid'],
  until: '!=',
  rows: [],
  timeout: 5000,
};
const failed = (error: string, opIndex: number | null): Extract<TransactOutcome, { ok: false }> => ({
  ok: false,
  error: { error, details: null, opIndex },
});

const guardCases: {
  name: string;
  outcome: Extract<TransactOutcome, { ok: false }>;
  ops: readonly TransactOp[];
  isConflict: boolean;
}[] = [
  { name: 'the Bridge guard timed out', outcome: failed('timed out', 1), ops: lagPlan, isConflict: true },
  { name: 'an insert failed', outcome: failed('constraint violation', 2), ops: lagPlan, isConflict: false },
  {
    name: 'the commit failed (no operation index)',
    outcome: failed('timed out', null),
    ops: lagPlan,
    isConflict: false,
  },
  {
    name: 'a wait with a timeout (ovs-vswitchd) timed out',
    outcome: failed('timed out', 0),
    ops: [vswitchdWait],
    isConflict: false,
  },
  { name: 'the index is past the operations', outcome: failed('timed out', 99), ops: lagPlan, isConflict: false },
];
for (const c of guardCases) {
  test(`guard conflict ${c.isConflict ? 'is' : 'is not'} reported when ${c.name}`, () => {
    assert.equal(isGuardConflict(c.outcome, c.ops), c.isConflict);
  });
}
