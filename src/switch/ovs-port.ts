/**
 * The one Open vSwitch port model: Port and Interface rows as OVSDB holds them, and what a Port carries.
 * Both the `ovsdb` driver (rows read over RFC 7047) and the SSH `ovs` profile (rows printed by
 * `ovs-vsctl --format=json --data=json list`) decode rows into these types and observe ports here, so
 * the two drivers cannot disagree about a VLAN mode.
 *
 * Open vSwitch facts (ovs-vswitchd.conf.db(5), Port table, `vlan_mode`):
 * - access carries `tag` untagged; native-untagged carries `tag` untagged and `trunks` tagged;
 *   native-tagged sends the native VLAN `tag` tagged (untagged ingress joins it) and `trunks` tagged, so
 *   `tag` counts as tagged; trunk carries `trunks` tagged; with no `vlan_mode`, a port with `tag` is
 *   access, one without is trunk.
 * - An empty `trunks` means EVERY VLAN in the trunk modes: a port with no `tag` and no `trunks` is trunk-all.
 * - A bond is a Port with several Interfaces (or a `bond_mode`); its members report as members, their VLANs
 *   are the bond's.
 */
import type { LagMode, LagSettings, ObservedPort, ObservedPorts } from '../domain/switch-plan.ts';
import { parseVlan, type SwitchPortName, type Vlan } from '../domain/values.ts';
import type { SwitchIdentity } from './driver.ts';

export interface PortRow {
  readonly uuid: string;
  readonly name: string;
  readonly interfaces: readonly string[];
  readonly tag: number | null;
  readonly trunks: readonly number[];
  readonly vlanMode: string | null;
  readonly bondMode: string | null;
  readonly lacp: string | null;
  readonly otherConfig: ReadonlyMap<string, string>;
}

export interface InterfaceRow {
  readonly uuid: string;
  readonly name: string;
  readonly adminState: string | null;
  readonly macInUse: string | null;
}

/** The bridge as read in one transaction: its ports (by name) and their interfaces (by uuid). */
export interface BridgeSnapshot {
  readonly bridge: string;
  readonly datapathId: string | null;
  readonly ports: ReadonlyMap<string, PortRow>;
  readonly interfaces: ReadonlyMap<string, InterfaceRow>;
}

const isLag = (p: PortRow): boolean => p.bondMode !== null || p.interfaces.length > 1;

export function lagSettings(p: PortRow): LagSettings {
  const mode: LagMode =
    p.lacp === 'active' || p.lacp === 'passive' ? 'lacp' : p.bondMode === 'active-backup' ? 'active-backup' : 'static';
  const rate = p.otherConfig.get('lacp-time');
  return mode === 'lacp' && (rate === 'fast' || rate === 'slow') ? { mode, lacpRate: rate } : { mode };
}

/** The VLANs a Port carries, by the rules in this file's header. */
export function portVlans(p: PortRow): { untagged: Vlan | null; tagged: Vlan[]; carriesAllVlans: boolean } {
  const mode = p.vlanMode ?? (p.tag !== null ? 'access' : 'trunk');
  const isVlan = (v: number) => v >= 1 && v <= 4094; // OVS also stores 0 and 4095, which carry no VLAN here
  const trunks = p.trunks.filter(isVlan).map(parseVlan);
  const tag = p.tag !== null && isVlan(p.tag) ? parseVlan(p.tag) : null;
  switch (mode) {
    case 'access':
    case 'dot1q-tunnel':
      return { untagged: tag, tagged: [], carriesAllVlans: false };
    case 'native-untagged':
      return { untagged: tag, tagged: trunks.filter((v) => v !== tag), carriesAllVlans: trunks.length === 0 };
    case 'native-tagged':
      return {
        untagged: null,
        tagged: [...new Set(tag === null ? trunks : [tag, ...trunks])].sort((a, b) => a - b),
        carriesAllVlans: trunks.length === 0,
      };
    default:
      return { untagged: null, tagged: trunks, carriesAllVlans: trunks.length === 0 };
  }
}

/** What the snapshot says about each requested port or LAG; unknown names have `exists: false`. */
export function observePorts(
  snapshot: Pick<BridgeSnapshot, 'ports' | 'interfaces'>,
  names: readonly SwitchPortName[],
): ObservedPorts {
  const owner = new Map<string, { iface: InterfaceRow; port: PortRow }>();
  for (const port of snapshot.ports.values()) {
    for (const id of port.interfaces) {
      const iface = snapshot.interfaces.get(id);
      if (iface !== undefined) owner.set(iface.name, { iface, port });
    }
  }
  const isUp = (ids: readonly string[]) => ids.every((id) => snapshot.interfaces.get(id)?.adminState !== 'down');
  const out = new Map<SwitchPortName, ObservedPort>();
  for (const name of names) {
    const port = snapshot.ports.get(name);
    const member = owner.get(name);
    if (port !== undefined) {
      const vlans = portVlans(port);
      const members = port.interfaces
        .map((id) => snapshot.interfaces.get(id)?.name)
        .filter((n): n is string => n !== undefined)
        .sort() as SwitchPortName[];
      out.set(name, {
        name,
        exists: true,
        untagged: vlans.untagged,
        tagged: vlans.tagged,
        ...(vlans.carriesAllVlans ? { carriesAllVlans: true } : {}),
        isEnabled: isUp(port.interfaces),
        lag: isLag(port) ? { members, settings: lagSettings(port) } : null,
        memberOf: null,
      });
    } else if (member !== undefined) {
      // a bond member: its VLANs are the LAG's, reported on the LAG
      out.set(name, {
        name,
        exists: true,
        untagged: null,
        tagged: [],
        isEnabled: member.iface.adminState !== 'down',
        lag: null,
        memberOf: member.port.name as SwitchPortName,
      });
    } else {
      out.set(name, { name, exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null });
    }
  }
  return out;
}

/** `0000aabbccddeeff` → the OpenFlow colon form `00:00:aa:bb:cc:dd:ee:ff` and the plain hex. */
export function datapathIdentities(datapathId: string): SwitchIdentity[] {
  const hex = datapathId.toLowerCase();
  if (!/^[0-9a-f]{16}$/.test(hex)) return [];
  return [
    { kind: 'datapath-id', value: (hex.match(/../g) ?? []).join(':') },
    { kind: 'datapath-id', value: hex },
  ];
}
