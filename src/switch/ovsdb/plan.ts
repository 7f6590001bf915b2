/**
 * Transaction planning for the `ovsdb` driver (docs/architecture.md §4): a batch of switch ops and the bridge as
 * read become ONE OVSDB transaction, guarded by `wait` operations so it fails instead of acting on state that
 * changed meanwhile. Pure: no socket, no clock; driver.ts reads the bridge and sends what this plans.
 *
 * How a Port's VLAN columns read is decided once, in src/switch/ovs-port.ts. An empty `trunks` means EVERY
 * VLAN in the trunk modes: a plan never leaves a port it touches with no `tag` and no `trunks` (it refuses).
 */
import { assertNever, SwitchRejected } from '../../domain/errors.ts';
import type { LagMode, SwitchOp } from '../../domain/switch-plan.ts';
import type { BridgeSnapshot, InterfaceRow, PortRow } from '../ovs-port.ts';
import {
  type Atom,
  type Condition,
  comment,
  insert,
  mutate,
  namedUuid,
  type OvsdbValue,
  optional,
  ovsMap,
  ovsSet,
  type Row,
  select,
  type TransactOp,
  type TransactOutcome,
  update,
  uuid,
  waitUntilEqual,
} from './protocol.ts';
import { GUARDED_PORT_COLUMNS } from './snapshot.ts';

/** How a LagMode is spelled in the Port table. */
const BOND: Readonly<Record<LagMode, { readonly bondMode: string; readonly lacp: string }>> = {
  lacp: { bondMode: 'balance-tcp', lacp: 'active' }, // 802.3ad; balance-tcp needs LACP
  static: { bondMode: 'balance-slb', lacp: 'off' },
  'active-backup': { bondMode: 'active-backup', lacp: 'off' },
};

interface PortModel {
  readonly name: string;
  /** Null for a Port this transaction inserts. */
  readonly original: PortRow | null;
  interfaces: string[];
  tag: number | null;
  trunks: number[];
  vlanMode: string | null;
  bondMode: string | null;
  lacp: string | null;
  otherConfig: Map<string, string>;
  isTouched: boolean;
}

/** One line per op, for error messages and logs. */
export function summarizeOps(ops: readonly SwitchOp[]): string {
  return ops
    .map((op) => {
      switch (op.kind) {
        case 'set-access':
          return `set-access ${op.port} ${op.vlan}`;
        case 'add-tagged':
        case 'remove-tagged':
          return `${op.kind} ${op.port} ${op.vlans.join(',')}`;
        case 'set-lag':
          return `set-lag ${op.lag} [${op.members.join(',')}] ${op.settings.mode}`;
        case 'delete-lag':
          return `delete-lag ${op.lag}`;
        case 'set-enabled':
          return `set-enabled ${op.port} ${op.isEnabled}`;
        default:
          return assertNever(op);
      }
    })
    .join('; ');
}

