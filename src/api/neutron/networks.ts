/** Networks and their single provider segment. */
import {
  FlatNetworkInUse,
  HTTPBadRequest,
  InvalidInput,
  NetworkInUse,
  NetworkNotFound,
  PolicyNotAuthorized,
  VlanIdInUse,
} from '../../domain/errors.ts';
import { type Caller, DHCP_DEVICE_OWNER, type Network, type NetworkType, type Segment } from '../../domain/model.ts';
import { assertMaySet, canSeeNetwork, owningProject, seesAll } from '../../domain/policy.ts';
import { allocateVlan } from '../../domain/vlan-pool.ts';
import type { NetworkWithSegment, Tx } from '../../store/store.ts';
import type { ApiContext } from '../context.ts';
import { type Filterable, type ListQuery, sqlPageOf } from '../query.ts';
import { checkKnown, type JsonObject, networkToWire, toBool, toInt, toStr, toStringList } from '../wire.ts';
import { checkRevision } from './revision.ts';

const CREATE = new Set([
  'name',
  'description',
  'admin_state_up',
  'shared',
  'router:external',
  'mtu',
  'provider:network_type',
  'provider:physical_network',
  'provider:segmentation_id',
  'tenant_id',
  'project_id',
  'port_security_enabled',
  'availability_zone_hints',
  'dns_domain',
  'qos_policy_id',
  'is_default',
]);
const UPDATE = new Set([...CREATE].filter((k) => k !== 'tenant_id' && k !== 'project_id'));

export const NETWORK_FILTERS: Readonly<Record<string, Filterable>> = {
  id: { kind: 'string', column: 'id' },
  name: { kind: 'string', column: 'name' },
  description: { kind: 'string', column: 'description' },
  status: { kind: 'string', column: 'status' },
  admin_state_up: { kind: 'bool', column: 'admin_state_up' },
  shared: { kind: 'bool', column: 'shared' },
  'router:external': { kind: 'bool', column: 'external' },
  mtu: { kind: 'int', column: 'mtu' },
  project_id: { kind: 'string', column: 'project_id' },
  tenant_id: { kind: 'string', column: 'project_id' },
  port_security_enabled: { kind: 'bool', column: 'port_security_enabled' },
  'provider:network_type': { kind: 'string', column: 'network_type' },
  'provider:physical_network': { kind: 'string', column: 'physical_network' },
  'provider:segmentation_id': { kind: 'int', column: 'segmentation_id' },
  revision_number: { kind: 'int', column: 'revision_number' },
  created_at: { kind: 'string', column: 'created_at' },
  updated_at: { kind: 'string', column: 'updated_at' },
  subnets: { kind: 'string' },
  is_default: { kind: 'bool' },
  availability_zones: { kind: 'string' },
  dns_domain: { kind: 'string' },
  tags: { kind: 'string' },
};

async function subnetIdsByNetwork(tx: Tx, networkIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const s of await tx.subnetsOfNetworks(networkIds)) out.set(s.networkId, [...(out.get(s.networkId) ?? []), s.id]);
  return out;
}

async function wire(tx: Tx, ns: NetworkWithSegment, caller: Caller): Promise<JsonObject> {
  const subnets = await subnetIdsByNetwork(tx, [ns.network.id]);
  return networkToWire(ns.network, ns.segment, subnets.get(ns.network.id) ?? [], caller);
}

/** A network the caller may see, else NetworkNotFound (others' networks look absent). */
export async function visibleNetwork(tx: Tx, caller: Caller, id: string): Promise<NetworkWithSegment> {
  const ns = await tx.getNetwork(id);
  if (!ns || !canSeeNetwork(caller, ns.network)) throw new NetworkNotFound(id);
  return ns;
}

