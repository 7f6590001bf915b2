/**
 * `cumulus-nvue`: NVIDIA Cumulus Linux 5 with the NVUE CLI. Syntax from networking-generic-switch's
 * `netmiko_cumulus_nvue` templates and NVIDIA's Cumulus Linux user guide
 * ("NVUE CLI", "Bonding - Link Aggregation"). `nv set`/`nv unset` stage a pending revision;
 * `nv config apply` applies it in one step, `nv config detach` drops it.
 *
 * VLAN model: a port always names its untagged VLAN (`untagged V`) and its VLAN list (`vlan V`, plus tagged
 * VLANs), never `access`: tagged VLANs can then be added and removed without knowing the untagged one, and
 * the list never falls back to the bridge's (all VLANs).
 */
import { assertNever } from '../../../domain/errors.ts';
import type { LagSettings, ObservedPort, ObservedPorts, SwitchOp } from '../../../domain/switch-plan.ts';
import { parseVlan, type SwitchPortName, type Vlan } from '../../../domain/values.ts';
import { completePorts, type DeviceProfile, expandPortList, lineByLine, parseVlanList } from '../profile.ts';

const BRIDGE = 'br_default';

function renderLag(lag: SwitchPortName, members: readonly SwitchPortName[], s: LagSettings): string[] {
  const lines = [
    `nv unset interface ${lag} bond member`,
    ...members.map((m) => `nv set interface ${lag} bond member ${m}`),
    `nv set interface ${lag} bond mode ${s.mode === 'lacp' ? 'lacp' : 'static'}`,
  ];
  if (s.mode === 'lacp' && s.lacpRate !== undefined) lines.push(`nv set interface ${lag} bond lacp-rate ${s.lacpRate}`);
  return lines;
}

function render(op: SwitchOp): readonly string[] {
  switch (op.kind) {
    case 'set-access': {
      const at = `nv unset interface ${op.port} bridge domain ${BRIDGE}`;
      const set = `nv set interface ${op.port} bridge domain ${BRIDGE}`;
      return [`${at} access`, `${at} vlan`, `${set} untagged ${op.vlan}`, `${set} vlan ${op.vlan}`];
    }
    case 'add-tagged':
      return op.vlans.map((v) => `nv set interface ${op.port} bridge domain ${BRIDGE} vlan ${v}`);
    case 'remove-tagged':
      return op.vlans.map((v) => `nv unset interface ${op.port} bridge domain ${BRIDGE} vlan ${v}`);
    case 'set-lag':
      return renderLag(op.lag, op.members, op.settings);
    case 'delete-lag':
      return [`nv unset interface ${op.lag}`];
    case 'set-enabled':
      return [`nv set interface ${op.port} link state ${op.isEnabled ? 'up' : 'down'}`];
    default:
      return assertNever(op);
  }
}

interface Seen {
  access: Vlan | null;
  untagged: Vlan | null;
  vlans: Vlan[] | null;
  inBridge: boolean;
  isDown: boolean;
  members: string[];
  isBond: boolean;
  mode: string | null;
  rate: string | null;
}

/** Reads `nv config show -o commands`: the applied configuration as `nv set` lines. */
export function parseNvuePorts(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts {
  const seen = new Map<string, Seen>();
  let bridgeUntagged = parseVlan(1); // NVUE's default untagged VLAN of a bridge domain
  let bridgeVlans: Vlan[] = [];
  const entry = (name: string): Seen => {
    let s = seen.get(name);
    if (s === undefined) {
      s = {
        access: null,
        untagged: null,
        vlans: null,
        inBridge: false,
        isDown: false,
        members: [],
        isBond: false,
        mode: null,
        rate: null,
      };
      seen.set(name, s);
    }
    return s;
  };
  for (const raw of outputs.join('\n').split('\n')) {
    const line = raw.trim();
    const br = /^nv set bridge domain \S+ (untagged|vlan) (\S+)$/.exec(line);
    if (br?.[1] === 'untagged') bridgeUntagged = parseVlanList(br[2] ?? '')[0] ?? bridgeUntagged;
    else if (br?.[1] === 'vlan') bridgeVlans = [...bridgeVlans, ...parseVlanList(br[2] ?? '')];
    const m = /^nv set interface (\S+) (.+)$/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    for (const name of expandPortList(m[1])) {
      const s = entry(name);
      const rest = m[2];
      const dom = /^bridge domain \S+(?: (access|untagged|vlan) (\S+))?$/.exec(rest);
      if (dom) {
        s.inBridge = true;
        const list = parseVlanList(dom[2] ?? '');
        if (dom[1] === 'access') s.access = list[0] ?? null;
        if (dom[1] === 'untagged') s.untagged = list[0] ?? null;
        if (dom[1] === 'vlan') s.vlans = [...(s.vlans ?? []), ...list];
      }
      if (rest === 'link state down') s.isDown = true;
      const bond = /^bond (member|mode|lacp-rate) (\S+)$/.exec(rest);
      if (bond?.[1] === 'member') s.members.push(...expandPortList(bond[2] ?? ''));
      if (bond?.[1] === 'mode') s.mode = bond[2] ?? null;
      if (bond?.[1] === 'lacp-rate') s.rate = bond[2] ?? null;
      if (bond || rest === 'type bond') s.isBond = true;
    }
  }
  const memberOf = new Map<string, string>();
  for (const [name, s] of seen) for (const m of s.members) memberOf.set(m, name);
  const found = new Map<SwitchPortName, ObservedPort>();
  for (const [raw, s] of seen) {
    const name = raw as SwitchPortName;
    const untagged = s.inBridge ? (s.access ?? s.untagged ?? bridgeUntagged) : null;
    const list = s.access !== null || !s.inBridge ? [] : (s.vlans ?? bridgeVlans);
    const rate = s.rate === 'fast' || s.rate === 'slow' ? s.rate : undefined;
    const mode = s.mode === 'static' ? 'static' : 'lacp';
    found.set(name, {
      name,
      exists: true,
      untagged,
      tagged: [...new Set(list)].filter((v) => v !== untagged).sort((a, b) => a - b),
      isEnabled: !s.isDown,
      lag: s.isBond
        ? {
            members: s.members.map((m) => m as SwitchPortName).sort(),
            settings: { mode, ...(mode === 'lacp' && rate ? { lacpRate: rate } : {}) },
          }
        : null,
      memberOf: (memberOf.get(raw) as SwitchPortName | undefined) ?? null,
    });
  }
  return completePorts(found, ports);
}

export const cumulusNvue: DeviceProfile = {
  name: 'cumulus-nvue',
  supports: { lag: true, trunk: true, save: true },
  lagNameTemplate: 'bond{n}',
  // NVUE refuses bond names that start with an interface type (sw, eth, vlan …): bonds are bondN here.
  portName: /^(swp\d+(s\d+)?|bond\d+)$/,
  prompt: /^[\w.-]+@[\w.:~/-]+[$#] ?$/,
  errors: [
    /Invalid config/,
    /Config invalid at/,
    /ERROR: Command not found\./,
    /command not found/,
    /is not a physical interface on this switch/,
    /Error: Invalid parameter/,
    /Unable to restart services/,
    /Failure during apply/,
    /^Error: /,
  ],
  pager: null,
  setup: [],
  enable: [],
  enterConfig: [],
  commit: ['nv config apply --assume-yes'],
  exitConfig: [],
  abort: ['nv config detach'],
  save: ['nv config save'],
  render,
  readsLagsBeforeApply: false,
  batch: lineByLine,
  readCommand: () => ['nv config show -o commands'],
  parsePorts: parseNvuePorts,
};
