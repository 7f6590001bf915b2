/** Every SSH device profile by the name the switch config uses (`ssh.profile`). */
import { InvalidInput } from '../../../domain/errors.js';
import type { DeviceProfile } from '../profile.js';
import { aristaEos } from './arista-eos.js';
import { ciscoNxos } from './cisco-nxos.js';
import { cumulusNvue } from './cumulus-nvue.js';
import { dellOs10 } from './dell-os10.js';
import { juniperJunos } from './juniper-junos.js';
import { type OvsProfileParams, ovsProfile } from './ovs-linux.js';
import { sonic } from './sonic.js';

export type ProfileName =
  | 'ovs'
  | 'cumulus-nvue'
  | 'sonic'
  | 'arista-eos'
  | 'cisco-nxos'
  | 'juniper-junos'
  | 'dell-os10';

/** Profiles that take no parameters. */
export const PROFILES: Readonly<Record<Exclude<ProfileName, 'ovs'>, DeviceProfile>> = {
  'cumulus-nvue': cumulusNvue,
  sonic,
  'arista-eos': aristaEos,
  'cisco-nxos': ciscoNxos,
  'juniper-junos': juniperJunos,
  'dell-os10': dellOs10,
};

export const PROFILE_NAMES: readonly ProfileName[] = [
  'ovs',
  'cumulus-nvue',
  'sonic',
  'arista-eos',
  'cisco-nxos',
  'juniper-junos',
  'dell-os10',
];

/** The profile for a switch; `ovs` needs its switch's OVSDB socket, bridge, run directory and quarantine VLAN. */
export function deviceProfile(name: ProfileName, params: { readonly ovs: OvsProfileParams | null }): DeviceProfile {
  if (name === 'ovs') {
    if (params.ovs === null)
      throw new InvalidInput('the ovs profile needs ssh.ovs: db socket, bridge, rundir and quarantine VLAN');
    return ovsProfile(params.ovs);
  }
  return PROFILES[name];
}
