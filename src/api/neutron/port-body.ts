/**
 * The bodies of `POST /v2.0/ports` and `PUT /v2.0/ports/{id}`, parsed once into typed values before any
 * decision (docs/conventions.md, rule 2). Each parser checks, in order: read-only attributes (update),
 * unknown attributes, the caller's right to set the attributes named, required ones, then every value.
 * Checks that need the stored port or the store (a MAC in use, IPAM, a bare-metal profile whose VNIC type
 * comes from the stored port) stay with the handler in `ports.ts`.
 */
import { validateExtraDhcpOpt } from '../../dhcp/extra-dhcp-opts.ts';
import { InvalidInput } from '../../domain/errors.ts';
import type { Caller, VnicType } from '../../domain/model.ts';
import { assertMaySet } from '../../domain/policy.ts';
import type { ExtraDhcpOptChange, PortPatch } from '../../domain/port-patch.ts';
import { type Mac, parseMac } from '../../domain/values.ts';
import {
  checkBaremetalProfile,
  checkKnown,
  type FixedIpRequest,
  type JsonObject,
  readOnlyCheck,
  toBool,
  toDict,
  toExtraDhcpOpts,
  toFixedIps,
  toStr,
  toStringList,
  toStrOrEmpty,
  toVnicType,
} from '../wire.ts';

const COMMON = [
  'name',
  'description',
  'admin_state_up',
  'mac_address',
  'fixed_ips',
  'device_id',
  'device_owner',
  'security_groups',
  'binding:vnic_type',
  'binding:host_id',
  'binding:profile',
  'extra_dhcp_opts',
  'port_security_enabled',
  'allowed_address_pairs',
  'qos_policy_id',
  'dns_name',
  'propagate_uplink_status',
];
const CREATE = new Set([...COMMON, 'network_id', 'tenant_id', 'project_id']);
const UPDATE = new Set(COMMON);
const READ_ONLY = ['network_id', 'tenant_id', 'project_id', 'id', 'status', 'binding:vif_type', 'binding:vif_details'];

/** A port to create; absent optional fields are chosen by the handler. */
export interface PortCreate {
  readonly networkId: string;
  /** `project_id`, else `tenant_id`, when the body names one. */
  readonly projectId?: string;
  /** Absent (or null in the body): a fresh MAC is generated. */
  readonly macAddress?: Mac;
  /** Absent: one address from the first subnet of each IP version with room. */
  readonly fixedIps?: readonly FixedIpRequest[];
  readonly vnicType: VnicType;
  readonly extraDhcpOpts: readonly ExtraDhcpOptChange[];
  readonly name: string;
  readonly description: string;
  readonly adminStateUp: boolean;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly securityGroups: readonly string[];
  readonly hostId: string;
  /** Checked as a bare-metal profile when `vnicType` is `baremetal`. */
  readonly profile: JsonObject;
}

/** A port update: only the fields the body names. */
export interface PortUpdate extends Omit<PortPatch, 'macAddress' | 'fixedIps' | 'profile'> {
  /** null: generate a fresh MAC. */
  readonly macAddress?: Mac | null;
  readonly fixedIps?: readonly FixedIpRequest[];
  /** Not yet checked as a bare-metal profile: the VNIC type may be the stored port's (see `patchPort`). */
  readonly profile?: JsonObject;
}

function extraDhcpOpts(v: JsonObject[string] | undefined): ExtraDhcpOptChange[] {
  const changes = toExtraDhcpOpts(v);
  for (const c of changes) {
    if (c.optValue !== null) validateExtraDhcpOpt(c.optName, c.optValue, c.ipVersion);
  }
  return changes;
}

/** One element of a create body (a bulk body is parsed element by element). */
export function parsePortCreate(caller: Caller, b: JsonObject): PortCreate {
  checkKnown(b, CREATE);
  assertMaySet(caller, 'create_port', Object.keys(b));
  if (b.network_id === undefined) throw new InvalidInput("'network_id' is required");
  const networkId = toStr('network_id', b.network_id);
  const macAddress =
    b.mac_address === undefined || b.mac_address === null ? undefined : parseMac(toStr('mac_address', b.mac_address));
  const fixedIps = b.fixed_ips === undefined ? undefined : toFixedIps(b.fixed_ips);
  const vnicType = b['binding:vnic_type'] === undefined ? 'normal' : toVnicType(b['binding:vnic_type']);
  const opts = b.extra_dhcp_opts === undefined ? [] : extraDhcpOpts(b.extra_dhcp_opts);
  const requested = b.project_id ?? b.tenant_id;
  const projectId = requested === undefined ? undefined : toStr('project_id', requested);
  const rest = {
    vnicType,
    extraDhcpOpts: opts,
    name: b.name === undefined ? '' : toStr('name', b.name),
    description: b.description === undefined ? '' : toStr('description', b.description),
    adminStateUp: b.admin_state_up === undefined ? true : toBool('admin_state_up', b.admin_state_up),
    deviceId: b.device_id === undefined ? '' : toStrOrEmpty('device_id', b.device_id),
    deviceOwner: b.device_owner === undefined ? '' : toStrOrEmpty('device_owner', b.device_owner),
    securityGroups:
      b.security_groups === undefined || b.security_groups === null
        ? []
        : toStringList('security_groups', b.security_groups),
    hostId: b['binding:host_id'] === undefined ? '' : toStrOrEmpty('binding:host_id', b['binding:host_id']),
    profile: b['binding:profile'] === undefined ? {} : toDict('binding:profile', b['binding:profile']),
  };
  if (vnicType === 'baremetal') checkBaremetalProfile(rest.profile);
  return {
    networkId,
    ...(projectId === undefined ? {} : { projectId }),
    ...(macAddress === undefined ? {} : { macAddress }),
    ...(fixedIps === undefined ? {} : { fixedIps }),
    ...rest,
  };
}

export function parsePortUpdate(caller: Caller, b: JsonObject): PortUpdate {
  readOnlyCheck(b, READ_ONLY);
  checkKnown(b, UPDATE);
  assertMaySet(caller, 'update_port', Object.keys(b));
  const u: { -readonly [K in keyof PortUpdate]: PortUpdate[K] } = {};
  if (b.mac_address !== undefined)
    u.macAddress = b.mac_address === null ? null : parseMac(toStr('mac_address', b.mac_address));
  if (b.fixed_ips !== undefined) u.fixedIps = toFixedIps(b.fixed_ips);
  if (b['binding:vnic_type'] !== undefined) u.vnicType = toVnicType(b['binding:vnic_type']);
  if (b['binding:host_id'] !== undefined) u.hostId = toStrOrEmpty('binding:host_id', b['binding:host_id']);
  if (b['binding:profile'] !== undefined) u.profile = toDict('binding:profile', b['binding:profile']);
  if (b.extra_dhcp_opts !== undefined) u.extraDhcpOpts = extraDhcpOpts(b.extra_dhcp_opts);
  if (b.name !== undefined) u.name = toStr('name', b.name);
  if (b.description !== undefined) u.description = toStr('description', b.description);
  if (b.admin_state_up !== undefined) u.adminStateUp = toBool('admin_state_up', b.admin_state_up);
  if (b.device_id !== undefined) u.deviceId = toStrOrEmpty('device_id', b.device_id);
  if (b.device_owner !== undefined) u.deviceOwner = toStrOrEmpty('device_owner', b.device_owner);
  if (b.security_groups !== undefined)
    u.securityGroups = b.security_groups === null ? [] : toStringList('security_groups', b.security_groups);
  return u;
}
