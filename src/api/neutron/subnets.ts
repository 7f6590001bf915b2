/** Subnets: CIDR, gateway, allocation pools, DNS, host routes, DHCP flag. */

import { InvalidInput, PolicyNotAuthorized, SubnetInUse, SubnetNotFound, SubnetOverlap } from '../../domain/errors.ts';
import { cidrsOverlap, normalizeIp, parseCidr } from '../../domain/ip.ts';
import { defaultAllocationPools, defaultGateway, validateAllocationPools, validateGateway } from '../../domain/ipam.ts';
import { type Caller, DHCP_DEVICE_OWNER, type Subnet } from '../../domain/model.ts';
import { canSeeNetwork, owningProject, seesAll } from '../../domain/policy.ts';
import type { Tx } from '../../store/store.ts';
import type { ApiContext } from '../context.ts';
import { type Filterable, type ListQuery, sqlPageOf } from '../query.ts';
import {
  checkKnown,
  type JsonObject,
  readOnlyCheck,
  subnetToWire,
  toBool,
  toHostRoutes,
  toInt,
  toPools,
  toStr,
  toStringList,
} from '../wire.ts';
import { visibleNetwork } from './networks.ts';
import { checkRevision } from './revision.ts';

const CREATE = new Set([
  'name',
  'description',
  'network_id',
  'ip_version',
  'cidr',
  'gateway_ip',
  'allocation_pools',
  'dns_nameservers',
  'host_routes',
  'enable_dhcp',
  'tenant_id',
  'project_id',
  'segment_id',
  'ipv6_address_mode',
  'ipv6_ra_mode',
  'subnetpool_id',
  'prefixlen',
  'service_types',
  'dns_publish_fixed_ip',
]);
const UPDATE = new Set([
  'name',
  'description',
  'gateway_ip',
  'allocation_pools',
  'dns_nameservers',
  'host_routes',
  'enable_dhcp',
  'segment_id',
  'service_types',
]);
const READ_ONLY = ['cidr', 'network_id', 'ip_version', 'tenant_id', 'project_id', 'id'];

export const SUBNET_FILTERS: Readonly<Record<string, Filterable>> = {
  id: { kind: 'string', column: 'id' },
  name: { kind: 'string', column: 'name' },
  description: { kind: 'string', column: 'description' },
  network_id: { kind: 'string', column: 'network_id' },
  segment_id: { kind: 'string', column: 'segment_id' },
  ip_version: { kind: 'int', column: 'ip_version' },
  cidr: { kind: 'string', column: 'cidr' },
  gateway_ip: { kind: 'string', column: 'gateway_ip' },
  enable_dhcp: { kind: 'bool', column: 'enable_dhcp' },
  project_id: { kind: 'string', column: 'project_id' },
  tenant_id: { kind: 'string', column: 'project_id' },
  ipv6_address_mode: { kind: 'string', column: 'ipv6_address_mode' },
  ipv6_ra_mode: { kind: 'string', column: 'ipv6_ra_mode' },
  revision_number: { kind: 'int', column: 'revision_number' },
  created_at: { kind: 'string', column: 'created_at' },
  updated_at: { kind: 'string', column: 'updated_at' },
  subnetpool_id: { kind: 'string' },
  'router:external': { kind: 'bool' },
  dns_publish_fixed_ip: { kind: 'bool' },
  tags: { kind: 'string' },
};

function dnsList(v: JsonObject['x']): string[] {
  return toStringList('dns_nameservers', v).map((ip) => {
    try {
      return normalizeIp(ip);
    } catch {
      throw new InvalidInput(`'${ip}' is not a valid nameserver`);
    }
  });
}

function checkRoutes(routes: ReturnType<typeof toHostRoutes>, version: 4 | 6) {
  return routes.map((r) => {
    const dest = parseCidr(r.destination);
    if (dest.version !== version)
      throw new InvalidInput(`host route ${r.destination} does not match IP version ${version}`);
    return { destination: dest.text, nexthop: normalizeIp(r.nexthop) };
  });
}

