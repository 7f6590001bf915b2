/**
 * `cisco-nxos`: Cisco NX-OS CLI. Syntax from networking-generic-switch's
 * `netmiko_cisco_nxos` templates and Cisco's Nexus 9000 interfaces configuration guide (switchport,
 * channel-group, lacp min-links, lacp rate). NX-OS applies each line at once: a rejected line leaves the
 * earlier lines of the batch applied, which the reconciler's read-back sees. LAGs need `feature lacp`.
 *
 * VLAN model: as arista-eos — `set-access` stages the trunk native VLAN and an allowed list of just that VLAN.
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
    'switchport',
    ...(s.minLinks === undefined ? [] : [`lacp min-links ${s.minLinks}`]),
    'exit',
    ...members.flatMap((m) => [`interface ${m}`, 'switchport', `channel-group ${n} mode ${mode}`, ...rate, 'exit']),
  ];
}

function render(op: SwitchOp): readonly string[] {
  switch (op.kind) {
    case 'set-access':
      return [
        `interface ${op.port}`,
        'switchport',
        'switchport mode access',
        `switchport access vlan ${op.vlan}`,
        `switchport trunk native vlan ${op.vlan}`,
        `switchport trunk allowed vlan ${op.vlan}`,
        'exit',
      ];
    case 'add-tagged':
      return [
        `interface ${op.port}`,
        `switchport trunk allowed vlan add ${op.vlans.join(',')}`,
        'switchport mode trunk',
        'exit',
      ];
    case 'remove-tagged':
      return [`interface ${op.port}`, `switchport trunk allowed vlan remove ${op.vlans.join(',')}`, 'exit'];
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

export function parseNxosPorts(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts {
  return parseRunningConfig(outputs.join('\n'), ports, {
    lagName: (n) => `port-channel${n}`,
    lagPattern: /^port-channel\d+$/,
    isEnabledByDefault: false,
    trunkUntagged: 'native-vlan',
    isTrunkAllowedAllByDefault: true,
    minLinks: /^lacp min-links (\d+)$/,
  });
}

export const ciscoNxos: DeviceProfile = {
  name: 'cisco-nxos',
  supports: { lag: true, trunk: true, save: true },
  lagNameTemplate: 'port-channel{n}',
  portName: /^(Ethernet\d+(\/\d+){1,2}|port-channel\d+)$/,
  prompt: /^[\w.@-]+(\([\w./-]+\))?# ?$/,
  errors: [/^% /, /^ERROR: /i],
  pager: { prompt: /--More--/, answer: ' ' },
  setup: ['terminal length 0', 'terminal width 511'],
  enable: [],
  enterConfig: ['configure terminal'],
  commit: [],
  exitConfig: ['end'],
  abort: ['end'],
  save: ['copy running-config startup-config'],
  render,
  readsLagsBeforeApply: false,
  batch: lineByLine,
  readCommand: () => ['show running-config interface'],
  parsePorts: parseNxosPorts,
};
