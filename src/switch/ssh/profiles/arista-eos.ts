/**
 * `arista-eos`: Arista EOS CLI. Syntax from networking-generic-switch's
 * `netmiko_arista_eos` templates and Arista's EOS configuration guide (configure session, channel-group,
 * port-channel min-links, lacp rate). Changes go through a configuration session: nothing applies until
 * `commit`, and a rejected line is dropped with `abort`.
 *
 * VLAN model: `set-access` puts the port in access mode and also stages the trunk native VLAN and an allowed
 * list of just that VLAN, so a later `add-tagged` (which switches to trunk mode) keeps the untagged VLAN and
 * never starts from EOS's default "all VLANs allowed".
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
    ...(s.minLinks === undefined ? [] : [`port-channel min-links ${s.minLinks}`]),
    ...members.flatMap((m) => [`interface ${m}`, `channel-group ${n} mode ${mode}`, ...rate]),
  ];
}

function render(op: SwitchOp): readonly string[] {
  switch (op.kind) {
    case 'set-access':
      return [
        `interface ${op.port}`,
        'switchport mode access',
        `switchport access vlan ${op.vlan}`,
        `switchport trunk native vlan ${op.vlan}`,
        `switchport trunk allowed vlan ${op.vlan}`,
      ];
    case 'add-tagged':
      return [
        `interface ${op.port}`,
        `switchport trunk allowed vlan add ${op.vlans.join(',')}`,
        'switchport mode trunk',
      ];
    case 'remove-tagged':
      return [`interface ${op.port}`, `switchport trunk allowed vlan remove ${op.vlans.join(',')}`];
    case 'set-lag':
      return renderLag(op.lag, op.members, op.settings);
    case 'delete-lag':
      return [`no interface ${op.lag}`];
    case 'set-enabled':
      return [`interface ${op.port}`, op.isEnabled ? 'no shutdown' : 'shutdown'];
    default:
      return assertNever(op);
  }
}

export function parseEosPorts(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts {
  return parseRunningConfig(outputs.join('\n'), ports, {
    lagName: (n) => `Port-Channel${n}`,
    lagPattern: /^Port-Channel\d+$/,
    isEnabledByDefault: true,
    trunkUntagged: 'native-vlan',
    isTrunkAllowedAllByDefault: true,
    minLinks: /^port-channel min-links (\d+)$/,
  });
}

export const aristaEos: DeviceProfile = {
  name: 'arista-eos',
  supports: { lag: true, trunk: true, save: true },
  lagNameTemplate: 'Port-Channel{n}',
  portName: /^(Ethernet\d+(\/\d+)*|Port-Channel\d+)$/,
  prompt: /^[\w.@-]+(\([\w./-]+\))?[>#] ?$/,
  errors: [/^% /],
  pager: { prompt: /--More--/, answer: ' ' },
  setup: ['terminal length 0'],
  enable: ['enable'],
  enterConfig: ['configure session'],
  // `commit` ends the session and returns to exec mode.
  commit: ['commit'],
  exitConfig: [],
  abort: ['abort'],
  save: ['write memory'],
  render,
  readsLagsBeforeApply: false,
  batch: lineByLine,
  readCommand: () => ['show running-config | section ^interface'],
  parsePorts: parseEosPorts,
};
