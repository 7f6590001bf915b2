/** Reading a bridge over OVSDB: the select transaction, its decoding, and the ports observed from it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSwitchPortName } from '../../../../src/domain/values.ts';
import { type BridgeSnapshot, datapathIdentities, observePorts } from '../../../../src/switch/ovs-port.ts';
import { decodeSnapshot, snapshotOps } from '../../../../src/switch/ovsdb/snapshot.ts';

const name = parseSwitchPortName;
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
