/** Reading an Open vSwitch bridge over RFC 7047: the one `select` transaction and its decoding into the port model. */
import type { BridgeSnapshot, InterfaceRow, PortRow } from '../ovs-port.ts';
import {
  decodeIntegerSet,
  decodeOptionalInteger,
  decodeOptionalString,
  decodeStringMap,
  decodeUuid,
  decodeUuidSet,
  select,
  selectedRows,
  type TransactOp,
} from './protocol.ts';

const PORT_COLUMNS = ['_uuid', 'name', 'interfaces', 'tag', 'trunks', 'vlan_mode', 'bond_mode', 'lacp', 'other_config'];
/** The Port columns a planned transaction depends on; `wait` checks them unchanged. */
export const GUARDED_PORT_COLUMNS = ['interfaces', 'tag', 'trunks', 'vlan_mode', 'bond_mode', 'lacp', 'other_config'];

/** The transaction that reads a bridge; `decodeSnapshot` reads its result. */
export function snapshotOps(bridge: string): TransactOp[] {
  return [
    select('Bridge', [['name', '==', bridge]], ['_uuid', 'ports', 'datapath_id']),
    select('Port', [], PORT_COLUMNS),
    select('Interface', [], ['_uuid', 'name', 'admin_state', 'mac_in_use']),
  ];
}

export function decodeSnapshot(
  bridge: string,
  results: readonly Readonly<Record<string, unknown>>[],
): BridgeSnapshot | null {
  const [bridgeRow] = selectedRows(results[0]);
  if (bridgeRow === undefined) return null;
  const inBridge = new Set(decodeUuidSet(bridgeRow.ports));
  const ports = new Map<string, PortRow>();
  const interfaceIds = new Set<string>();
  for (const row of selectedRows(results[1])) {
    const id = decodeUuid(row._uuid);
    if (id === null || !inBridge.has(id) || typeof row.name !== 'string') continue;
    const interfaces = decodeUuidSet(row.interfaces);
    for (const i of interfaces) interfaceIds.add(i);
    ports.set(row.name, {
      uuid: id,
      name: row.name,
      interfaces,
      tag: decodeOptionalInteger(row.tag),
      trunks: decodeIntegerSet(row.trunks).sort((a, b) => a - b),
      vlanMode: decodeOptionalString(row.vlan_mode),
      bondMode: decodeOptionalString(row.bond_mode),
      lacp: decodeOptionalString(row.lacp),
      otherConfig: decodeStringMap(row.other_config),
    });
  }
  const interfaces = new Map<string, InterfaceRow>();
  for (const row of selectedRows(results[2])) {
    const id = decodeUuid(row._uuid);
    if (id === null || !interfaceIds.has(id) || typeof row.name !== 'string') continue;
    interfaces.set(id, {
      uuid: id,
      name: row.name,
      adminState: decodeOptionalString(row.admin_state),
      macInUse: decodeOptionalString(row.mac_in_use),
    });
  }
  return { bridge, datapathId: decodeOptionalString(bridgeRow.datapath_id), ports, interfaces };
}