const sameNumbers = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const sameMap = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>) =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const sortedMap = (m: ReadonlyMap<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

type PortColumns = {
  readonly [K in 'interfaces' | 'tag' | 'trunks' | 'vlan_mode' | 'bond_mode' | 'lacp' | 'other_config']: OvsdbValue;
};

/** The Port row values of every column bmnet manages. */
function portRow(
  p: Omit<PortRow, 'uuid' | 'name' | 'interfaces'> & { readonly interfaces: readonly Atom[] },
): PortColumns {
  return {
    interfaces: ovsSet(p.interfaces),
    tag: optional(p.tag),
    trunks: ovsSet(p.trunks),
    vlan_mode: optional(p.vlanMode),
    bond_mode: optional(p.bondMode),
    lacp: optional(p.lacp),
    other_config: ovsMap(sortedMap(p.otherConfig)),
  };
}

/**
 * Turns a batch into one OVSDB transaction against `snapshot`. Pure. Throws SwitchRejected when the batch
 * cannot be done on Open vSwitch or would leave a port carrying every VLAN.
 */
export function planTransaction(input: {
  readonly switchName: string;
  readonly snapshot: BridgeSnapshot;
  readonly ops: readonly SwitchOp[];
}): TransactOp[] {
  const { switchName, snapshot, ops } = input;
  const summary = summarizeOps(ops);
  const refuse = (why: string): never => {
    throw new SwitchRejected(switchName, summary, `refused by the ovsdb driver: ${why}`);
  };
  const ports = new Map<string, PortModel>();
  for (const p of snapshot.ports.values()) {
    ports.set(p.name, {
      name: p.name,
      original: p,
      interfaces: [...p.interfaces],
      tag: p.tag,
      trunks: [...p.trunks],
      vlanMode: p.vlanMode,
      bondMode: p.bondMode,
      lacp: p.lacp,
      otherConfig: new Map(p.otherConfig),
      isTouched: false,
    });
  }
  const interfaceByName = new Map<string, InterfaceRow>();
  for (const i of snapshot.interfaces.values()) interfaceByName.set(i.name, i);
  const ownerOf = (interfaceId: string): PortModel | undefined =>
    [...ports.values()].find((p) => p.interfaces.includes(interfaceId));
  const modelIsLag = (p: PortModel) => p.bondMode !== null || p.interfaces.length > 1;

  const vlanPort = (name: string): PortModel => {
    const port = ports.get(name);
    if (port !== undefined) return port;
    const iface = interfaceByName.get(name);
    const owner = iface === undefined ? undefined : ownerOf(iface.uuid);
    if (owner !== undefined) return refuse(`${name} is a member of LAG ${owner.name}; set VLANs on the LAG`);
    return refuse(`no port ${name} on bridge ${snapshot.bridge}`);
  };
  const setVlans = (port: PortModel, tag: number | null, trunks: number[]) => {
    port.tag = tag;
    port.trunks = [...new Set(trunks)].sort((a, b) => a - b);
    port.vlanMode = tag !== null ? (port.trunks.length > 0 ? 'native-untagged' : 'access') : 'trunk';
    port.isTouched = true;
  };
  /** A Port row to insert, with no VLAN until an op gives it one. */
  const newPort = (name: string, interfaces: string[]): PortModel => ({
    name,
    original: null,
    interfaces,
    tag: null,
    trunks: [],
    vlanMode: null,
    bondMode: null,
    lacp: null,
    otherConfig: new Map(),
    isTouched: true,
  });
  const freeInterface = (id: string) => {
    const iface = snapshot.interfaces.get(id);
    if (iface === undefined) return refuse(`interface ${id} vanished`);
    if (ports.has(iface.name)) return refuse(`cannot free LAG member ${iface.name}: a port of that name exists`);
    ports.set(iface.name, newPort(iface.name, [iface.uuid])); // a Port of its own for an interface leaving a LAG
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'set-access':
        setVlans(vlanPort(op.port), op.vlan, []);
        break;
      case 'add-tagged': {
        const port = vlanPort(op.port);
        setVlans(port, port.tag, [...port.trunks, ...op.vlans]);
        break;
      }
      case 'remove-tagged': {
        const port = vlanPort(op.port);
        const removed = new Set<number>(op.vlans);
        setVlans(
          port,
          port.tag,
          port.trunks.filter((v) => !removed.has(v)),
        );
        break;
      }
      case 'set-lag': {
        if (op.members.length === 0) refuse(`LAG ${op.lag} needs at least one member`);
        if (new Set(op.members).size !== op.members.length) refuse(`LAG ${op.lag} lists a member twice`);
        if (op.settings.minLinks !== undefined && op.settings.minLinks > 1)
          refuse(`Open vSwitch bonds have no minimum-links setting (asked ${op.settings.minLinks})`);
        if (op.members.includes(op.lag)) refuse(`LAG ${op.lag} cannot be its own member`);
        let lag = ports.get(op.lag);
        if (lag !== undefined && !modelIsLag(lag)) refuse(`${op.lag} is a port, not a LAG`);
        const memberIds: string[] = [];
        for (const member of op.members) {
          const iface = interfaceByName.get(member);
          const owner = iface === undefined ? undefined : ownerOf(iface.uuid);
          if (iface === undefined || owner === undefined)
            return refuse(`no port ${member} on bridge ${snapshot.bridge}`);
          if (owner !== lag) {
            if (modelIsLag(owner)) refuse(`${member} is a member of LAG ${owner.name}`);
            ports.delete(owner.name); // the standalone Port goes; its Interface joins the bond
          }
          memberIds.push(iface.uuid);
        }
        if (lag === undefined) {
          lag = newPort(op.lag, []);
          ports.set(op.lag, lag);
        } else {
          for (const id of lag.interfaces) if (!memberIds.includes(id)) freeInterface(id);
        }
        const bond = BOND[op.settings.mode];
        lag.interfaces = memberIds;
        lag.bondMode = bond.bondMode;
        lag.lacp = bond.lacp;
        if (op.settings.mode === 'lacp' && op.settings.lacpRate !== undefined)
          lag.otherConfig.set('lacp-time', op.settings.lacpRate);
        else lag.otherConfig.delete('lacp-time');
        lag.isTouched = true;
        break;
      }
      case 'delete-lag': {
        const lag = ports.get(op.lag);
        if (lag === undefined || !modelIsLag(lag)) return refuse(`no LAG ${op.lag} on bridge ${snapshot.bridge}`);
        ports.delete(op.lag);
        for (const id of lag.interfaces) freeInterface(id);
        break;
      }
      case 'set-enabled':
        refuse(
          `Open vSwitch has no administrative port state in OVSDB (Interface admin_state is read-only); ` +
            `isolate ${op.port} with a quarantine VLAN instead`,
        );
        break;
      default:
        assertNever(op);
    }
  }

  const final = [...ports.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const p of final) {
    if (p.isTouched && p.tag === null && p.trunks.length === 0) {
      refuse(`${p.name} would carry no VLAN setting, which Open vSwitch treats as trunking every VLAN`);
    }
  }

  const originalIds = [...snapshot.ports.values()].map((p) => p.uuid).sort();
  const keptIds = new Set(final.flatMap((p) => (p.original === null ? [] : [p.original.uuid])));
  const removedIds = originalIds.filter((id) => !keptIds.has(id));
  const out: TransactOp[] = [comment(`bmnet ${switchName}: ${summary}`)];
  if (removedIds.length > 0) {
    // the Ports this batch takes off the bridge are still on it (other ports may come and go meanwhile)
    const where: Condition[] = [
      ['name', '==', snapshot.bridge],
      ['ports', 'includes', ovsSet(removedIds.map(uuid))],
    ];
    out.push(waitUntilEqual('Bridge', where, ['name'], [{ name: snapshot.bridge }]));
  }
  const changed = final.filter((p) => p.isTouched && p.original !== null);
  for (const p of changed) {
    const o = p.original;
    if (o === null) continue;
    const { interfaces, tag, trunks, vlan_mode, bond_mode, lacp, other_config } = portRow({
      ...o,
      interfaces: o.interfaces.map(uuid),
    });
    const was: Row = { interfaces, tag, trunks, vlan_mode, bond_mode, lacp, other_config };
    out.push(waitUntilEqual('Port', [['_uuid', '==', uuid(o.uuid)]], GUARDED_PORT_COLUMNS, [was]));
  }
  const insertedNames: string[] = [];
  for (const p of final) {
    if (p.original !== null) continue;
    const uuidName = `new_port_${insertedNames.length}`;
    insertedNames.push(uuidName);
    out.push(insert('Port', { name: p.name, ...portRow({ ...p, interfaces: p.interfaces.map(uuid) }) }, uuidName));
  }
  for (const p of changed) {
    const o = p.original;
    if (o === null) continue;
    const row: Record<string, OvsdbValue> = {};
    const next = portRow({ ...p, interfaces: p.interfaces.map(uuid) });
    if ([...p.interfaces].sort().join() !== [...o.interfaces].sort().join()) row.interfaces = next.interfaces;
    if (p.tag !== o.tag) row.tag = next.tag;
    if (!sameNumbers(p.trunks, o.trunks)) row.trunks = next.trunks;
    if (p.vlanMode !== o.vlanMode) row.vlan_mode = next.vlan_mode;
    if (p.bondMode !== o.bondMode) row.bond_mode = next.bond_mode;
    if (p.lacp !== o.lacp) row.lacp = next.lacp;
    if (!sameMap(p.otherConfig, o.otherConfig)) row.other_config = next.other_config;
    if (Object.keys(row).length > 0) out.push(update('Port', [['_uuid', '==', uuid(o.uuid)]], row));
  }
  if (removedIds.length > 0 || insertedNames.length > 0) {
    out.push(
      mutate(
        'Bridge',
        [['name', '==', snapshot.bridge]],
        [
          ...(removedIds.length > 0 ? [['ports', 'delete', ovsSet(removedIds.map(uuid))] as const] : []),
          ...(insertedNames.length > 0 ? [['ports', 'insert', ovsSet(insertedNames.map(namedUuid))] as const] : []),
        ],
      ),
    );
  }
  // ovs-vsctl's way to learn when ovs-vswitchd has applied a change: bump next_cfg, wait for cur_cfg
  out.push(mutate('Open_vSwitch', [], [['next_cfg', '+=', 1]]), select('Open_vSwitch', [], ['next_cfg']));
  return out;
}

/** Whether a transaction failed on one of its guard `wait` operations (RFC 7047 §5.2.6: "timed out"). */
export function isGuardConflict(outcome: Extract<TransactOutcome, { ok: false }>, ops: readonly TransactOp[]): boolean {
  const failed = outcome.error.opIndex === null ? undefined : ops[outcome.error.opIndex];
  return outcome.error.error === 'timed out' && failed?.op === 'wait' && failed.timeout === 0;
}
