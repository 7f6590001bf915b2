/**
 * What an SSH device profile is (docs/conventions.md): a plain value per vendor — prompts, modes, error patterns,
 * and small pure functions that render SwitchOps as CLI lines and parse `show` output. No state, no I/O.
 */
import { InvalidInput } from '../../domain/errors.ts';
import { type ObservedPort, type ObservedPorts, portsOfOp, type SwitchOp } from '../../domain/switch-plan.ts';
import type { SwitchPortName, Vlan } from '../../domain/values.ts';

/**
 * What a profile can render. `trunk`: tagged VLANs (`add-tagged`/`remove-tagged`); `lag`: port channels
 * (`set-lag`/`delete-lag`); `save`: a separate command that persists the running configuration. Planning
 * refuses an op a switch's profile lacks (reconciler: `binding_failed` with the reason); rendering one is a bug.
 */
export interface ProfileSupports {
  readonly lag: boolean;
  readonly trunk: boolean;
  readonly save: boolean;
}

export interface DeviceProfile {
  readonly name: string;
  readonly supports: ProfileSupports;
  /** How the vendor names a LAG: `{n}` is the channel number (`Port-Channel{n}`); the switch config's default. */
  readonly lagNameTemplate: string;
  /** Port and LAG names this vendor accepts; every interpolated name must match it. */
  readonly portName: RegExp;
  /** Matches the last, unterminated line of output when the device waits for a command. */
  readonly prompt: RegExp;
  /** A line of output matching one of these means the command was refused. */
  readonly errors: readonly RegExp[];
  /** A pager prompt (`--More--`) and the keys that continue it. */
  readonly pager: { readonly prompt: RegExp; readonly answer: string } | null;
  /** Sent once per new session, in exec mode (e.g. `terminal length 0`). */
  readonly setup: readonly string[];
  /** Privileged mode (`enable`); a password prompt is answered with the switch's enable secret. */
  readonly enable: readonly string[];
  readonly enterConfig: readonly string[];
  /** Ends a successful batch inside config mode (`commit`); empty when lines apply at once. */
  readonly commit: readonly string[];
  /** Leaves config mode after a commit, back to the exec prompt. */
  readonly exitConfig: readonly string[];
  /** Leaves config mode discarding uncommitted lines, after a rejected line. */
  readonly abort: readonly string[];
  /** Persists the running configuration (run after `exitConfig`). */
  readonly save: readonly string[];
  /**
   * The lines of one op. `before` is the state of the batch's LAGs and their members, read in the same
   * session just before (only for profiles with `readsLagsBeforeApply`; empty for dry runs and the others).
   */
  render(op: SwitchOp, before: ObservedPorts): readonly string[];
  /** Read the LAGs and members a batch touches before rendering it (a vendor that must name former members). */
  readonly readsLagsBeforeApply: boolean;
  /** Joins one batch's rendered lines into what is sent (ovs-vsctl joins them into one transaction). */
  batch(lines: readonly string[]): readonly string[];
  /** Exec-mode commands whose outputs `parsePorts` reads, in order. */
  readCommand(ports: readonly SwitchPortName[]): readonly string[];
  parsePorts(outputs: readonly string[], ports: readonly SwitchPortName[]): ObservedPorts;
}

/** The lines `apply(ops)` sends between entering config mode and committing. */
export function renderOps(
  profile: DeviceProfile,
  ops: readonly SwitchOp[],
  before: ObservedPorts = new Map(),
): readonly string[] {
  for (const op of ops) checkOpNames(profile, op);
  // Adding or removing no VLANs is nothing to send (and an empty VLAN list is a syntax error on most CLIs).
  const effective = ops.filter(
    (op) => !((op.kind === 'add-tagged' || op.kind === 'remove-tagged') && op.vlans.length === 0),
  );
  return profile.batch(effective.flatMap((op) => profile.render(op, before)));
}

/** The LAGs a batch creates, changes or deletes, and their named members. */
export function lagPorts(ops: readonly SwitchOp[]): SwitchPortName[] {
  const names = ops.flatMap((op) =>
    op.kind === 'set-lag' ? [op.lag, ...op.members] : op.kind === 'delete-lag' ? [op.lag] : [],
  );
  return [...new Set(names)];
}

/** Refuses a port or LAG name the vendor would not accept (and that could smuggle CLI syntax). */
export function checkOpNames(profile: DeviceProfile, op: SwitchOp): void {
  for (const name of portsOfOp(op)) {
    if (!profile.portName.test(name)) {
      throw new InvalidInput(`'${name}' is not a port name the ${profile.name} profile accepts`);
    }
  }
}

/** `batch` for vendors that send rendered lines one by one. */
export function lineByLine(lines: readonly string[]): readonly string[] {
  return lines;
}

/** A port the switch does not know. */
export function absentPort(name: SwitchPortName): ObservedPort {
  return { name, exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null };
}

/** Fills in `exists: false` for asked-for names the output did not mention. */
export function completePorts(
  found: ReadonlyMap<SwitchPortName, ObservedPort>,
  ports: readonly SwitchPortName[],
): ObservedPorts {
  const out = new Map<SwitchPortName, ObservedPort>();
  for (const name of ports) out.set(name, found.get(name) ?? absentPort(name));
  return out;
}

/** VLAN lists as switches print them: `10,20-22` (also space separated); `none` is empty. */
export function parseVlanList(text: string): Vlan[] {
  const out: Vlan[] = [];
  const trimmed = text.trim();
  if (trimmed === '' || /^none$/i.test(trimmed)) return out;
  for (const part of trimmed.split(/[,\s]+/)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m?.[1]) continue;
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    for (let v = from; v <= to && v <= 4094; v += 1) if (v >= 1) out.push(v as Vlan);
  }
  return out;
}

/** Parses a number the switch printed as a VLAN id; null when it is not one. */
export function vlanOrNull(text: string | undefined): Vlan | null {
  if (text === undefined || !/^\d+$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= 1 && n <= 4094 ? (n as Vlan) : null;
}

/** The number in a LAG name (`Port-Channel10` → 10) for vendors whose members name the channel by number. */
export function lagNumber(lag: SwitchPortName): number {
  const m = /(\d+)$/.exec(lag);
  if (!m?.[1]) throw new InvalidInput(`LAG name '${lag}' does not end in a channel number`);
  return Number(m[1]);
}

/** For an op a profile declares unsupported in `supports`: planning refuses it; rendering it is a bug. */
export function unsupported(profileName: string, op: SwitchOp): never {
  throw new InvalidInput(`the ${profileName} profile cannot render '${op.kind}'; it declares no support for it`);
}

/** Expands port lists as Linux-based NOSes print them: `swp1-3,swp7` → swp1 swp2 swp3 swp7. */
export function expandPortList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const m = /^(.*?)(\d+)-(\d+)$/.exec(part);
    if (m?.[2] && m[3] && Number(m[3]) >= Number(m[2]) && Number(m[3]) - Number(m[2]) < 4096) {
      for (let i = Number(m[2]); i <= Number(m[3]); i += 1) out.push(`${m[1]}${i}`);
    } else if (part !== '') {
      out.push(part);
    }
  }
  return out;
}
