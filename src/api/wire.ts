/**
 * Neutron JSON ⇄ domain: Neutron's wire names (`binding:profile`, `fixed_ips`) and value parsers.
 * Request bodies are parsed once into typed values with these (the port bodies in
 * `neutron/port-body.ts`); bad values become Neutron-shaped 400s.
 */
import { HTTPBadRequest, InvalidInput } from '../domain/errors.ts';
import type { AllocationPool, Caller, HostRoute, Network, Port, Segment, Subnet, VnicType } from '../domain/model.ts';
import { VNIC_TYPES } from '../domain/model.ts';
import { mayUsePrivileged } from '../domain/policy.ts';
import type { ExtraDhcpOptChange } from '../domain/port-patch.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(attr: string, reason: string): never {
  throw new HTTPBadRequest(`Invalid input for ${attr}. Reason: ${reason}.`);
}

/** The resource object of a single-resource body (`{"port": {...}}`), or the list of a bulk body. */
export function resourceBody(body: unknown, member: string, collection: string | null): JsonObject[] {
  if (!isObject(body)) throw new HTTPBadRequest('Resource body required');
  if (collection !== null && collection in body) {
    const list = body[collection];
    if (!Array.isArray(list) || list.length === 0) throw new HTTPBadRequest(`Resources required`);
    return list.map((item) => {
      const inner = isObject(item) && isObject(item[member]) ? item[member] : item;
      if (!isObject(inner)) throw new HTTPBadRequest(`Unable to find '${member}' in request body`);
      return inner;
    });
  }
  const one = body[member];
  if (!isObject(one)) throw new HTTPBadRequest(`Unable to find '${member}' in request body`);
  return [one];
}

export function checkKnown(obj: JsonObject, allowed: ReadonlySet<string>): void {
  const extra = Object.keys(obj).filter((k) => !allowed.has(k));
  if (extra.length > 0) throw new HTTPBadRequest(`Unrecognized attribute(s) '${extra.join(', ')}'`);
}

export function readOnlyCheck(obj: JsonObject, readOnly: readonly string[]): void {
  for (const k of readOnly) if (k in obj) throw new HTTPBadRequest(`Cannot update read-only attribute ${k}`);
}

/** Neutron's convert_to_boolean: true/false, "true"/"false" (any case), 1/0, "1"/"0". */
export function toBool(attr: string, v: Json | undefined): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  return invalid(attr, `'${JSON.stringify(v)}' cannot be converted to boolean`);
}

export function toStr(attr: string, v: Json | undefined, maxLength = 255): string {
  if (typeof v !== 'string') return invalid(attr, `'${JSON.stringify(v)}' is not a valid string`);
  if (v.length > maxLength) return invalid(attr, `'${v}' exceeds maximum length of ${maxLength}`);
  return v;
}

/** Strings or null → '' (Neutron accepts `binding:host_id: null` from `port unset --host`). */
export function toStrOrEmpty(attr: string, v: Json | undefined, maxLength = 255): string {
  return v === null ? '' : toStr(attr, v, maxLength);
}

export function toInt(attr: string, v: Json | undefined, min: number, max: number): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) return invalid(attr, `'${JSON.stringify(v)}' is not an integer`);
  if (n < min || n > max) return invalid(attr, `'${n}' is not in range ${min} through ${max}`);
  return n;
}

export function toStringList(attr: string, v: Json | undefined): string[] {
  if (!Array.isArray(v)) return invalid(attr, `'${JSON.stringify(v)}' is not a list`);
  return v.map((x) => toStr(attr, x));
}

export function toDict(attr: string, v: Json | undefined): JsonObject {
  if (v === null) return {};
  if (!isObject(v)) return invalid(attr, `'${JSON.stringify(v)}' is not a dictionary`);
  return v;
}

export function toVnicType(v: Json | undefined): VnicType {
  if (typeof v === 'string' && (VNIC_TYPES as readonly string[]).includes(v)) return v as VnicType;
  return invalid('binding:vnic_type', `'${JSON.stringify(v)}' is not in ${JSON.stringify(VNIC_TYPES)}`);
}

export function toPools(v: Json | undefined): AllocationPool[] {
  if (!Array.isArray(v)) return invalid('allocation_pools', `'${JSON.stringify(v)}' is not a list`);
  return v.map((p) => {
    if (!isObject(p) || typeof p.start !== 'string' || typeof p.end !== 'string' || Object.keys(p).length !== 2) {
      return invalid('allocation_pools', `'${JSON.stringify(p)}' is not a dictionary with exactly start and end`);
    }
    return { start: p.start, end: p.end };
  });
}

export function toHostRoutes(v: Json | undefined): HostRoute[] {
  if (!Array.isArray(v)) return invalid('host_routes', `'${JSON.stringify(v)}' is not a list`);
  return v.map((r) => {
    if (!isObject(r) || typeof r.destination !== 'string' || typeof r.nexthop !== 'string') {
      return invalid('host_routes', `'${JSON.stringify(r)}' is not a dictionary with destination and nexthop`);
    }
    return { destination: r.destination, nexthop: r.nexthop };
  });
}

