/**
 * The ML2 mechanism-driver job, pure: a bare-metal port's `local_link_information` and
 * `local_group_information` → the switch ports (or LAG) that must carry its network's VLAN, or the reason
 * it cannot be bound. Then the desired state of every switch from all bindings (invariant 1 of docs/architecture.md §3:
 * one untagged VLAN per switch port or LAG; the binding that came first keeps it, the other fails).
 */
import type { DesiredPort, LagMode, LagSettings } from './switch-plan.ts';
import { parseSwitchPortName, parseVlan, type SwitchPortName, type Vlan } from './values.ts';

export interface SwitchFacts {
  readonly name: string;
  /** `switch_id` values, lower case (MAC, datapath id). */
  readonly identities: readonly string[];
  readonly physnets: readonly string[];
  readonly protectedPorts: readonly string[];
  /** Whether the switch can form LAGs (an SSH profile may not). */
  readonly supportsLag: boolean;
}

export interface PortToBind {
  readonly portId: string;
  readonly hostId: string;
  readonly vnicType: string;
  readonly profile: Readonly<Record<string, unknown>>;
  readonly segment: { readonly networkType: 'vlan' | 'flat'; readonly physnet: string; readonly vlan: number | null };
  /** The VLAN that carries a physnet's flat network on its switches (config), if any. */
  readonly flatVlan: number | null;
}

export interface SwitchLink {
  readonly switchName: string;
  readonly port: SwitchPortName;
}

export type BindingDecision =
  /** Nothing for a switch to do (not bare metal, no host, no links — e.g. Ironic's IPAM seed binding). */
  | { readonly kind: 'not-managed' }
  /** Only unmanaged links: bound with no switch change. */
  | { readonly kind: 'unmanaged' }
  | {
      readonly kind: 'bind';
      readonly vlan: Vlan;
      readonly links: readonly SwitchLink[];
      /** Set when the links form one LAG: its key (the port group) and settings. */
      readonly group: { readonly key: string; readonly settings: LagSettings } | null;
    }
  | { readonly kind: 'fail'; readonly reason: string };

/** `802.3ad`/`4` → LACP; `balance-rr`/`balance-xor`/`broadcast` → a static LAG; the rest need no switch LAG. */
export function lagModeOf(bondMode: unknown): LagMode | null {
  const m = bondMode === undefined || bondMode === null ? 'active-backup' : String(bondMode);
  if (m === '802.3ad' || m === '4') return 'lacp';
  if (['balance-rr', '0', 'balance-xor', '2', 'broadcast', '3'].includes(m)) return 'static';
  return null; // active-backup, balance-tlb, balance-alb: each NIC is a plain access port
}

function normalizeSwitchId(id: string): string {
  return id.toLowerCase().replace(/^0x/, '').replace(/[:-]/g, '');
}

export function findSwitch(
  switches: readonly SwitchFacts[],
  switchId: unknown,
  switchInfo: unknown,
): SwitchFacts | null {
  if (typeof switchId === 'string') {
    const want = normalizeSwitchId(switchId);
    const bySwitchId = switches.find((s) => s.identities.some((i) => normalizeSwitchId(i) === want));
    if (bySwitchId) return bySwitchId;
  }
  if (typeof switchInfo === 'string') return switches.find((s) => s.name === switchInfo) ?? null;
  return null;
}

function obj(v: unknown): Readonly<Record<string, unknown>> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function decideBinding(p: PortToBind, switches: readonly SwitchFacts[]): BindingDecision {
  if (p.vnicType !== 'baremetal' || p.hostId === '') return { kind: 'not-managed' };
  const lli = p.profile.local_link_information;
  if (!Array.isArray(lli) || lli.length === 0) return { kind: 'not-managed' };
  const entries = lli.map(obj);
  if (entries.every((e) => e?.network_type === 'unmanaged')) return { kind: 'unmanaged' };
  let vlan: Vlan;
  if (p.segment.networkType === 'vlan' && p.segment.vlan !== null) vlan = parseVlan(p.segment.vlan);
  else if (p.segment.networkType === 'flat' && p.flatVlan !== null) vlan = parseVlan(p.flatVlan);
  else return { kind: 'fail', reason: `physical network ${p.segment.physnet} has no flat_vlan for its flat network` };

  const links: SwitchLink[] = [];
  for (const [i, e] of entries.entries()) {
    if (!e || e.network_type === 'unmanaged') continue;
    const sw = findSwitch(switches, e.switch_id, e.switch_info);
    if (!sw) {
      return {
        kind: 'fail',
        reason: `local_link_information[${i}]: no switch answers to switch_id ${String(e.switch_id)} or switch_info ${String(e.switch_info)}`,
      };
    }
    if (!sw.physnets.includes(p.segment.physnet)) {
      return { kind: 'fail', reason: `switch ${sw.name} does not serve physical network ${p.segment.physnet}` };
    }
    let port: SwitchPortName;
    try {
      port = parseSwitchPortName(String(e.port_id));
    } catch {
      return { kind: 'fail', reason: `local_link_information[${i}]: '${String(e.port_id)}' is not a switch port name` };
    }
    if (sw.protectedPorts.includes(port))
      return { kind: 'fail', reason: `switch ${sw.name} port ${port} is protected (uplink or trunk)` };
    links.push({ switchName: sw.name, port });
  }

  const lgi = obj(p.profile.local_group_information);
  const mode = lgi ? lagModeOf(lgi.bond_mode) : null;
  if (!lgi || mode === null || links.length < 2) return { kind: 'bind', vlan, links, group: null };
  const switchNames = new Set(links.map((l) => l.switchName));
  if (switchNames.size > 1)
    return {
      kind: 'fail',
      reason: `port group members span switches ${[...switchNames].join(', ')} (MLAG is not supported)`,
    };
  const sw = switches.find((s) => s.name === links[0]?.switchName);
  if (sw && !sw.supportsLag) return { kind: 'fail', reason: `switch ${sw.name} cannot form LAGs` };
  const props = obj(lgi.bond_properties) ?? {};
  const rate = props.bond_lacp_rate ?? props.lacp_rate;
  const minLinks = Number(props.bond_min_links ?? props.min_links ?? 1);
  const settings: LagSettings = {
    mode,
    ...(rate === 'fast' || rate === '1' || rate === 1 ? { lacpRate: 'fast' as const } : {}),
    ...(Number.isInteger(minLinks) && minLinks > 1 ? { minLinks } : {}),
  };
  const key = String(lgi.id ?? lgi.name ?? p.portId);
  return { kind: 'bind', vlan, links, group: { key, settings } };
}

