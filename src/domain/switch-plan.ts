/**
 * The language between the reconciler and switch drivers: what one switch port or LAG should carry
 * (desired), what it carries (observed), and the operations that move one to the other.
 */
import { assertNever } from './errors.ts';
import type { SwitchPortName, Vlan } from './values.ts';

/** How a LAG aggregates its members. `lacp` is 802.3ad; `static` a plain (pre-configured) channel. */
export type LagMode = 'lacp' | 'static' | 'active-backup';

export interface LagSettings {
  readonly mode: LagMode;
  /** LACP rate: `fast` = 1 s PDUs, `slow` = 30 s. */
  readonly lacpRate?: 'fast' | 'slow';
  readonly minLinks?: number;
}

export type SwitchOp =
  /** Port (or LAG) in access mode carrying `vlan` untagged; replaces any untagged VLAN it had. */
  | { readonly kind: 'set-access'; readonly port: SwitchPortName; readonly vlan: Vlan }
  /** Port (or LAG) carries these VLANs tagged in addition to what it has. */
  | { readonly kind: 'add-tagged'; readonly port: SwitchPortName; readonly vlans: readonly Vlan[] }
  /** Port (or LAG) no longer carries these VLANs tagged. */
  | { readonly kind: 'remove-tagged'; readonly port: SwitchPortName; readonly vlans: readonly Vlan[] }
  /** Create or update a LAG with exactly these members. */
  | {
      readonly kind: 'set-lag';
      readonly lag: SwitchPortName;
      readonly members: readonly SwitchPortName[];
      readonly settings: LagSettings;
    }
  /** Remove a LAG; its former members are left as plain ports (the reconciler sets their default). */
  | { readonly kind: 'delete-lag'; readonly lag: SwitchPortName }
  /** Administrative state of a port (shutdown / no shutdown). */
  | { readonly kind: 'set-enabled'; readonly port: SwitchPortName; readonly isEnabled: boolean };

/** The switch ports (or LAGs) an op names: a LAG op its LAG and members, the others their port. */
export function portsOfOp(op: SwitchOp): SwitchPortName[] {
  switch (op.kind) {
    case 'set-lag':
      return [op.lag, ...op.members];
    case 'delete-lag':
      return [op.lag];
    default:
      return [op.port];
  }
}

/** What a driver read back from the switch for one port or LAG. */
export interface ObservedPort {
  readonly name: SwitchPortName;
  readonly exists: boolean;
  readonly untagged: Vlan | null;
  readonly tagged: readonly Vlan[];
  /**
   * Set when the port carries every VLAN tagged whatever `tagged` lists (Open vSwitch: no `tag` and empty
   * `trunks`); drift to repair, never a state to keep. Absent means false.
   */
  readonly carriesAllVlans?: boolean;
  readonly isEnabled: boolean;
  /** Set when this name is a LAG. */
  readonly lag: { readonly members: readonly SwitchPortName[]; readonly settings: LagSettings } | null;
  /** Set when this port is a member of a LAG. */
  readonly memberOf: SwitchPortName | null;
}

export type ObservedPorts = ReadonlyMap<SwitchPortName, ObservedPort>;

/** What the unbound ports of a switch get: a quarantine VLAN, or shut down. Never VLAN 1, never trunk-all. */
export type UnboundDefault = { readonly kind: 'vlan'; readonly vlan: Vlan } | { readonly kind: 'shutdown' };

/** What one switch port or LAG should be, computed from the bound ports (binding.ts). */
export type DesiredPort =
  /** Carries `vlan` untagged for the Neutron ports in `owners`. */
  | { readonly kind: 'access'; readonly vlan: Vlan; readonly owners: readonly string[] }
  /** A LAG with these members carrying `vlan` untagged. */
  | {
      readonly kind: 'lag';
      readonly vlan: Vlan;
      readonly members: readonly SwitchPortName[];
      readonly settings: LagSettings;
      readonly owners: readonly string[];
    }
  /** A member of the LAG `lag`: configured through the LAG. */
  | { readonly kind: 'lag-member'; readonly lag: SwitchPortName }
  /** Known to bmnet but bound to nothing: the switch's unbound default (a LAG that should not exist is removed). */
  | { readonly kind: 'default' };

export interface SwitchPlan {
  /** First batch: take old VLANs away (invariant 2); confirmed by a read-back before `additions`. */
  readonly removals: readonly SwitchOp[];
  /** Second batch: the new VLANs and LAGs. */
  readonly additions: readonly SwitchOp[];
}

const sameMembers = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((m, i) => m === [...b].sort()[i]);

const sameSettings = (a: LagSettings, b: LagSettings) =>
  a.mode === b.mode && (a.lacpRate ?? 'slow') === (b.lacpRate ?? 'slow') && (a.minLinks ?? 1) === (b.minLinks ?? 1);

/**
 * plan(desired, observed) → removals then additions (docs/architecture.md §3, invariant 2): a port or LAG that carries a
 * VLAN it should no longer carry is first moved to the unbound default; only then is the new VLAN set.
 * Ops that must share a batch (a LAG and its VLAN; a deleted LAG and its freed members' defaults) do.
 */