export interface FixedIpRequest {
  readonly subnetId?: string;
  readonly ipAddress?: string;
}

export function toFixedIps(v: Json | undefined): FixedIpRequest[] {
  if (!Array.isArray(v)) return invalid('fixed_ips', `'${JSON.stringify(v)}' is not a list`);
  return v.map((f) => {
    if (!isObject(f)) return invalid('fixed_ips', `'${JSON.stringify(f)}' is not a dictionary`);
    checkKnown(f, new Set(['subnet_id', 'ip_address']));
    const out: { subnetId?: string; ipAddress?: string } = {};
    if (f.subnet_id !== undefined) out.subnetId = toStr('fixed_ips', f.subnet_id);
    if (f.ip_address !== undefined) out.ipAddress = toStr('fixed_ips', f.ip_address);
    if (out.subnetId === undefined && out.ipAddress === undefined) {
      return invalid('fixed_ips', `'${JSON.stringify(f)}' names neither subnet_id nor ip_address`);
    }
    return out;
  });
}

export function toExtraDhcpOpts(v: Json | undefined): ExtraDhcpOptChange[] {
  if (v === null) return [];
  if (!Array.isArray(v)) return invalid('extra_dhcp_opts', `'${JSON.stringify(v)}' is not a list`);
  return v.map((o) => {
    if (!isObject(o)) return invalid('extra_dhcp_opts', `'${JSON.stringify(o)}' is not a dictionary`);
    checkKnown(o, new Set(['opt_name', 'opt_value', 'ip_version']));
    const optName = typeof o.opt_name === 'string' ? o.opt_name.trim() : '';
    if (!optName || optName.length > 64)
      return invalid('extra_dhcp_opts', `opt_name '${String(o.opt_name)}' must be 1 to 64 characters`);
    const raw = o.opt_value;
    if (raw !== null && typeof raw !== 'string' && typeof raw !== 'number') {
      return invalid('extra_dhcp_opts', `opt_value of ${optName} must be a string or null`);
    }
    const optValue = raw === null ? null : String(raw);
    if (optValue !== null && optValue.length > 255)
      return invalid('extra_dhcp_opts', `opt_value of ${optName} exceeds 255 characters`);
    const ipv = o.ip_version === undefined || o.ip_version === null ? 4 : toInt('extra_dhcp_opts', o.ip_version, 4, 6);
    if (ipv !== 4 && ipv !== 6) return invalid('extra_dhcp_opts', `ip_version ${ipv} is not 4 or 6`);
    return { optName, optValue, ipVersion: ipv };
  });
}

// --- binding:profile for bare metal (Ironic's local_link_connection and port group shapes) ---
const SWITCH_ID_RE = /^([0-9a-f]{2}[:-]?){5}[0-9a-f]{2}$|^([0-9a-f]{2}[:-]?){7}[0-9a-f]{2}$|^(0x)?[0-9a-f]{16}$/i;
const LLI_KEYS = new Set([
  'switch_id',
  'port_id',
  'switch_info',
  'hostname',
  'network_type',
  'vtep-logical-switch',
  'vtep-physical-switch',
]);
const LGI_KEYS = new Set(['id', 'name', 'bond_mode', 'bond_properties']);
const BOND_MODES = new Set([
  '802.3ad',
  '4',
  'balance-rr',
  '0',
  'active-backup',
  '1',
  'balance-xor',
  '2',
  'broadcast',
  '3',
  'balance-tlb',
  '5',
  'balance-alb',
  '6',
]);

