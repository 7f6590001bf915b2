/** Ports: MAC, fixed IPs (IPAM), binding attributes, extra DHCP options. The API records desired state only. */
import {
  HTTPBadRequest,
  InvalidInput,
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
  MacAddressInUse,
  PortBound,
  PortNotFound,
} from '../../domain/errors.ts';
import { cidrContains, cidrLast, formatIp, ipSortKey, parseCidr, parseIp } from '../../domain/ip.ts';
import { lowestFree, poolRanges } from '../../domain/ipam.ts';
import { generateMac } from '../../domain/mac.ts';
import type { Caller, FixedIp, Network, Port, Subnet } from '../../domain/model.ts';
import { assertCanUseNetwork, canSeeOwned, owningProject, seesAll } from '../../domain/policy.ts';
import { mergeExtraDhcpOpts, patchPort } from '../../domain/port-patch.ts';
import { isMac, parseMac } from '../../domain/values.ts';
import type { Tx } from '../../store/store.ts';
import type { ApiContext } from '../context.ts';
import { type Filterable, type ListQuery, sqlPageOf } from '../query.ts';
import { checkBaremetalProfile, type FixedIpRequest, type JsonObject, portToWire } from '../wire.ts';
import { visibleNetwork } from './networks.ts';
import { parsePortCreate, parsePortUpdate } from './port-body.ts';
import { checkRevision } from './revision.ts';

export const PORT_FILTERS: Readonly<Record<string, Filterable>> = {
  id: { kind: 'string', column: 'id' },
  name: { kind: 'string', column: 'name' },
  description: { kind: 'string', column: 'description' },
  network_id: { kind: 'string', column: 'network_id' },
  mac_address: { kind: 'string', column: 'mac_address' },
  device_id: { kind: 'string', column: 'device_id' },
  device_owner: { kind: 'string', column: 'device_owner' },
  status: { kind: 'string', column: 'status' },
  admin_state_up: { kind: 'bool', column: 'admin_state_up' },
  project_id: { kind: 'string', column: 'project_id' },
  tenant_id: { kind: 'string', column: 'project_id' },
  'binding:host_id': { kind: 'string', column: 'host_id' },
  'binding:vnic_type': { kind: 'string', column: 'vnic_type' },
  'binding:vif_type': { kind: 'string', column: 'vif_type' },
  revision_number: { kind: 'int', column: 'revision_number' },
  created_at: { kind: 'string', column: 'created_at' },
  updated_at: { kind: 'string', column: 'updated_at' },
  security_groups: { kind: 'string' },
  port_security_enabled: { kind: 'bool' },
  qos_policy_id: { kind: 'string' },
  tags: { kind: 'string' },
};
export const PORT_SPECIAL_FILTERS = ['fixed_ips'];

/** Whether a MAC change must be refused: Neutron's PortBound rule (vif_type other than unbound/binding_failed). */
function isBound(p: Port): boolean {
  return p.vifType !== 'unbound' && p.vifType !== 'binding_failed';
}

async function freshMac(ctx: ApiContext, tx: Tx, networkId: string, taken: Set<string>): Promise<string> {
  for (let i = 0; i < 16; i++) {
    const mac = generateMac(ctx.network.baseMac, ctx.randomBytes);
    if (!taken.has(mac) && !(await tx.portOnNetworkWithMac(networkId, mac))) return mac;
  }
  throw new MacAddressInUse(networkId, 'generated');
}

/** Chooses a free address in a subnet's pools: above the highest allocated first, else the lowest gap. */
async function allocateIn(tx: Tx, subnet: Subnet, taken: Set<string>): Promise<string | null> {
  const version = subnet.ipVersion;
  for (const range of poolRanges(subnet.allocationPools)) {
    const from = ipSortKey(version, range.first);
    const to = ipSortKey(version, range.last);
    const highest = await tx.highestAllocated(subnet.id, from, to);
    let candidate = highest === null ? range.first : BigInt(`0x${highest}`) + 1n;
    while (candidate <= range.last && taken.has(`${subnet.id}/${formatIp(version, candidate)}`)) candidate++;
    if (candidate <= range.last) return formatIp(version, candidate);
    const allocated = (await tx.allocatedBetween(subnet.id, from, to)).map((h) => BigInt(`0x${h}`));
    for (const t of taken) {
      const [sid, ip] = t.split('/');
      if (sid === subnet.id && ip) allocated.push(parseIp(ip).value);
    }
    allocated.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const free = lowestFree([range], allocated);
    if (free !== null) return formatIp(version, free);
  }
  return null;
}

