/**
 * The language between the reconciler and switch drivers: what one switch port or LAG should carry
 * (desired), what it carries (observed), and the operations that move one to the other.
 */
import type { SwitchPortName, Vlan } from './values.js';

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