/** Validates the shape of a bare-metal port's `binding:profile`; the error names the bad field. */
export function checkBaremetalProfile(profile: Readonly<Record<string, unknown>>): void {
  const where = 'binding:profile';
  const lli = profile.local_link_information;
  if (lli !== undefined) {
    if (!Array.isArray(lli)) throw new InvalidInput(`${where}.local_link_information must be a list`);
    lli.forEach((entry, i) => {
      const at = `${where}.local_link_information[${i}]`;
      if (!isObject(entry)) throw new InvalidInput(`${at} must be a dictionary`);
      const extra = Object.keys(entry).filter((k) => !LLI_KEYS.has(k));
      if (extra.length) throw new InvalidInput(`${at} has unknown key(s) ${extra.join(', ')}`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string' || v.length === 0 || v.length > 255)
          throw new InvalidInput(`${at}.${k} must be a non-empty string`);
      }
      if (entry.network_type !== undefined && entry.network_type !== 'managed' && entry.network_type !== 'unmanaged') {
        throw new InvalidInput(`${at}.network_type '${String(entry.network_type)}' is not managed or unmanaged`);
      }
      if (entry.network_type === 'unmanaged') return;
      if (entry.port_id === undefined) throw new InvalidInput(`${at}.port_id is required`);
      if (entry.switch_id === undefined && entry.switch_info === undefined && entry.hostname === undefined) {
        throw new InvalidInput(`${at} needs switch_id (or switch_info)`);
      }
      if (typeof entry.switch_id === 'string' && !SWITCH_ID_RE.test(entry.switch_id)) {
        throw new InvalidInput(`${at}.switch_id '${entry.switch_id}' is not a MAC address or OpenFlow datapath_id`);
      }
    });
  }
  const lgi = profile.local_group_information;
  if (lgi !== undefined) {
    const at = `${where}.local_group_information`;
    if (!isObject(lgi)) throw new InvalidInput(`${at} must be a dictionary`);
    const extra = Object.keys(lgi).filter((k) => !LGI_KEYS.has(k));
    if (extra.length) throw new InvalidInput(`${at} has unknown key(s) ${extra.join(', ')}`);
    if (lgi.bond_mode !== undefined && lgi.bond_mode !== null && !BOND_MODES.has(String(lgi.bond_mode))) {
      throw new InvalidInput(
        `${at}.bond_mode '${String(lgi.bond_mode)}' is not a Linux bonding mode (802.3ad, active-backup, balance-rr, …)`,
      );
    }
    if (lgi.bond_properties !== undefined && lgi.bond_properties !== null && !isObject(lgi.bond_properties)) {
      throw new InvalidInput(`${at}.bond_properties must be a dictionary`);
    }
    for (const k of ['id', 'name'] as const) {
      if (lgi[k] !== undefined && lgi[k] !== null && typeof lgi[k] !== 'string')
        throw new InvalidInput(`${at}.${k} must be a string`);
    }
  }
  if (profile.physical_network !== undefined && typeof profile.physical_network !== 'string') {
    throw new InvalidInput(`${where}.physical_network must be a string`);
  }
}

// --- responses ---
export function networkToWire(n: Network, s: Segment, subnetIds: readonly string[], caller: Caller): JsonObject {
  const out: JsonObject = {
    id: n.id,
    name: n.name,
    description: n.description,
    status: n.status,
    admin_state_up: n.adminStateUp,
    subnets: [...subnetIds],
    shared: n.shared,
    mtu: n.mtu,
    l2_adjacency: true,
    'router:external': n.external,
    port_security_enabled: n.portSecurityEnabled,
    availability_zones: [],
    availability_zone_hints: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    dns_domain: '',
    qos_policy_id: null,
    is_default: false,
    tags: [...n.tags],
    revision_number: n.revisionNumber,
    project_id: n.projectId,
    tenant_id: n.projectId,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
  };
  if (mayUsePrivileged(caller)) {
    out['provider:network_type'] = s.networkType;
    out['provider:physical_network'] = s.physicalNetwork;
    out['provider:segmentation_id'] = s.segmentationId;
  }
  return out;
}

export function segmentToWire(s: Segment): JsonObject {
  return {
    id: s.id,
    network_id: s.networkId,
    name: s.name === '' ? null : s.name,
    description: s.description,
    network_type: s.networkType,
    physical_network: s.physicalNetwork,
    segmentation_id: s.segmentationId,
    revision_number: s.revisionNumber,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

export function subnetToWire(s: Subnet, isExternal: boolean): JsonObject {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    network_id: s.networkId,
    segment_id: s.segmentId,
    ip_version: s.ipVersion,
    cidr: s.cidr,
    gateway_ip: s.gatewayIp,
    allocation_pools: s.allocationPools.map((p) => ({ start: p.start, end: p.end })),
    dns_nameservers: [...s.dnsNameservers],
    dns_publish_fixed_ip: false,
    host_routes: s.hostRoutes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
    enable_dhcp: s.enableDhcp,
    ipv6_address_mode: s.ipv6AddressMode,
    ipv6_ra_mode: s.ipv6RaMode,
    service_types: [],
    subnetpool_id: null,
    'router:external': isExternal,
    tags: [...s.tags],
    revision_number: s.revisionNumber,
    project_id: s.projectId,
    tenant_id: s.projectId,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

export function portToWire(p: Port, caller: Caller): JsonObject {
  const out: JsonObject = {
    id: p.id,
    name: p.name,
    description: p.description,
    network_id: p.networkId,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp,
    status: p.status,
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    allowed_address_pairs: [],
    extra_dhcp_opts: p.extraDhcpOpts.map((o) => ({
      opt_name: o.optName,
      opt_value: o.optValue,
      ip_version: o.ipVersion,
    })),
    security_groups: [...p.securityGroups],
    port_security_enabled: true,
    qos_policy_id: null,
    'binding:vnic_type': p.vnicType,
    tags: [...p.tags],
    revision_number: p.revisionNumber,
    project_id: p.projectId,
    tenant_id: p.projectId,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
  if (mayUsePrivileged(caller)) {
    out['binding:host_id'] = p.hostId;
    out['binding:profile'] = p.profile as JsonObject;
    out['binding:vif_type'] = p.vifType;
    out['binding:vif_details'] = p.vifDetails as JsonObject;
  }
  return out;
}