export function planSwitchChanges(
  desired: ReadonlyMap<SwitchPortName, DesiredPort>,
  observed: ObservedPorts,
  unbound: UnboundDefault,
): SwitchPlan {
  const removals: SwitchOp[] = [];
  const additions: SwitchOp[] = [];
  const quarantine = unbound.kind === 'vlan' ? unbound.vlan : null;
  const obs = (name: SwitchPortName): ObservedPort | undefined => observed.get(name);
  /** A VLAN other than the quarantine one, or trunk-all: something to take away before anything new. */
  const carriesTraffic = (o: ObservedPort | undefined, keep: Vlan | null) =>
    o?.exists &&
    (o.carriesAllVlans === true ||
      o.tagged.length > 0 ||
      (o.untagged !== null && o.untagged !== quarantine && o.untagged !== keep));
  const toDefault = (port: SwitchPortName, o: ObservedPort | undefined): SwitchOp[] => {
    if (unbound.kind === 'shutdown') {
      const ops: SwitchOp[] = [];
      if (o?.tagged.length) ops.push({ kind: 'remove-tagged', port, vlans: o.tagged });
      if (o?.isEnabled !== false) ops.push({ kind: 'set-enabled', port, isEnabled: false });
      return ops;
    }
    return [{ kind: 'set-access', port, vlan: unbound.vlan }];
  };
  const enable = (port: SwitchPortName, o: ObservedPort | undefined): SwitchOp[] =>
    unbound.kind === 'shutdown' && o?.isEnabled === false ? [{ kind: 'set-enabled', port, isEnabled: true }] : [];

  // LAGs that should not exist go first: their members are then free for whatever they should be
  const freed = new Set<SwitchPortName>();
  for (const [name, d] of desired) {
    const o = obs(name);
    if (!o?.exists || !o.lag || d.kind === 'lag') continue;
    removals.push({ kind: 'delete-lag', lag: name });
    for (const m of o.lag.members) {
      freed.add(m);
      removals.push(...toDefault(m, { ...(obs(m) ?? o), tagged: [], isEnabled: true }));
    }
  }

  for (const [name, d] of desired) {
    const o = obs(name);
    switch (d.kind) {
      case 'lag-member':
        break;
      case 'default':
        if (o?.lag || freed.has(name) || !o?.exists) break;
        if (o.memberOf !== null) break; // a member of a LAG: its LAG's plan frees it
        if (
          unbound.kind === 'shutdown'
            ? o.isEnabled || o.tagged.length > 0
            : carriesTraffic(o, null) || o.untagged === null
        ) {
          removals.push(...toDefault(name, o));
        }
        break;
      case 'access': {
        if (
          o?.exists &&
          o.memberOf === null &&
          !o.carriesAllVlans &&
          o.untagged === d.vlan &&
          o.tagged.length === 0 &&
          o.isEnabled
        )
          break;
        if (carriesTraffic(o, d.vlan) && !freed.has(name)) removals.push(...toDefault(name, o));
        additions.push({ kind: 'set-access', port: name, vlan: d.vlan }, ...enable(name, o));
        break;
      }
      case 'lag': {
        const isSame =
          o?.exists && o.lag && sameMembers(o.lag.members, d.members) && sameSettings(o.lag.settings, d.settings);
        if (isSame && o?.untagged === d.vlan && o.tagged.length === 0 && !o.carriesAllVlans) break;
        // members joining the LAG lose whatever they carried on their own first
        for (const m of d.members) {
          const om = obs(m);
          if (om?.memberOf !== name && carriesTraffic(om, null) && !freed.has(m)) removals.push(...toDefault(m, om));
        }
        if (o?.exists && o.lag) {
          // members leaving the LAG: shrink it and give them the default in one batch (no port without a VLAN)
          const leaving = o.lag.members.filter((m) => !d.members.includes(m));
          if (carriesTraffic(o, d.vlan)) removals.push(...toDefault(name, o));
          if (leaving.length > 0) {
            const staying = o.lag.members.filter((m) => d.members.includes(m));
            removals.push(
              staying.length > 0
                ? { kind: 'set-lag', lag: name, members: staying, settings: o.lag.settings }
                : { kind: 'delete-lag', lag: name },
            );
            for (const m of leaving)
              removals.push(...toDefault(m, { ...o, name: m, lag: null, memberOf: null, tagged: [], isEnabled: true }));
          }
        }
        additions.push({ kind: 'set-lag', lag: name, members: d.members, settings: d.settings });
        additions.push({ kind: 'set-access', port: name, vlan: d.vlan }, ...enable(name, o));
        break;
      }
      default:
        assertNever(d);
    }
  }
  return { removals: dedupe(removals), additions };
}

/** Drops repeated identical ops (a LAG shrink can name a port the default pass names too). */
function dedupe(ops: SwitchOp[]): SwitchOp[] {
  const seen = new Set<string>();
  return ops.filter((op) => {
    const key = JSON.stringify(op);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether a switch port or LAG is as desired (what the reconciler confirms before a port turns ACTIVE). */
export function isInSync(d: DesiredPort, o: ObservedPort | undefined, unbound: UnboundDefault): boolean {
  if (!o?.exists) return d.kind === 'default';
  const clean = o.tagged.length === 0 && o.carriesAllVlans !== true;
  switch (d.kind) {
    case 'access':
      return o.untagged === d.vlan && clean && o.memberOf === null && o.isEnabled;
    case 'lag':
      return o.lag !== null && sameMembers(o.lag.members, d.members) && o.untagged === d.vlan && clean && o.isEnabled;
    case 'lag-member':
      return o.memberOf === d.lag;
    case 'default':
      if (o.lag !== null) return false;
      return unbound.kind === 'shutdown' ? !o.isEnabled : o.untagged === unbound.vlan && clean && o.memberOf === null;
    default:
      return assertNever(d);
  }
}