export async function visibleSubnet(tx: Tx, caller: Caller, id: string): Promise<Subnet> {
  const s = await tx.getSubnet(id);
  if (!s) throw new SubnetNotFound(id);
  if (seesAll(caller) || s.projectId === caller.projectId) return s;
  const ns = await tx.getNetwork(s.networkId);
  if (!ns || !canSeeNetwork(caller, ns.network)) throw new SubnetNotFound(id);
  return s;
}

async function isExternal(tx: Tx, networkId: string): Promise<boolean> {
  return (await tx.getNetwork(networkId))?.network.external ?? false;
}

export async function createSubnets(
  ctx: ApiContext,
  caller: Caller,
  bodies: readonly JsonObject[],
): Promise<JsonObject[]> {
  for (const b of bodies) checkKnown(b, CREATE);
  return ctx.store.transaction(async (tx) => {
    const out: JsonObject[] = [];
    for (const b of bodies) {
      if (b.network_id === undefined) throw new InvalidInput("'network_id' is required");
      if (b.cidr === undefined) throw new InvalidInput("'cidr' is required (subnet pools are not supported)");
      const ns = await visibleNetwork(tx, caller, toStr('network_id', b.network_id));
      if (!caller.isAdmin && ns.network.projectId !== caller.projectId) throw new PolicyNotAuthorized('create_subnet');
      const cidr = parseCidr(toStr('cidr', b.cidr));
      const ipVersion = b.ip_version === undefined ? cidr.version : toInt('ip_version', b.ip_version, 4, 6);
      if (ipVersion !== cidr.version)
        throw new InvalidInput(`cidr ${cidr.text} does not match ip_version ${ipVersion}`);
      for (const other of await tx.subnetsOfNetworks([ns.network.id])) {
        if (cidrsOverlap(cidr, parseCidr(other.cidr))) throw new SubnetOverlap(cidr.text, other.id, other.cidr);
      }
      const gatewayIp =
        b.gateway_ip === undefined
          ? defaultGateway(cidr)
          : b.gateway_ip === null
            ? null
            : validateGateway(cidr, toStr('gateway_ip', b.gateway_ip));
      const pools =
        b.allocation_pools === undefined || (Array.isArray(b.allocation_pools) && b.allocation_pools.length === 0)
          ? defaultAllocationPools(cidr, gatewayIp)
          : validateAllocationPools(cidr, gatewayIp, toPools(b.allocation_pools));
      const segmentId = b.segment_id === undefined || b.segment_id === null ? null : toStr('segment_id', b.segment_id);
      if (segmentId !== null && segmentId !== ns.segment.id)
        throw new InvalidInput(`segment ${segmentId} is not a segment of network ${ns.network.id}`);
      const requested = b.project_id ?? b.tenant_id;
      const now = ctx.now();
      const subnet: Subnet = {
        id: ctx.newId(),
        networkId: ns.network.id,
        segmentId,
        projectId: owningProject(caller, requested === undefined ? undefined : toStr('project_id', requested)),
        name: b.name === undefined ? '' : toStr('name', b.name),
        description: b.description === undefined ? '' : toStr('description', b.description),
        ipVersion: cidr.version,
        cidr: cidr.text,
        gatewayIp,
        allocationPools: pools,
        dnsNameservers: b.dns_nameservers === undefined ? [] : dnsList(b.dns_nameservers),
        hostRoutes: b.host_routes === undefined ? [] : checkRoutes(toHostRoutes(b.host_routes), cidr.version),
        enableDhcp: b.enable_dhcp === undefined ? true : toBool('enable_dhcp', b.enable_dhcp),
        ipv6AddressMode:
          b.ipv6_address_mode === undefined || b.ipv6_address_mode === null
            ? null
            : toStr('ipv6_address_mode', b.ipv6_address_mode),
        ipv6RaMode:
          b.ipv6_ra_mode === undefined || b.ipv6_ra_mode === null ? null : toStr('ipv6_ra_mode', b.ipv6_ra_mode),
        tags: [],
        createdAt: now,
        updatedAt: now,
        revisionNumber: 1,
      };
      await tx.insertSubnet(subnet);
      await tx.addEvent('subnet.created', subnet.id, { networkId: subnet.networkId });
      out.push(subnetToWire(subnet, ns.network.external));
    }
    return out;
  });
}