function decideSegment(ctx: ApiContext, body: JsonObject) {
  const type =
    body['provider:network_type'] === undefined
      ? 'vlan'
      : toStr('provider:network_type', body['provider:network_type']);
  if (type !== 'vlan' && type !== 'flat') {
    throw new InvalidInput(`network_type value '${type}' not supported (bmnet serves vlan and flat)`);
  }
  const physnet =
    body['provider:physical_network'] === undefined
      ? ctx.network.defaultPhysnet
      : toStr('provider:physical_network', body['provider:physical_network']);
  if (!ctx.network.physnets.has(physnet)) {
    throw new InvalidInput(`physical_network '${physnet}' unknown for ${type} provider network`);
  }
  const rawVlan = body['provider:segmentation_id'];
  if (type === 'flat' && rawVlan !== undefined && rawVlan !== null) {
    throw new InvalidInput(`segmentation_id specified for flat provider network`);
  }
  const vlan =
    type === 'vlan' && rawVlan !== undefined && rawVlan !== null
      ? toInt('provider:segmentation_id', rawVlan, 1, 4094)
      : null;
  return { type: type as NetworkType, physnet, vlan };
}

async function reserveSegment(
  ctx: ApiContext,
  tx: Tx,
  decided: { type: NetworkType; physnet: string; vlan: number | null },
): Promise<number | null> {
  if (decided.type === 'flat') {
    if (await tx.segmentOnPhysnet(decided.physnet, 'flat', null)) throw new FlatNetworkInUse(decided.physnet);
    return null;
  }
  if (decided.vlan !== null) {
    if (await tx.segmentOnPhysnet(decided.physnet, 'vlan', decided.vlan))
      throw new VlanIdInUse(decided.vlan, decided.physnet);
    return decided.vlan;
  }
  const ranges = ctx.network.physnets.get(decided.physnet)?.vlanRanges ?? [];
  return allocateVlan(ranges, await tx.usedVlans(decided.physnet));
}

export async function createNetworks(
  ctx: ApiContext,
  caller: Caller,
  bodies: readonly JsonObject[],
): Promise<JsonObject[]> {
  const prepared = bodies.map((body) => {
    checkKnown(body, CREATE);
    assertMaySet(caller, 'create_network', Object.keys(body));
    const shared = body.shared === undefined ? false : toBool('shared', body.shared);
    const external = body['router:external'] === undefined ? false : toBool('router:external', body['router:external']);
    if (shared && !caller.isAdmin) throw new PolicyNotAuthorized('create_network:shared');
    if (external && !caller.isAdmin) throw new PolicyNotAuthorized('create_network:router:external');
    const requested = body.project_id ?? body.tenant_id;
    if (body.availability_zone_hints !== undefined)
      toStringList('availability_zone_hints', body.availability_zone_hints);
    return {
      fields: {
        projectId: owningProject(caller, requested === undefined ? undefined : toStr('project_id', requested)),
        name: body.name === undefined ? '' : toStr('name', body.name),
        description: body.description === undefined ? '' : toStr('description', body.description),
        adminStateUp: body.admin_state_up === undefined ? true : toBool('admin_state_up', body.admin_state_up),
        shared,
        external,
        mtu: body.mtu === undefined ? ctx.network.defaultMtu : toInt('mtu', body.mtu, 68, 9216),
        portSecurityEnabled:
          body.port_security_enabled === undefined ? true : toBool('port_security_enabled', body.port_security_enabled),
      },
      segment: decideSegment(ctx, body),
    };
  });
  return ctx.store.transaction(async (tx) => {
    const out: JsonObject[] = [];
    for (const p of prepared) {
      const now = ctx.now();
      const id = ctx.newId();
      const vlan = await reserveSegment(ctx, tx, p.segment);
      const network: Network = {
        ...p.fields,
        id,
        status: 'ACTIVE',
        tags: [],
        createdAt: now,
        updatedAt: now,
        revisionNumber: 1,
      };
      const segment: Segment = {
        id: ctx.newId(),
        networkId: id,
        name: '',
        description: '',
        networkType: p.segment.type,
        physicalNetwork: p.segment.physnet,
        segmentationId: vlan,
        createdAt: now,
        updatedAt: now,
        revisionNumber: 0,
      };
      await tx.insertNetwork(network, segment);
      await tx.addEvent('network.created', id, { physnet: segment.physicalNetwork, vlan });
      out.push(networkToWire(network, segment, [], caller));
    }
    return out;
  });
}

export async function listNetworks(ctx: ApiContext, caller: Caller, q: ListQuery) {
  const rows = await ctx.store.listNetworks(
    q.sql,
    seesAll(caller) ? null : { projectId: caller.projectId },
    sqlPageOf(q),
  );
  const subnets = await subnetIdsByNetwork(
    ctx.store,
    rows.map((r) => r.network.id),
  );
  return rows.map((r) => networkToWire(r.network, r.segment, subnets.get(r.network.id) ?? [], caller));
}

