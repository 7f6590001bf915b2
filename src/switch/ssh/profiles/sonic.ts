/**
 * `sonic`: SONiC's `config` CLI (sonic-utilities), run as root after `sudo -i`. Syntax from
 * networking-generic-switch's `netmiko_sonic` templates, the SONiC Command
 * Reference (sonic-utilities doc/Command-Reference.md) and sonic-utilities' own checks (config/vlan.py,
 * config/switchport.py, utilities_common/cli.py): a port takes VLAN members only in `switchport mode`
 * access or trunk, and only trunk mode takes tagged members; a second untagged VLAN is refused
 * ("is already untagged member!"); `config vlan member del all PORT` removes every membership of a port.
 * Each command applies at once. Preconditions, as with networking-generic-switch: the VLANs exist
 * (`config vlan add`) and managed ports are in `config switchport mode trunk`.
 *
 * VLAN model: `set-access` removes every membership and adds the one untagged VLAN, so it needs no
 * knowledge of the port's previous VLAN and never leaves two untagged VLANs.
 */
import { assertNever, InvalidInput } from '../../../domain/errors.ts';
import type { LagSettings, ObservedPort, ObservedPorts, SwitchOp } from '../../../domain/switch-plan.ts';
import type { SwitchPortName, Vlan } from '../../../domain/values.ts';
import { completePorts, type DeviceProfile, lineByLine, vlanOrNull } from '../profile.ts';

/** SONiC port channels are LACP (teamd); `config portchannel add` has no static mode. */
function renderLag(lag: SwitchPortName, members: readonly SwitchPortName[], s: LagSettings): string[] {
  if (s.mode !== 'lacp') throw new InvalidInput(`the sonic profile makes LACP port channels only, not '${s.mode}'`);
  const opts = [
    ...(s.minLinks === undefined ? [] : [`--min-links ${s.minLinks}`]),
    ...(s.lacpRate === undefined ? [] : [`--fast-rate ${s.lacpRate === 'fast'}`]),
  ];
  return [
    ['config portchannel add', ...opts, lag].join(' '),
    ...members.map((m) => `config portchannel member add ${lag} ${m}`),
  ];
}

function render(op: SwitchOp): readonly string[] {
  switch (op.kind) {
    case 'set-access':
      return [`config vlan member del all ${op.port}`, `config vlan member add -u ${op.vlan} ${op.port}`];
    case 'add-tagged':
      return op.vlans.map((v) => `config vlan member add ${v} ${op.port}`);
    case 'remove-tagged':
      return op.vlans.map((v) => `config vlan member del ${v} ${op.port}`);
    case 'set-lag':
      return renderLag(op.lag, op.members, op.settings);
    case 'delete-lag':
      return [`config portchannel del ${op.lag}`];
    case 'set-enabled':
      return [`config interface ${op.isEnabled ? 'startup' : 'shutdown'} ${op.port}`];
    default:
      return assertNever(op);
  }
}

type Tables = Record<string, Record<string, Record<string, string>>>;

/** Reads `show runningconfiguration all`: CONFIG_DB as JSON (PORT, PORTCHANNEL*, VLAN_MEMBER tables). */
export function parseSonicPorts(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts {
  let db: Tables;
  try {
    db = JSON.parse(outputs.join('\n')) as Tables;
  } catch {
    throw new InvalidInput(`show runningconfiguration all did not print JSON: ${outputs.join('\n').slice(0, 200)}`);
  }
  const table = (name: string): Record<string, Record<string, string>> => db[name] ?? {};
  const untagged = new Map<string, Vlan>();
  const tagged = new Map<string, Vlan[]>();
  for (const [key, row] of Object.entries(table('VLAN_MEMBER'))) {
    const [vlanName, port] = key.split('|');
    const vlan = vlanOrNull(vlanName?.replace(/^Vlan/, ''));
    if (vlan === null || port === undefined) continue;
    if (row.tagging_mode === 'untagged') untagged.set(port, vlan);
    else tagged.set(port, [...(tagged.get(port) ?? []), vlan]);
  }
  const members = new Map<string, string[]>();
  const memberOf = new Map<string, string>();
  for (const key of Object.keys(table('PORTCHANNEL_MEMBER'))) {
    const [lag, port] = key.split('|');
    if (lag === undefined || port === undefined) continue;
    members.set(lag, [...(members.get(lag) ?? []), port]);
    memberOf.set(port, lag);
  }
  const found = new Map<SwitchPortName, ObservedPort>();
  const add = (raw: string, row: Record<string, string>, lag: ObservedPort['lag']) => {
    const name = raw as SwitchPortName;
    found.set(name, {
      name,
      exists: true,
      untagged: untagged.get(raw) ?? null,
      tagged: (tagged.get(raw) ?? []).sort((a, b) => a - b),
      isEnabled: row.admin_status === 'up',
      lag,
      memberOf: (memberOf.get(raw) as SwitchPortName | undefined) ?? null,
    });
  };
  for (const [name, row] of Object.entries(table('PORT'))) add(name, row, null);
  for (const [name, row] of Object.entries(table('PORTCHANNEL'))) {
    const minLinks = Number(row.min_links);
    const settings: LagSettings = {
      mode: 'lacp',
      lacpRate: row.fast_rate === 'true' ? 'fast' : 'slow',
      ...(Number.isInteger(minLinks) && minLinks > 0 ? { minLinks } : {}),
    };
    const list = (members.get(name) ?? []).map((m) => m as SwitchPortName).sort();
    add(name, row, { members: list, settings });
  }
  return completePorts(found, ports);
}

export const sonic: DeviceProfile = {
  name: 'sonic',
  supports: { lag: true, trunk: true, save: true },
  lagNameTemplate: 'PortChannel{n}',
  portName: /^(Ethernet\d+|PortChannel\d{1,4})$/,
  prompt: /^[\w.-]+@[\w.:~/-]+[$#] ?$/,
  errors: [
    /VLAN[0-9]+ doesn't exist/i,
    /Invalid Vlan Id , Valid Range : 1 to 4094/,
    /Interface name is invalid!!/,
    /No such command/,
    /^Error: /,
    /^Usage: /,
    /command not found/,
  ],
  pager: null,
  setup: ['unset HISTFILE'],
  enable: ['sudo -i'],
  enterConfig: [],
  commit: [],
  exitConfig: [],
  abort: [],
  save: ['config save -y'],
  render,
  readsLagsBeforeApply: false,
  batch: lineByLine,
  readCommand: () => ['show runningconfiguration all'],
  parsePorts: parseSonicPorts,
};