export async function listSubnets(ctx: ApiContext, caller: Caller, q: ListQuery): Promise<JsonObject[]> {
  const rows = await ctx.store.listSubnets(
    q.sql,
    seesAll(caller) ? null : { projectId: caller.projectId },
    sqlPageOf(q),
  );
  const external = new Set(
    (await ctx.store.listNetworks([{ column: 'external', values: [1] }], null)).map((n) => n.network.id),
  );
  return rows.map((s) => subnetToWire(s, external.has(s.networkId)));
}

export async function showSubnet(ctx: ApiContext, caller: Caller, id: string): Promise<JsonObject> {
  const s = await visibleSubnet(ctx.store, caller, id);
  return subnetToWire(s, await isExternal(ctx.store, s.networkId));
}

export async function updateSubnet(
  ctx: ApiContext,
  caller: Caller,
  id: string,
  b: JsonObject,
  ifMatch?: string,
): Promise<JsonObject> {
  readOnlyCheck(b, READ_ONLY);
  checkKnown(b, UPDATE);
  return ctx.store.transaction(async (tx) => {
    const s = await visibleSubnet(tx, caller, id);
    if (!caller.isAdmin && s.projectId !== caller.projectId) throw new PolicyNotAuthorized('update_subnet');
    checkRevision(ifMatch, s.revisionNumber);
    const cidr = parseCidr(s.cidr);
    const gatewayIp =
      b.gateway_ip === undefined
        ? s.gatewayIp
        : b.gateway_ip === null
          ? null
          : validateGateway(cidr, toStr('gateway_ip', b.gateway_ip));
    const pools =
      b.allocation_pools === undefined
        ? validateAllocationPools(cidr, gatewayIp, s.allocationPools)
        : validateAllocationPools(cidr, gatewayIp, toPools(b.allocation_pools));
    const next: Subnet = {
      ...s,
      name: b.name === undefined ? s.name : toStr('name', b.name),
      description: b.description === undefined ? s.description : toStr('description', b.description),
      gatewayIp,
      allocationPools: pools,
      dnsNameservers: b.dns_nameservers === undefined ? s.dnsNameservers : dnsList(b.dns_nameservers),
      hostRoutes: b.host_routes === undefined ? s.hostRoutes : checkRoutes(toHostRoutes(b.host_routes), s.ipVersion),
      enableDhcp: b.enable_dhcp === undefined ? s.enableDhcp : toBool('enable_dhcp', b.enable_dhcp),
      updatedAt: ctx.now(),
      revisionNumber: s.revisionNumber + 1,
    };
    await tx.updateSubnet(next);
    await tx.addEvent('subnet.updated', id, { networkId: s.networkId });
    return subnetToWire(next, await isExternal(tx, s.networkId));
  });
}

export async function deleteSubnet(ctx: ApiContext, caller: Caller, id: string, ifMatch?: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const s = await visibleSubnet(tx, caller, id);
    if (!caller.isAdmin && s.projectId !== caller.projectId) throw new SubnetNotFound(id);
    checkRevision(ifMatch, s.revisionNumber);
    const holders = await tx.listPorts([], null, await tx.portIdsWithAddress({ subnetId: [id] }));
    if (holders.some((p) => p.deviceOwner !== DHCP_DEVICE_OWNER)) throw new SubnetInUse(id);
    for (const p of holders) {
      // the DHCP port keeps its other addresses; it loses this subnet's
      await tx.updatePort({ ...p, fixedIps: p.fixedIps.filter((f) => f.subnetId !== id) });
    }
    await tx.deleteSubnet(id);
    await tx.addEvent('subnet.deleted', id, { networkId: s.networkId });
  });
}
