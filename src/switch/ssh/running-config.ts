/**
 * Reading an IOS-style running configuration (Arista EOS, Cisco NX-OS, Dell OS10): `interface NAME` blocks
 * of indented `switchport …`, `channel-group …`, `shutdown` lines. What a vendor does differently (defaults,
 * LAG naming, where the trunk's untagged VLAN comes from) is a parameter.
 */
import type { LagSettings, ObservedPort, ObservedPorts } from '../../domain/switch-plan.ts';
import { parseVlan, type SwitchPortName, type Vlan } from '../../domain/values.ts';
import { completePorts, parseVlanList, vlanOrNull } from './profile.ts';

export interface RunningConfigDialect {
  /** The LAG interface a `channel-group N` line joins (`Port-Channel10`, `port-channel10`). */
  lagName(n: number): string;
  /** Names of LAG interfaces (a LAG without members is still a LAG). */
  readonly lagPattern: RegExp;
  /** Whether a port with neither `shutdown` nor `no shutdown` is up. */
  readonly isEnabledByDefault: boolean;
  /** Where a trunk port's untagged VLAN comes from: `switchport trunk native vlan` or the access VLAN (OS10). */
  readonly trunkUntagged: 'native-vlan' | 'access-vlan';
  /** Allowed VLANs of a trunk without an allowed-vlan line: every VLAN (EOS, NX-OS) or none (OS10). */
  readonly isTrunkAllowedAllByDefault: boolean;
  /** The LAG interface's minimum-links line, e.g. /^port-channel min-links (\d+)$/. */
  readonly minLinks: RegExp;
}

/** The VLAN an IOS-style port carries when its configuration names none. */
const DEFAULT_VLAN = parseVlan(1);

/** `interface NAME` → its body lines, trimmed. */
export function interfaceBlocks(text: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const head = /^interface (\S+)$/.exec(line);
    if (head?.[1]) {
      current = [];
      blocks.set(head[1], current);
    } else if (current !== null && /^\s+\S/.test(line)) {
      current.push(line.trim());
    } else if (line.trim() !== '') {
      current = null;
    }
  }
  return blocks;
}

export function parseRunningConfig(
  text: string,
  ports: readonly SwitchPortName[],
  dialect: RunningConfigDialect,
): ObservedPorts {
  const blocks = interfaceBlocks(text);
  const members = new Map<string, { name: SwitchPortName; mode: string; lacpRate: 'fast' | 'slow' | undefined }[]>();
  for (const [name, lines] of blocks) {
    for (const line of lines) {
      const m = /^channel-group (\d+)(?: mode (\S+))?$/.exec(line);
      if (!m?.[1]) continue;
      const lag = dialect.lagName(Number(m[1]));
      const rate = lines.includes('lacp rate fast') ? 'fast' : lines.includes('lacp rate normal') ? 'slow' : undefined;
      const list = members.get(lag) ?? [];
      list.push({ name: name as SwitchPortName, mode: m[2] ?? 'on', lacpRate: rate });
      members.set(lag, list);
    }
  }

  const found = new Map<SwitchPortName, ObservedPort>();
  for (const [rawName, lines] of blocks) {
    const name = rawName as SwitchPortName;
    const value = (re: RegExp) => lines.map((l) => re.exec(l)?.[1]).find((v) => v !== undefined);
    const isTrunk = lines.includes('switchport mode trunk');
    const access = vlanOrNull(value(/^switchport access vlan (\d+)$/)) ?? DEFAULT_VLAN;
    const native = vlanOrNull(value(/^switchport trunk native vlan (\d+)$/)) ?? DEFAULT_VLAN;
    const allowedLines = lines.filter((l) => /^switchport trunk allowed vlan /.test(l));
    const carriesAllVlans = isTrunk && dialect.isTrunkAllowedAllByDefault && allowedLines.length === 0;
    let allowed: Vlan[] = [];
    for (const l of allowedLines) {
      const add = /^switchport trunk allowed vlan add (.+)$/.exec(l);
      const list = add?.[1] ?? /^switchport trunk allowed vlan (.+)$/.exec(l)?.[1] ?? '';
      // OS10 prints one additive line per list; EOS/NX-OS print a full list, then `add` continuations.
      allowed = add || !dialect.isTrunkAllowedAllByDefault ? [...allowed, ...parseVlanList(list)] : parseVlanList(list);
    }
    const untagged = isTrunk ? (dialect.trunkUntagged === 'access-vlan' ? access : native) : access;
    const tagged = isTrunk ? [...new Set(allowed)].filter((v) => v !== untagged).sort((a, b) => a - b) : [];
    const isEnabled = lines.includes('shutdown') ? false : lines.includes('no shutdown') || dialect.isEnabledByDefault;
    const lagMembers = members.get(rawName);
    const memberOf = [...members].find(([, list]) => list.some((m) => m.name === rawName))?.[0];
    found.set(name, {
      name,
      exists: true,
      untagged,
      tagged,
      ...(carriesAllVlans ? { carriesAllVlans } : {}),
      isEnabled,
      lag:
        lagMembers || dialect.lagPattern.test(rawName)
          ? {
              members: (lagMembers ?? []).map((m) => m.name).sort(),
              settings: lagSettings(lagMembers ?? [], lines, dialect),
            }
          : null,
      memberOf: memberOf === undefined ? null : (memberOf as SwitchPortName),
    });
  }
  return completePorts(found, ports);
}

function lagSettings(
  members: readonly { mode: string; lacpRate: 'fast' | 'slow' | undefined }[],
  lagLines: readonly string[],
  dialect: RunningConfigDialect,
): LagSettings {
  const first = members[0];
  const isLacp = first?.mode === 'active' || first?.mode === 'passive';
  const minLinks = lagLines.map((l) => dialect.minLinks.exec(l)?.[1]).find((v) => v !== undefined);
  return {
    mode: isLacp ? 'lacp' : 'static',
    ...(isLacp && first?.lacpRate ? { lacpRate: first.lacpRate } : {}),
    ...(minLinks ? { minLinks: Number(minLinks) } : {}),
  };
}
