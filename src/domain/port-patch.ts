/**
 * A port update merged into the stored port, pure. The API parses the request body once
 * (`api/neutron/port-body.ts`) and resolves what needs the store — a fresh MAC, the fixed IPs — before
 * calling this; the result is the port to write and what the caller must still do.
 */
import type { IpVersion } from './ip.ts';
import type { ExtraDhcpOpt, FixedIp, Port, VnicType } from './model.ts';

/** One requested change of `extra_dhcp_opts`: a value, or null to delete that option. */
export interface ExtraDhcpOptChange {
  readonly optName: string;
  readonly optValue: string | null;
  readonly ipVersion: IpVersion;
}

/** The fields an update sets; an absent field keeps the stored value. */
export interface PortPatch {
  readonly name?: string;
  readonly description?: string;
  readonly adminStateUp?: boolean;
  readonly macAddress?: string;
  readonly fixedIps?: readonly FixedIp[];
  readonly deviceId?: string;
  readonly deviceOwner?: string;
  readonly securityGroups?: readonly string[];
  readonly hostId?: string;
  readonly vnicType?: VnicType;
  readonly profile?: Readonly<Record<string, unknown>>;
  readonly extraDhcpOpts?: readonly ExtraDhcpOptChange[];
}

export interface PatchedPort {
  readonly port: Port;
  /** Host, VNIC type, profile or MAC changed: the reconciler binds the port afresh (docs/architecture.md §5). */
  readonly bindingChanged: boolean;
  /**
   * The new port is bare metal and its profile is new to it (sent in the update, or the VNIC type became
   * `baremetal`): the caller validates the profile's shape before writing.
   */
  readonly isProfileToCheck: boolean;
}

/** Neutron's merge: same (name, version) replaces, null deletes, the rest stays in order. */
export function mergeExtraDhcpOpts(
  current: readonly ExtraDhcpOpt[],
  changes: readonly ExtraDhcpOptChange[],
): ExtraDhcpOpt[] {
  const out = [...current];
  for (const c of changes) {
    const i = out.findIndex((o) => o.optName === c.optName && o.ipVersion === c.ipVersion);
    if (c.optValue === null) {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = { optName: c.optName, optValue: c.optValue, ipVersion: c.ipVersion };
    else out.push({ optName: c.optName, optValue: c.optValue, ipVersion: c.ipVersion });
  }
  return out;
}

/** The stored port with the update applied, its revision bumped and `updatedAt` set to `now`. */
export function patchPort(cur: Port, patch: PortPatch, now: string): PatchedPort {
  const macAddress = patch.macAddress ?? cur.macAddress;
  const hostId = patch.hostId ?? cur.hostId;
  const vnicType = patch.vnicType ?? cur.vnicType;
  const profile = patch.profile ?? cur.profile;
  const bindingChanged =
    hostId !== cur.hostId ||
    vnicType !== cur.vnicType ||
    JSON.stringify(profile) !== JSON.stringify(cur.profile) ||
    macAddress !== cur.macAddress;
  const port: Port = {
    ...cur,
    name: patch.name ?? cur.name,
    description: patch.description ?? cur.description,
    adminStateUp: patch.adminStateUp ?? cur.adminStateUp,
    macAddress,
    fixedIps: patch.fixedIps ?? cur.fixedIps,
    deviceId: patch.deviceId ?? cur.deviceId,
    deviceOwner: patch.deviceOwner ?? cur.deviceOwner,
    securityGroups: patch.securityGroups ?? cur.securityGroups,
    hostId,
    vnicType,
    profile,
    // a changed binding is bound afresh by the reconciler; until then the port is unbound and DOWN
    vifType: bindingChanged ? 'unbound' : cur.vifType,
    vifDetails: bindingChanged ? {} : cur.vifDetails,
    status: bindingChanged ? 'DOWN' : cur.status,
    extraDhcpOpts:
      patch.extraDhcpOpts === undefined
        ? [...cur.extraDhcpOpts]
        : mergeExtraDhcpOpts(cur.extraDhcpOpts, patch.extraDhcpOpts),
    updatedAt: now,
    revisionNumber: cur.revisionNumber + 1,
  };
  const isProfileToCheck = vnicType === 'baremetal' && (patch.profile !== undefined || vnicType !== cur.vnicType);
  return { port, bindingChanged, isProfileToCheck };
}
