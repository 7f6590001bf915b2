/**
 * `ovs`: Open vSwitch on a Linux switch, driven over SSH with ovs-vsctl (as networking-generic-switch's
 * `netmiko_ovs_linux`), read back with `ovs-vsctl --format=json list`.
 * A batch's ovs-vsctl commands are joined with `--` into one invocation: one OVSDB transaction.
 *
 * VLAN model (ovs-vswitchd.conf.db(5), Port table): an access port is `vlan_mode=access tag=V`; a port
 * with tagged VLANs is `vlan_mode=native-untagged` with `tag` as its untagged VLAN. `trunks` always keeps
 * the untagged VLAN, so it is never empty — an empty `trunks` would mean "every VLAN". Reading back
 * decodes rows into src/switch/ovs-port.ts, the port model the ovsdb driver uses too.
 *
 * LAGs are bonds. A bond leaving or losing members must name them, so this profile reads the batch's LAGs
 * first (`readsLagsBeforeApply`): former members get their own Port again (same Interface row) on the
 * quarantine VLAN, and a changed bond keeps its Port and VLANs (ovs-vsctl(8): `get --id=@name`, create, add,
 * remove; unreferenced Port rows are garbage-collected).
 */
import { assertNever, InvalidInput } from '../../../domain/errors.ts';
import type { LagSettings, ObservedPorts, SwitchOp } from '../../../domain/switch-plan.ts';
import type { SwitchPortName, Vlan } from '../../../domain/values.ts';
import { type InterfaceRow, observePorts, type PortRow } from '../../ovs-port.ts';
import {
  decodeIntegerSet,
  decodeOptionalInteger,
  decodeOptionalString,
  decodeStringMap,
  decodeUuid,
  decodeUuidSet,
} from '../../ovsdb/protocol.ts';
import type { DeviceProfile } from '../profile.ts';

export interface OvsProfileParams {
  /** Path of the switch's OVSDB unix socket (`ovs-vsctl --db=unix:PATH`). */
  readonly dbSocket: string;
  readonly bridge: string;
  /** ovs-vswitchd's run directory, where `<bridge>.mgmt` (OpenFlow) lives; for enabling/disabling ports. */
  readonly rundir: string;
  /** VLAN a new LAG, and a port leaving a LAG, carries until the batch sets its own (never trunk-all). */
  readonly quarantineVlan: Vlan;
}

/** What the ovs profile offers whatever its parameters (the profile table lists it before building one). */
export const OVS_TRAITS = {
  supports: { lag: true, trunk: true, save: false },
  lagNameTemplate: 'bond{n}',
} as const;

const PATH_RE = /^\/[A-Za-z0-9/._-]+$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/;