export async function showNetwork(ctx: ApiContext, caller: Caller, id: string): Promise<JsonObject> {
  return wire(ctx.store, await visibleNetwork(ctx.store, caller, id), caller);
}

export async function updateNetwork(ctx: ApiContext, caller: Caller, id: string, body: JsonObject, ifMatch?: string) {
  checkKnown(body, UPDATE);
  assertMaySet(caller, 'update_network', Object.keys(body));
  return ctx.store.transaction(async (tx) => {
    const { network: n, segment: s } = await visibleNetwork(tx, caller, id);
    if (!caller.isAdmin && n.projectId !== caller.projectId) throw new PolicyNotAuthorized('update_network');
    checkRevision(ifMatch, n.revisionNumber);
    if (body['provider:network_type'] !== undefined && body['provider:network_type'] !== s.networkType) {
      throw new HTTPBadRequest(
        'Invalid input for operation: Plugin does not support updating provider attributes: provider:network_type.',
      );
    }
    if (body['provider:physical_network'] !== undefined && body['provider:physical_network'] !== s.physicalNetwork) {
      throw new HTTPBadRequest(
        'Invalid input for operation: Plugin does not support updating provider attributes: provider:physical_network.',
      );
    }
    let segment = s;
    const rawVlan = body['provider:segmentation_id'];
    if (rawVlan !== undefined && rawVlan !== null) {
      if (s.networkType !== 'vlan') throw new InvalidInput('segmentation_id can only be changed on vlan networks');
      const vlan = toInt('provider:segmentation_id', rawVlan, 1, 4094);
      if (vlan !== s.segmentationId) {
        if (await tx.segmentOnPhysnet(s.physicalNetwork, 'vlan', vlan)) throw new VlanIdInUse(vlan, s.physicalNetwork);
        segment = { ...s, segmentationId: vlan, updatedAt: ctx.now(), revisionNumber: s.revisionNumber + 1 };
      }
    }
    if ((body.shared !== undefined || body['router:external'] !== undefined) && !caller.isAdmin) {
      throw new PolicyNotAuthorized('update_network:shared');
    }
    const next: Network = {
      ...n,
      name: body.name === undefined ? n.name : toStr('name', body.name),
      description: body.description === undefined ? n.description : toStr('description', body.description),
      adminStateUp: body.admin_state_up === undefined ? n.adminStateUp : toBool('admin_state_up', body.admin_state_up),
      shared: body.shared === undefined ? n.shared : toBool('shared', body.shared),
      external: body['router:external'] === undefined ? n.external : toBool('router:external', body['router:external']),
      mtu: body.mtu === undefined ? n.mtu : toInt('mtu', body.mtu, 68, 9216),
      portSecurityEnabled:
        body.port_security_enabled === undefined
          ? n.portSecurityEnabled
          : toBool('port_security_enabled', body.port_security_enabled),
      updatedAt: ctx.now(),
      revisionNumber: n.revisionNumber + 1,
    };
    await tx.updateNetwork(next, segment);
    await tx.addEvent('network.updated', id, { vlanChanged: segment !== s });
    return wire(tx, { network: next, segment }, caller);
  });
}

export async function deleteNetwork(ctx: ApiContext, caller: Caller, id: string, ifMatch?: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const { network: n } = await visibleNetwork(tx, caller, id);
    if (!caller.isAdmin && n.projectId !== caller.projectId) throw new NetworkNotFound(id);
    checkRevision(ifMatch, n.revisionNumber);
    if ((await tx.countPorts(id, DHCP_DEVICE_OWNER)) > 0) throw new NetworkInUse(id);
    const ports = await tx.deletePortsOfNetwork(id);
    for (const portId of ports) await tx.addEvent('port.deleted', portId, { networkId: id });
    for (const s of await tx.subnetsOfNetworks([id])) {
      await tx.deleteSubnet(s.id);
      await tx.addEvent('subnet.deleted', s.id, { networkId: id });
    }
    await tx.deleteNetwork(id);
    await tx.addEvent('network.deleted', id);
  });
}