/**
 * Resolves requested fixed IPs (or the default: one address from the first subnet of each IP version
 * with room). `keep` are addresses the port already holds; they are not re-checked.
 */
async function resolveFixedIps(
  tx: Tx,
  network: Network,
  subnets: readonly Subnet[],
  request: readonly FixedIpRequest[] | undefined,
  keep: readonly FixedIp[],
  taken: Set<string>,
): Promise<FixedIp[]> {
  const out: FixedIp[] = [];
  const claim = (f: FixedIp) => {
    taken.add(`${f.subnetId}/${f.ipAddress}`);
    out.push(f);
  };
  if (request === undefined) {
    for (const version of [4, 6] as const) {
      const candidates = subnets.filter((s) => s.ipVersion === version);
      if (candidates.length === 0) continue;
      let done = false;
      for (const s of candidates) {
        const ip = await allocateIn(tx, s, taken);
        if (ip !== null) {
          claim({ subnetId: s.id, ipAddress: ip });
          done = true;
          break;
        }
      }
      if (!done) throw new IpAddressGenerationFailure(network.id);
    }
    return out;
  }
  for (const r of request) {
    let subnet: Subnet | undefined;
    if (r.subnetId !== undefined) {
      subnet = subnets.find((s) => s.id === r.subnetId);
      if (!subnet) {
        throw new InvalidInput(
          `Failed to create port on network ${network.id}, because fixed_ips included invalid subnet ${r.subnetId}`,
        );
      }
    }
    if (r.ipAddress === undefined) {
      if (!subnet) continue;
      const ip = await allocateIn(tx, subnet, taken);
      if (ip === null) throw new IpAddressGenerationFailure(network.id);
      claim({ subnetId: subnet.id, ipAddress: ip });
      continue;
    }
    let parsed: { version: 4 | 6; value: bigint };
    try {
      parsed = parseIp(r.ipAddress);
    } catch {
      throw new InvalidInput(`${r.ipAddress} is not a valid IP address`);
    }
    const within = (s: Subnet) => {
      const c = parseCidr(s.cidr);
      if (!cidrContains(c, parsed.version, parsed.value)) return false;
      return c.version === 6 || c.prefix >= 31 || (parsed.value !== c.network && parsed.value !== cidrLast(c));
    };
    if (subnet) {
      if (!within(subnet)) throw new InvalidIpForSubnet(r.ipAddress);
    } else {
      subnet = subnets.find(within);
      if (!subnet) throw new InvalidIpForNetwork(r.ipAddress);
    }
    const ip = formatIp(parsed.version, parsed.value);
    if (keep.some((k) => k.subnetId === subnet.id && k.ipAddress === ip)) {
      claim({ subnetId: subnet.id, ipAddress: ip });
      continue;
    }
    if (taken.has(`${subnet.id}/${ip}`) || (await tx.allocationOwner(subnet.id, ip)) !== null) {
      throw new IpAddressAlreadyAllocated(ip, subnet.id);
    }
    claim({ subnetId: subnet.id, ipAddress: ip });
  }
  return out;
}

export async function createPorts(
  ctx: ApiContext,
  caller: Caller,
  bodies: readonly JsonObject[],
): Promise<JsonObject[]> {
  const requests = bodies.map((b) => parsePortCreate(caller, b));
  return ctx.store.transaction(async (tx) => {
    const out: JsonObject[] = [];
    const taken = new Set<string>();
    const macsByNetwork = new Map<string, Set<string>>();
    for (const r of requests) {
      const { network } = await visibleNetwork(tx, caller, r.networkId);
      assertCanUseNetwork(caller, network);
      const macs = macsByNetwork.get(network.id) ?? new Set<string>();
      macsByNetwork.set(network.id, macs);
      let mac: string;
      if (r.macAddress === undefined) mac = await freshMac(ctx, tx, network.id, macs);
      else {
        mac = r.macAddress;
        if (macs.has(mac) || (await tx.portOnNetworkWithMac(network.id, mac)))
          throw new MacAddressInUse(network.id, mac);
      }
      macs.add(mac);
      const subnets = await tx.subnetsOfNetworks([network.id]);
      const fixedIps = await resolveFixedIps(tx, network, subnets, r.fixedIps, [], taken);
      const now = ctx.now();
      const port: Port = {
        id: ctx.newId(),
        networkId: network.id,
        projectId: owningProject(caller, r.projectId),
        name: r.name,
        description: r.description,
        macAddress: mac,
        adminStateUp: r.adminStateUp,
        status: 'DOWN',
        deviceId: r.deviceId,
        deviceOwner: r.deviceOwner,
        fixedIps,
        securityGroups: r.securityGroups,
        hostId: r.hostId,
        vnicType: r.vnicType,
        profile: r.profile,
        vifType: 'unbound',
        vifDetails: {},
        extraDhcpOpts: mergeExtraDhcpOpts([], r.extraDhcpOpts),
        tags: [],
        createdAt: now,
        updatedAt: now,
        revisionNumber: 1,
      };
      await tx.insertPort(port);
      await tx.addEvent('port.created', port.id, { networkId: port.networkId });
      out.push(portToWire(port, caller));
    }
    return out;
  });
}

