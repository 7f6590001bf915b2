/**
 * The SSH device profiles by the name a switch's config uses (`ssh.profile`): the one table the config loader,
 * the composition root and `bmnet switch drivers` read. A new vendor is its profile file, one row here and
 * its golden test (docs/conventions.md, "A switch vendor").
 */
import { parseVlan, type Vlan } from '../../../domain/values.ts';
import type { DeviceProfile, ProfileSupports } from '../profile.ts';
import { aristaEos } from './arista-eos.ts';
import { ciscoNxos } from './cisco-nxos.ts';
import { cumulusNvue } from './cumulus-nvue.ts';
import { dellOs10 } from './dell-os10.ts';
import { juniperJunos } from './juniper-junos.ts';
import { OVS_TRAITS, type OvsProfileParams, ovsProfile } from './ovs-linux.ts';
import { sonic } from './sonic.ts';

/** What `ssh.options` gives a profile, typed by the config loader. */
export interface ProfileParams {
  /** The `ovs` profile's OVSDB socket, bridge and run directory (`db_socket`, `bridge`, `rundir`). */
  readonly ovs: Omit<OvsProfileParams, 'quarantineVlan'>;
  /** The switch's quarantine VLAN (its `unbound.vlan`), or null when unbound ports are shut down. */
  readonly quarantineVlan: Vlan | null;
}

export interface ProfileEntry {
  readonly summary: string;
  readonly supports: ProfileSupports;
  readonly lagNameTemplate: string;
  /** The `ssh.options` keys this profile reads beyond the common ones. */
  readonly options: readonly string[];
  /** The profile for one switch; throws InvalidInput for parameters it cannot use. */
  build(params: ProfileParams): DeviceProfile;
}

const fixed = (profile: DeviceProfile, summary: string): ProfileEntry => ({
  summary,
  supports: profile.supports,
  lagNameTemplate: profile.lagNameTemplate,
  options: [],
  build: () => profile,
});

export const PROFILES = {
  ovs: {
    summary: 'Linux host running Open vSwitch, driven with ovs-vsctl/ovs-ofctl over SSH',
    ...OVS_TRAITS,
    options: ['db_socket', 'bridge', 'rundir'],
    // a new LAG carries the quarantine VLAN until its batch sets its own; 4094 when ports are shut down instead
    build: (p) => ovsProfile({ ...p.ovs, quarantineVlan: p.quarantineVlan ?? parseVlan(4094) }),
  },
  'cumulus-nvue': fixed(cumulusNvue, 'NVIDIA Cumulus Linux 5 (NVUE, nv set / nv config apply)'),
  sonic: fixed(sonic, 'SONiC (config CLI, JSON running configuration)'),
  'arista-eos': fixed(aristaEos, 'Arista EOS (configure session, commit)'),
  'cisco-nxos': fixed(ciscoNxos, 'Cisco NX-OS (configure terminal)'),
  'juniper-junos': fixed(juniperJunos, 'Junos ELS, EX/QFX (configure private, commit): access ports only'),
  'dell-os10': fixed(dellOs10, 'Dell SmartFabric OS10 (configure terminal)'),
} as const satisfies Readonly<Record<string, ProfileEntry>>;

export type ProfileName = keyof typeof PROFILES;

export const PROFILE_NAMES = Object.keys(PROFILES) as readonly ProfileName[];

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}

/** The profile for a switch. */
export function deviceProfile(name: ProfileName, params: ProfileParams): DeviceProfile {
  const entry: ProfileEntry = PROFILES[name];
  return entry.build(params);
}
