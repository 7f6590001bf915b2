/**
 * The Open vSwitch side of a DHCP attachment (docs/architecture.md §8): an internal port on the physnet's bridge,
 * an access port on the network's VLAN, created, re-tagged and removed through OVSDB (RFC 7047). Each
 * change waits until ovs-vswitchd has applied it (`cur_cfg`), as ovs-vsctl does, so the internal port's
 * device exists when the caller moves it into the attachment's namespace.
 */
import type { OvsdbClient } from '../switch/ovsdb/client.ts';
import {
  decodeUuid,
  decodeUuidSet,
  insert,
  mutate,
  namedUuid,
  type OvsdbValue,
  ovsSet,
  select,
  selectedRows,
  type TransactOp,
  update,
  uuid,
  waitUntilAnyRow,
} from '../switch/ovsdb/protocol.ts';

const DATABASE = 'Open_vSwitch';
const VSWITCHD_TIMEOUT_MS = 10_000;

/** Why an OVSDB step of an attachment failed (the caller adds the network and step). */
export class OvsdbStepFailed extends Error {}

async function transact(client: OvsdbClient, ops: readonly TransactOp[]) {
  const outcome = await client.transact(DATABASE, ops);
  if (!outcome.ok) {
    throw new OvsdbStepFailed(`${outcome.error.error}${outcome.error.details ? `: ${outcome.error.details}` : ''}`);
  }
  return outcome.results;
}

/** Bumps `next_cfg` after `ops` in the same transaction, then waits until ovs-vswitchd applied it. */
async function applyAndWait(client: OvsdbClient, ops: readonly TransactOp[]): Promise<void> {
  const results = await transact(client, [
    ...ops,
    mutate('Open_vSwitch', [], [['next_cfg', '+=', 1]]),
    select('Open_vSwitch', [], ['next_cfg']),
  ]);
  const nextCfg = selectedRows(results[results.length - 1])[0]?.next_cfg;
  if (typeof nextCfg !== 'number') throw new OvsdbStepFailed('Open_vSwitch has no next_cfg');
  await transact(client, [waitUntilAnyRow('Open_vSwitch', [['cur_cfg', '>=', nextCfg]], VSWITCHD_TIMEOUT_MS)]);
}

const tagOf = (vlan: number | null): OvsdbValue => (vlan === null ? ovsSet([]) : vlan);

/** The uuid of the bridge's port named `name`, or null. */
async function portUuid(client: OvsdbClient, bridge: string, name: string): Promise<string | null> {
  const results = await transact(client, [
    select('Bridge', [['name', '==', bridge]], ['ports']),
    select('Port', [['name', '==', name]], ['_uuid']),
  ]);
  if (selectedRows(results[0]).length === 0) throw new OvsdbStepFailed(`no bridge named ${bridge}`);
  return decodeUuid(selectedRows(results[1])[0]?._uuid);
}

/** Creates the internal port `name` on `bridge` as an access port on `vlan` (null: untagged only). */
export async function addInternalPort(client: OvsdbClient, bridge: string, name: string, vlan: number | null) {
  await applyAndWait(client, [
    insert('Interface', { name, type: 'internal' }, 'iface'),
    insert('Port', { name, interfaces: namedUuid('iface'), vlan_mode: 'access', tag: tagOf(vlan) }, 'port'),
    mutate('Bridge', [['name', '==', bridge]], [['ports', 'insert', ovsSet([namedUuid('port')])]]),
  ]);
}

/** Moves an existing internal port to another VLAN in place (the network's segmentation id changed). */
export async function retagInternalPort(client: OvsdbClient, name: string, vlan: number | null): Promise<void> {
  await applyAndWait(client, [update('Port', [['name', '==', name]], { tag: tagOf(vlan) })]);
}

/** Removes the port from the bridge (OVSDB then collects its Port and Interface rows); absent is fine. */
export async function removeInternalPort(client: OvsdbClient, bridge: string, name: string): Promise<void> {
  const id = await portUuid(client, bridge, name);
  if (id === null) return;
  await applyAndWait(client, [mutate('Bridge', [['name', '==', bridge]], [['ports', 'delete', ovsSet([uuid(id)])]])]);
}

/** Names of the bridge's ports that start with `prefix` (attachments left by an earlier run). */
export async function internalPortNames(client: OvsdbClient, bridge: string, prefix: string): Promise<string[]> {
  const results = await transact(client, [
    select('Bridge', [['name', '==', bridge]], ['ports']),
    select('Port', [], ['_uuid', 'name']),
  ]);
  const bridgeRow = selectedRows(results[0])[0];
  if (!bridgeRow) throw new OvsdbStepFailed(`no bridge named ${bridge}`);
  const ports = new Set(decodeUuidSet(bridgeRow.ports));
  return selectedRows(results[1]).flatMap((r) => {
    const id = decodeUuid(r._uuid);
    return id !== null && ports.has(id) && typeof r.name === 'string' && r.name.startsWith(prefix) ? [r.name] : [];
  });
}
