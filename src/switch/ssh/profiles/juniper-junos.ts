/**
 * `juniper-junos`: Junos OS with Enhanced Layer 2 Software (EX/QFX). Syntax from
 * networking-generic-switch's `netmiko_juniper` templates (`configure private`, commit) and Juniper's
 * Junos CLI user guide (`set cli screen-length 0`, `display set`, `commit and-quit`, `rollback 0`).
 * A batch is one private candidate configuration: nothing applies until the commit.
 *
 * Access ports, enable/disable and commit only: trunk ports need the untagged VLAN as `native-vlan-id`
 * in the same change, and LAGs need their members' `ether-options 802.3ad` removed with the LAG — neither
 * can be rendered from one op without the port's current state, so `supports` declares them absent.
 * VLAN ids must exist under `vlans` (networking-generic-switch's ADD_NETWORK does that).
 */
import { assertNever } from '../../../domain/errors.ts';
import type { LagSettings, ObservedPort, ObservedPorts, SwitchOp } from '../../../domain/switch-plan.ts';
import type { SwitchPortName, Vlan } from '../../../domain/values.ts';
import { completePorts, type DeviceProfile, lineByLine, unsupported, vlanOrNull } from '../profile.ts';

const NAME = 'juniper-junos';

function render(op: SwitchOp): readonly string[] {
  switch (op.kind) {
    case 'set-access': {
      const at = `interfaces ${op.port} unit 0 family ethernet-switching`;
      return [`delete ${at}`, `set ${at} interface-mode access`, `set ${at} vlan members ${op.vlan}`];
    }
    case 'set-enabled':
      return [`${op.isEnabled ? 'delete' : 'set'} interfaces ${op.port} disable`];
    case 'add-tagged':
    case 'remove-tagged':
    case 'set-lag':
    case 'delete-lag':
      return unsupported(NAME, op);
    default:
      return assertNever(op);
  }
}

/**
 * outputs: [`show interfaces terse`, `show configuration interfaces | display set`,
 * `show configuration vlans | display set`].
 */
export function parseJunosPorts(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts {
  const [terse = '', interfaces = '', vlanConfig = ''] = outputs;
  const vlanIds = new Map<string, Vlan>();
  for (const line of vlanConfig.split('\n')) {
    const m = /^set vlans (\S+) vlan-id (\d+)$/.exec(line.trim());
    const id = vlanOrNull(m?.[2]);
    if (m?.[1] && id !== null) vlanIds.set(m[1], id);
  }
  const vlanOf = (member: string): Vlan | null => vlanIds.get(member) ?? vlanOrNull(member);

  const adminUp = new Map<string, boolean>();
  for (const line of terse.split('\n')) {
    const m = /^(\S+)\s+(up|down)\s+(up|down)\b/.exec(line.trim());
    if (m?.[1] && !m[1].includes('.')) adminUp.set(m[1], m[2] === 'up');
  }

  const mode = new Map<string, string>();
  const members = new Map<string, Vlan[]>();
  const native = new Map<string, Vlan>();
  const disabled = new Set<string>();
  const lagOf = new Map<string, string>();
  const lacp = new Map<string, { isActive: boolean; rate?: 'fast' | 'slow' }>();
  for (const raw of interfaces.split('\n')) {
    const line = raw.trim();
    const sw = /^set interfaces (\S+) unit 0 family ethernet-switching (interface-mode|vlan members) (\S+)$/.exec(line);
    if (sw?.[1] && sw[3]) {
      if (sw[2] === 'interface-mode') mode.set(sw[1], sw[3]);
      const vlan = sw[2] === 'vlan members' ? vlanOf(sw[3]) : null;
      if (vlan !== null) members.set(sw[1], [...(members.get(sw[1]) ?? []), vlan]);
    }
    const nat = /^set interfaces (\S+) native-vlan-id (\d+)$/.exec(line);
    const natVlan = vlanOrNull(nat?.[2]);
    if (nat?.[1] && natVlan !== null) native.set(nat[1], natVlan);
    const dis = /^set interfaces (\S+) disable$/.exec(line);
    if (dis?.[1]) disabled.add(dis[1]);
    const ae = /^set interfaces (\S+) ether-options 802\.3ad (ae\d+)$/.exec(line);
    if (ae?.[1] && ae[2]) lagOf.set(ae[1], ae[2]);
    const la = /^set interfaces (ae\d+) aggregated-ether-options lacp (active|passive|periodic (fast|slow))$/.exec(
      line,
    );
    if (la?.[1]) {
      const prev = lacp.get(la[1]) ?? { isActive: false };
      lacp.set(la[1], la[3] === 'fast' || la[3] === 'slow' ? { ...prev, rate: la[3] } : { ...prev, isActive: true });
    }
  }

  const found = new Map<SwitchPortName, ObservedPort>();
  for (const [raw, isUp] of adminUp) {
    const name = raw as SwitchPortName;
    const list = members.get(raw) ?? [];
    const isTrunk = mode.get(raw) === 'trunk';
    const untagged = isTrunk ? (native.get(raw) ?? null) : (list[0] ?? null);
    const lagMembers = [...lagOf].filter(([, lag]) => lag === raw).map(([m]) => m as SwitchPortName);
    found.set(name, {
      name,
      exists: true,
      untagged,
      tagged: isTrunk ? list.filter((v) => v !== untagged).sort((a, b) => a - b) : [],
      isEnabled: isUp && !disabled.has(raw),
      lag: /^ae\d+$/.test(raw) ? { members: lagMembers.sort(), settings: aeSettings(lacp.get(raw)) } : null,
      memberOf: (lagOf.get(raw) as SwitchPortName | undefined) ?? null,
    });
  }
  return completePorts(found, ports);
}

function aeSettings(lacp: { isActive: boolean; rate?: 'fast' | 'slow' } | undefined): LagSettings {
  if (!lacp?.isActive) return { mode: 'static' };
  return { mode: 'lacp', ...(lacp.rate ? { lacpRate: lacp.rate } : {}) };
}

export const juniperJunos: DeviceProfile = {
  name: NAME,
  supports: { lag: false, trunk: false, save: false },
  lagNameTemplate: 'ae{n}',
  portName: /^((ge|xe|et|mge)-\d+\/\d+\/\d+(:\d+)?|ae\d+)$/,
  prompt: /^[\w.-]+@[\w.-]+[>#] ?$/,
  errors: [/^error: /, /syntax error/, /^unknown command/, /^\s*configuration check-out failed/],
  pager: { prompt: /^---\(more( \d+%)?\)---/, answer: ' ' },
  setup: ['set cli screen-length 0', 'set cli screen-width 0'],
  enable: [],
  enterConfig: ['configure private'],
  // A commit is persistent on Junos: there is no separate save.
  commit: ['commit and-quit'],
  exitConfig: [],
  abort: ['rollback 0', 'exit'],
  save: [],
  render,
  readsLagsBeforeApply: false,
  batch: lineByLine,
  readCommand: () => [
    'show interfaces terse',
    'show configuration interfaces | display set',
    'show configuration vlans | display set',
  ],
  parsePorts: parseJunosPorts,
};