async function visiblePort(tx: Tx, caller: Caller, id: string): Promise<Port> {
  const p = await tx.getPort(id);
  if (!p || !canSeeOwned(caller, p.projectId)) throw new PortNotFound(id);
  return p;
}

export async function showPort(ctx: ApiContext, caller: Caller, id: string): Promise<JsonObject> {
  return portToWire(await visiblePort(ctx.store, caller, id), caller);
}

export async function listPorts(ctx: ApiContext, caller: Caller, q: ListQuery): Promise<JsonObject[]> {
  const sql = q.sql.map((f) =>
    f.column === 'mac_address'
      ? { ...f, values: f.values.map((v) => (typeof v === 'string' && isMac(v) ? parseMac(v) : v)) }
      : f,
  );
  let ids: string[] | undefined;
  const fixed = q.special.get('fixed_ips');
  if (fixed) {
    const ipAddress: string[] = [];
    const subnetId: string[] = [];
    for (const f of fixed) {
      const m = /^(ip_address|subnet_id)=(.+)$/.exec(f);
      if (!m?.[2]) throw new HTTPBadRequest(`fixed_ips filter '${f}' is not ip_address=… or subnet_id=…`);
      (m[1] === 'ip_address' ? ipAddress : subnetId).push(m[2]);
    }
    ids = await ctx.store.portIdsWithAddress({
      ...(ipAddress.length ? { ipAddress } : {}),
      ...(subnetId.length ? { subnetId } : {}),
    });
  }
  const rows = await ctx.store.listPorts(
    sql,
    seesAll(caller) ? null : { projectId: caller.projectId },
    ids,
    sqlPageOf(q),
  );
  return rows.map((p) => portToWire(p, caller));
}

export async function updatePort(
  ctx: ApiContext,
  caller: Caller,
  id: string,
  b: JsonObject,
  ifMatch?: string,
): Promise<JsonObject> {
  const update = parsePortUpdate(caller, b);
  return ctx.store.transaction(async (tx) => {
    const cur = await visiblePort(tx, caller, id);
    checkRevision(ifMatch, cur.revisionNumber);
    let mac: string | undefined;
    if (update.macAddress !== undefined) {
      mac = update.macAddress === null ? await freshMac(ctx, tx, cur.networkId, new Set()) : update.macAddress;
      if (mac !== cur.macAddress) {
        if (isBound(cur)) throw new PortBound(cur.id, cur.vifType, cur.macAddress, mac);
        if (await tx.portOnNetworkWithMac(cur.networkId, mac)) throw new MacAddressInUse(cur.networkId, mac);
      }
    }
    let fixedIps: FixedIp[] | undefined;
    if (update.fixedIps !== undefined) {
      const ns = await tx.getNetwork(cur.networkId);
      if (!ns) throw new PortNotFound(id);
      const subnets = await tx.subnetsOfNetworks([cur.networkId]);
      fixedIps = await resolveFixedIps(tx, ns.network, subnets, update.fixedIps, cur.fixedIps, new Set());
    }
    const patched = patchPort(cur, { ...update, macAddress: mac, fixedIps }, ctx.now());
    if (patched.isProfileToCheck) checkBaremetalProfile(patched.port.profile);
    await tx.updatePort(patched.port);
    await tx.addEvent('port.updated', id, { networkId: cur.networkId, bindingChanged: patched.bindingChanged });
    return portToWire(patched.port, caller);
  });
}

export async function deletePort(ctx: ApiContext, caller: Caller, id: string, ifMatch?: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const p = await visiblePort(tx, caller, id);
    checkRevision(ifMatch, p.revisionNumber);
    await tx.deletePort(id);
    await tx.addEvent('port.deleted', id, { networkId: p.networkId, macAddress: p.macAddress, hostId: p.hostId });
  });
}
