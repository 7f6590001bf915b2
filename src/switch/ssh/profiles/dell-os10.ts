/**
 * `dell-os10`: Dell SmartFabric OS10 CLI. Syntax from networking-generic-switch's
 * `netmiko_dell_os10` templates and Dell's OS10 user guide (channel-group, minimum-links, lacp rate).
 * OS10 applies each line at once (non-transaction mode). In trunk mode OS10's untagged VLAN is the
 * `switchport access vlan` and the allowed list starts empty and grows with each
 * `switchport trunk allowed vlan` line.
 */
import { assertNever } from '../../../domain/errors.ts';
import type { LagSettings, ObservedPorts, SwitchOp } from '../../../domain/switch-plan.ts';
import type { SwitchPortName } from '../../../domain/values.ts';
import { type DeviceProfile, lagNumber, lineByLine } from '../profile.ts';
import { parseRunningConfig } from '../running-config.ts';

function renderLag(lag: SwitchPortName, members: readonly SwitchPortName[], s: LagSettings): string[] {
  const n = lagNumber(lag);
  const mode = s.mode === 'lacp' ? 'active' : 'on';
  const rate =
    s.mode !== 'lacp' || s.lacpRate === undefined ? [] : [`lacp rate ${s.lacpRate === 'fast' ? 'fast' : 'normal'}`];
  return [
    `interface ${lag}`,
    ...(s.minLinks === undefined ? [] : [`minimum-links ${s.minLinks}`]),
    'exit',
    ...members.flatMap((m) => [`interface ${m}`, `channel-group ${n} mode ${mode}`, ...rate, 'exit']),
  ];
}

function render(op: SwitchOp): readonly string[] {
  switch (op.kind) {
    case 'set-access':
      return [`interface ${op.port}`, 'switchport mode access', `switchport access vlan ${op.vlan}`, 'exit'];
    case 'add-tagged':
      return [
        `interface ${op.port}`,
        'switchport mode trunk',
        `switchport trunk allowed vlan ${op.vlans.join(',')}`,
        'exit',
      ];
    case 'remove-tagged':
      return [`interface ${op.port}`, `no switchport trunk allowed vlan ${op.vlans.join(',')}`, 'exit'];
    case 'set-lag':
      return renderLag(op.lag, op.members, op.settings);
    case 'delete-lag':
      return [`no interface ${op.lag}`];
    case 'set-enabled':
      return [`interface ${op.port}`, op.isEnabled ? 'no shutdown' : 'shutdown', 'exit'];
    default:
      return assertNever(op);
  }
}

export function parseOs10Ports(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts {
  return parseRunningConfig(outputs.join('\n'), ports, {
    lagName: (n) => `port-channel${n}`,
    lagPattern: /^port-channel\d+$/,
    isEnabledByDefault: false,
    trunkUntagged: 'access-vlan',
    isTrunkAllowedAllByDefault: false,
    minLinks: /^minimum-links (\d+)$/,
  });
}

export const dellOs10: DeviceProfile = {
  name: 'dell-os10',
  supports: { lag: true, trunk: true, save: true },
  lagNameTemplate: 'port-channel{n}',
  portName: /^(ethernet\d+\/\d+\/\d+(:\d+)?|port-channel\d+)$/,
  prompt: /^[\w.@-]+(\([\w./-]+\))?# ?$/,
  errors: [/^% Error/, /^% /],
  pager: { prompt: /--more--/i, answer: ' ' },
  setup: ['terminal length 0'],
  enable: [],
  enterConfig: ['configure terminal'],
  commit: [],
  exitConfig: ['end'],
  abort: ['end'],
  save: ['write memory'],
  render,
  readsLagsBeforeApply: false,
  batch: lineByLine,
  readCommand: () => ['show running-configuration interface'],
  parsePorts: parseOs10Ports,
};