export function ovsProfile(params: OvsProfileParams): DeviceProfile {
  if (!PATH_RE.test(params.dbSocket)) throw new InvalidInput(`'${params.dbSocket}' is not a usable OVSDB socket path`);
  if (!PATH_RE.test(params.rundir)) throw new InvalidInput(`'${params.rundir}' is not a usable OVS run directory`);
  if (!NAME_RE.test(params.bridge)) throw new InvalidInput(`'${params.bridge}' is not a usable bridge name`);
  const vsctl = `ovs-vsctl --db=unix:${params.dbSocket} --timeout=10`;
  const ofctl = `ovs-ofctl mod-port unix:${params.rundir}/${params.bridge}.mgmt`;
  const br = params.bridge;
  const q = params.quarantineVlan;

  const vsctlLine = (parts: readonly string[]) => (parts.length === 0 ? [] : [`${vsctl} -- ${parts.join(' -- ')}`]);
  // A former bond member becomes a plain port again, on the quarantine VLAN, keeping its Interface row.
  const rehome = (m: SwitchPortName) => [
    `--id=@i-${m} get Interface ${m}`,
    `--id=@p-${m} create Port name=${m} interfaces=@i-${m} vlan_mode=access tag=${q} trunks=${q}`,
    `add Bridge ${br} ports @p-${m}`,
  ];
  // A plain port's Interface moves into the bond; its own Port row is dropped (garbage-collected).
  const enlist = (lag: SwitchPortName, m: SwitchPortName) => [
    `--id=@i-${m} get Interface ${m}`,
    `--id=@p-${m} get Port ${m}`,
    `remove Bridge ${br} ports @p-${m}`,
    `add Port ${lag} interfaces @i-${m}`,
  ];

  const render = (op: SwitchOp, before: ObservedPorts): readonly string[] => {
    switch (op.kind) {
      case 'set-access':
        return [`${vsctl} -- set port ${op.port} vlan_mode=access tag=${op.vlan} trunks=${op.vlan}`];
      case 'add-tagged':
        return [
          `${vsctl} -- set port ${op.port} vlan_mode=native-untagged -- add port ${op.port} trunks ${op.vlans.join(' ')}`,
        ];
      case 'remove-tagged':
        return [`${vsctl} -- remove port ${op.port} trunks ${op.vlans.join(' ')}`];
      case 'set-lag': {
        const old = before.get(op.lag)?.lag;
        if (old) {
          // Change the bond in place: its VLANs stay, leaving members become plain ports.
          const leaving = old.members.filter((m) => !op.members.includes(m));
          const joining = op.members.filter((m) => !old.members.includes(m));
          return vsctlLine([
            ...leaving.flatMap((m) => [...rehome(m), `remove Port ${op.lag} interfaces @i-${m}`]),
            ...joining.flatMap((m) => enlist(op.lag, m)),
            `set Port ${op.lag} ${bondColumns(op.settings)}`,
          ]);
        }
        const dels = [op.lag, ...op.members].map((p) => `--if-exists del-port ${br} ${p}`);
        const bond = `add-bond ${br} ${op.lag} ${op.members.join(' ')} ${bondColumns(op.settings)} vlan_mode=access tag=${q} trunks=${q}`;
        return vsctlLine([...dels, bond]);
      }
      case 'delete-lag': {
        const old = before.get(op.lag);
        // Dry run: the members are not known without a read, so only the bond is shown.
        if (old === undefined) return vsctlLine([`--if-exists del-port ${br} ${op.lag}`]);
        if (!old.exists) return [];
        return vsctlLine([
          ...(old.lag?.members ?? []).flatMap(rehome),
          `--id=@l-${op.lag} get Port ${op.lag}`,
          `remove Bridge ${br} ports @l-${op.lag}`,
        ]);
      }
      case 'set-enabled':
        return [`${ofctl} ${op.port} ${op.isEnabled ? 'up' : 'down'}`];
      default:
        return assertNever(op);
    }
  };

  return {
    name: 'ovs',
    ...OVS_TRAITS,
    // Linux interface names: at most 15 characters.
    portName: /^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/,
    prompt: /[#$] ?$/,
    errors: [/^ovs-vsctl: /, /^ovs-ofctl: /, /command not found/, /^-?bash: /],
    pager: null,
    // Echo is off through the pty modes already; stty makes sure, and no history is written on the switch.
    setup: ['stty -echo', 'unset HISTFILE'],
    enable: [],
    enterConfig: [],
    commit: [],
    exitConfig: [],
    abort: [],
    save: [],
    render,
    readsLagsBeforeApply: true,
    batch: (lines) => joinVsctl(lines, vsctl),
    readCommand: () => [
      `${vsctl} --format=json --data=json --columns=_uuid,name,tag,trunks,vlan_mode,interfaces,bond_mode,lacp,other_config list Port`,
      `${vsctl} --format=json --data=json --columns=_uuid,name,admin_state list Interface`,
    ],
    parsePorts: parseOvsPorts,
  };
}

function bondColumns(s: LagSettings): string {
  const cols: string[] = [];
  switch (s.mode) {
    case 'lacp':
      cols.push('lacp=active', 'bond_mode=balance-tcp');
      break;
    case 'static':
      cols.push('lacp=off', 'bond_mode=balance-slb');
      break;
    case 'active-backup':
      cols.push('lacp=off', 'bond_mode=active-backup');
      break;
    default:
      assertNever(s.mode);
  }
  if (s.lacpRate !== undefined) cols.push(`other_config:lacp-time=${s.lacpRate}`);
  return cols.join(' ');
}

/** Consecutive ovs-vsctl lines become one invocation (one OVSDB transaction); other lines stay apart. */
function joinVsctl(lines: readonly string[], vsctl: string): readonly string[] {
  const out: string[] = [];
  const prefix = `${vsctl} -- `;
  let parts: string[] = [];
  const flush = () => {
    if (parts.length > 0) out.push(`${vsctl} -- ${parts.join(' -- ')}`);
    parts = [];
  };
  for (const line of lines) {
    if (line.startsWith(prefix)) parts.push(line.slice(prefix.length));
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out;
}

// --- reading: ovs-vsctl --format=json --data=json list prints RFC 7047 datums, decoded as the ovsdb driver does ---

interface Table {
  readonly headings: readonly string[];
  readonly data: readonly (readonly unknown[])[];
}

function parseTable(text: string, what: string): Table {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInput(`ovs-vsctl list ${what} did not print JSON: ${text.slice(0, 200)}`);
  }
  const v = value as { headings?: unknown; data?: unknown };
  if (!Array.isArray(v.headings) || !Array.isArray(v.data)) throw new InvalidInput(`ovs-vsctl list ${what}: no table`);
  return { headings: v.headings.map(String), data: v.data.filter(Array.isArray) };
}

function rows(table: Table): Map<string, unknown>[] {
  return table.data.map((row) => new Map(table.headings.map((h, i) => [h, row[i]])));
}

/** outputs: [list Port, list Interface] as `readCommand` asks for them; observed by the one OVS port model. */
export function parseOvsPorts(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts {
  const portRows = new Map<string, PortRow>();
  for (const r of rows(parseTable(outputs[0] ?? '', 'Port'))) {
    const uuid = decodeUuid(r.get('_uuid'));
    const name = r.get('name');
    if (uuid === null || typeof name !== 'string') continue;
    portRows.set(name, {
      uuid,
      name,
      interfaces: decodeUuidSet(r.get('interfaces')),
      tag: decodeOptionalInteger(r.get('tag')),
      trunks: decodeIntegerSet(r.get('trunks')).sort((a, b) => a - b),
      vlanMode: decodeOptionalString(r.get('vlan_mode')),
      bondMode: decodeOptionalString(r.get('bond_mode')),
      lacp: decodeOptionalString(r.get('lacp')),
      otherConfig: decodeStringMap(r.get('other_config')),
    });
  }
  const interfaces = new Map<string, InterfaceRow>();
  for (const r of rows(parseTable(outputs[1] ?? '', 'Interface'))) {
    const uuid = decodeUuid(r.get('_uuid'));
    const name = r.get('name');
    if (uuid === null || typeof name !== 'string') continue;
    interfaces.set(uuid, { uuid, name, adminState: decodeOptionalString(r.get('admin_state')), macInUse: null });
  }
  return observePorts({ ports: portRows, interfaces }, ports);
}