export interface BindingCandidate {
  readonly portId: string;
  readonly decision: BindingDecision;
  /** Bindings that already hold their switch ports win over new ones (then older ports first). */
  readonly isHolding: boolean;
  readonly createdAt: string;
}

export interface DesiredState {
  /** switch name → port/LAG name → what it should be. */
  readonly switches: ReadonlyMap<string, ReadonlyMap<SwitchPortName, DesiredPort>>;
  /** Ports whose binding cannot be honoured, with why. */
  readonly failed: ReadonlyMap<string, string>;
  /** Port → the switch ports (or LAG) that carry it, for reporting status. */
  readonly placements: ReadonlyMap<string, readonly SwitchLink[]>;
}

/**
 * Desired state of every switch. `known` lists switch ports bmnet has configured before (they go back
 * to the default when nothing binds them); `lagName(switch, groupKey)` names a LAG.
 */
export function desiredSwitchState(
  candidates: readonly BindingCandidate[],
  known: readonly SwitchLink[],
  lagName: (switchName: string, groupKey: string) => SwitchPortName,
): DesiredState {
  const switches = new Map<string, Map<SwitchPortName, DesiredPort>>();
  const failed = new Map<string, string>();
  const placements = new Map<string, SwitchLink[]>();
  const of = (sw: string) => {
    const m = switches.get(sw) ?? new Map<SwitchPortName, DesiredPort>();
    switches.set(sw, m);
    return m;
  };
  for (const k of known) of(k.switchName).set(k.port, { kind: 'default' });

  const ordered = [...candidates].sort(
    (a, b) =>
      Number(b.isHolding) - Number(a.isHolding) ||
      a.createdAt.localeCompare(b.createdAt) ||
      a.portId.localeCompare(b.portId),
  );
  for (const c of ordered) {
    const d = c.decision;
    if (d.kind === 'fail') {
      failed.set(c.portId, d.reason);
      continue;
    }
    if (d.kind !== 'bind') continue;
    const conflict = (sw: string, name: SwitchPortName, wanted: DesiredPort['kind']): string | null => {
      const cur = switches.get(sw)?.get(name);
      if (!cur || cur.kind === 'default') return null;
      if (wanted === 'access' && cur.kind === 'access' && cur.vlan === d.vlan) return null;
      const what =
        cur.kind === 'lag-member' ? `is a member of LAG ${cur.lag}` : `already carries VLAN ${cur.vlan} untagged`;
      return `switch ${sw} port ${name} ${what} for port ${cur.kind === 'lag-member' ? 'group' : cur.owners.join(', ')}`;
    };
    if (d.group) {
      const sw = d.links[0]?.switchName ?? '';
      const lag = lagName(sw, d.group.key);
      const members = d.links.map((l) => l.port);
      const cur = switches.get(sw)?.get(lag);
      const sameLag = cur?.kind === 'lag' && cur.vlan === d.vlan && cur.members.join() === members.join();
      const why = sameLag
        ? null
        : (conflict(sw, lag, 'lag') ??
          members.map((m) => conflict(sw, m, 'lag-member')).find((x) => x !== null) ??
          null);
      if (why) {
        failed.set(c.portId, why);
        continue;
      }
      const owners = cur?.kind === 'lag' ? [...cur.owners, c.portId] : [c.portId];
      of(sw).set(lag, { kind: 'lag', vlan: d.vlan, members, settings: d.group.settings, owners });
      for (const m of members) of(sw).set(m, { kind: 'lag-member', lag });
      placements.set(c.portId, [{ switchName: sw, port: lag }]);
      continue;
    }
    const why = d.links.map((l) => conflict(l.switchName, l.port, 'access')).find((x) => x !== null) ?? null;
    if (why) {
      failed.set(c.portId, why);
      continue;
    }
    for (const l of d.links) {
      const cur = switches.get(l.switchName)?.get(l.port);
      const owners = cur?.kind === 'access' ? [...cur.owners, c.portId] : [c.portId];
      of(l.switchName).set(l.port, { kind: 'access', vlan: d.vlan, owners });
    }
    placements.set(c.portId, [...d.links]);
  }
  return { switches, failed, placements };
}
