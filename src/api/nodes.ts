/**
 * bmnet v1 node API: the HTTP routes of the node service (src/nodes/service.ts) — bodies parsed into its
 * typed requests, its nodes and operations written back as JSON — and the Neutron port logic it moves
 * a node's ports with (`neutronNodePorts`).
 */
import type { FastifyInstance } from 'fastify';
import type { NodesConfig } from '../config/schema.ts';
import { HTTPBadRequest, InvalidInput, PolicyNotAuthorized } from '../domain/errors.ts';
import {
  type BootConfig,
  type LinkInfo,
  NETWORK_STAGES,
  type NetworkStage,
  type Nic,
  type Node,
  type PortGroup,
  type WantedPort,
} from '../domain/node.ts';
import { mayUsePrivileged, SYSTEM_CALLER } from '../domain/policy.ts';
import { parseMac } from '../domain/values.ts';
import type {
  MoveRequest,
  NodeFields,
  NodePorts,
  NodeService,
  OperationView,
  TenantRequest,
} from '../nodes/service.ts';
import type { ApiContext } from './context.ts';
import { createPorts, deletePort, updatePort } from './neutron/ports.ts';
import { isObject, type Json, type JsonObject, toBool, toStr } from './wire.ts';

function parseLinks(v: Json | undefined, at: string): LinkInfo[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new InvalidInput(`${at}.local_link_information must be a non-empty list`);
  return v.map((l, i) => {
    if (!isObject(l) || typeof l.port_id !== 'string')
      throw new InvalidInput(`${at}.local_link_information[${i}] needs port_id`);
    if (typeof l.switch_id !== 'string' && typeof l.switch_info !== 'string') {
      throw new InvalidInput(`${at}.local_link_information[${i}] needs switch_id or switch_info`);
    }
    return {
      portId: l.port_id,
      ...(typeof l.switch_id === 'string' ? { switchId: l.switch_id } : {}),
      ...(typeof l.switch_info === 'string' ? { switchInfo: l.switch_info } : {}),
    };
  });
}

function parseNode(b: JsonObject, defaults: NodesConfig['boot']): NodeFields {
  const name = toStr('name', b.name);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name))
    throw new InvalidInput(`node name '${name}' must be letters, digits, . _ -`);
  if (!Array.isArray(b.nics) || b.nics.length === 0) throw new InvalidInput('nics must be a non-empty list');
  const nics: Nic[] = b.nics.map((n, i) => {
    if (!isObject(n)) throw new InvalidInput(`nics[${i}] must be a dictionary`);
    return {
      mac: parseMac(toStr(`nics[${i}].mac`, n.mac)),
      localLinkInformation: parseLinks(n.local_link_information, `nics[${i}]`),
      physicalNetwork:
        n.physical_network === undefined || n.physical_network === null
          ? null
          : toStr('physical_network', n.physical_network),
      isPxeEnabled: n.pxe_enabled === undefined ? true : toBool('pxe_enabled', n.pxe_enabled),
    };
  });
  const macs = new Set(nics.map((n) => n.mac));
  if (macs.size !== nics.length) throw new InvalidInput('two nics have the same mac');
  const portGroups: PortGroup[] = (Array.isArray(b.port_groups) ? b.port_groups : []).map((g, i) => {
    if (!isObject(g)) throw new InvalidInput(`port_groups[${i}] must be a dictionary`);
    const members = Array.isArray(g.members)
      ? g.members.map((m) => parseMac(toStr(`port_groups[${i}].members`, m)))
      : [];
    if (members.length < 2 || members.some((m) => !macs.has(m))) {
      throw new InvalidInput(`port_groups[${i}].members must list two or more of the node's nic MACs`);
    }
    const properties: Record<string, string | number> = {};
    if (isObject(g.properties)) {
      for (const [k, v] of Object.entries(g.properties))
        if (typeof v === 'string' || typeof v === 'number') properties[k] = v;
    }
    return {
      name: toStr(`port_groups[${i}].name`, g.name),
      mode: g.mode === undefined ? '802.3ad' : String(g.mode),
      properties,
      members,
    };
  });
  const boot = isObject(b.boot) ? b.boot : {};
  const mode = boot.mode === undefined ? defaults.mode : boot.mode;
  if (mode !== 'bios' && mode !== 'uefi') throw new InvalidInput(`boot.mode '${String(mode)}' is not bios or uefi`);
  const bootConfig: BootConfig = {
    mode,
    pxeFile:
      boot.pxe_file === undefined
        ? mode === 'uefi'
          ? defaults.pxeFileUefi
          : defaults.pxeFileBios
        : toStr('boot.pxe_file', boot.pxe_file),
    ipxeScript: (boot.ipxe_script === undefined
      ? defaults.ipxeScript
      : toStr('boot.ipxe_script', boot.ipxe_script)
    ).replaceAll('{node}', name),
    tftpServer:
      boot.tftp_server === undefined
        ? defaults.tftpServer
        : boot.tftp_server === null
          ? null
          : toStr('boot.tftp_server', boot.tftp_server),
  };
  return { name, nics, portGroups, boot: bootConfig };
}

function nodeToWire(n: Node): JsonObject {
  return {
    id: n.id,
    name: n.name,
    network_stage: n.stage,
    target_network_stage: n.targetStage,
    last_error: n.lastError,
    nics: n.nics.map((x) => ({
      mac: x.mac,
      local_link_information: x.localLinkInformation.map((l) => ({
        port_id: l.portId,
        ...(l.switchId ? { switch_id: l.switchId } : {}),
        ...(l.switchInfo ? { switch_info: l.switchInfo } : {}),
      })),
      physical_network: x.physicalNetwork,
      pxe_enabled: x.isPxeEnabled,
    })),
    port_groups: n.portGroups.map((g) => ({
      name: g.name,
      mode: g.mode,
      properties: g.properties,
      members: [...g.members],
    })),
    boot: {
      mode: n.boot.mode,
      pxe_file: n.boot.pxeFile,
      ipxe_script: n.boot.ipxeScript,
      tftp_server: n.boot.tftpServer,
    },
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    revision_number: n.revisionNumber,
  };
}

/** The body of `PUT /v1/nodes/ID/network`: a stage, and for the tenant stage the networks to attach. */
function parseMove(b: JsonObject): MoveRequest {
  const stage = b.stage;
  if (typeof stage !== 'string' || !(NETWORK_STAGES as readonly string[]).includes(stage)) {
    throw new HTTPBadRequest(
      `Invalid input for stage. Reason: '${String(stage)}' is not one of ${NETWORK_STAGES.join(', ')}.`,
    );
  }
  const target = stage as NetworkStage;
  if (target !== 'tenant') return { stage: target, networks: [] };
  const list = b.networks;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidInput('stage tenant needs networks: [{network, nic | port_group}]');
  const networks = list.map((a, i): TenantRequest => {
    if (!isObject(a) || typeof a.network !== 'string')
      throw new InvalidInput(`networks[${i}] needs network (name or id)`);
    if (typeof a.port_group === 'string') return { network: a.network, portGroup: a.port_group };
    return typeof a.nic === 'string' ? { network: a.network, nic: parseMac(a.nic) } : { network: a.network };
  });
  return { stage: target, networks };
}

function operationToWire({ operation: op, progress: p }: OperationView): JsonObject {
  return {
    id: op.id,
    node_id: op.nodeId,
    target_stage: op.targetStage,
    state: op.state,
    progress: { active_ports: p.active, total_ports: p.total },
    port_ids: [...op.portIds],
    error: op.error,
    created_at: op.createdAt,
    updated_at: op.updatedAt,
  };
}

function bindingOf(node: Node, want: WantedPort): JsonObject {
  return {
    'binding:vnic_type': 'baremetal',
    'binding:host_id': node.id,
    'binding:profile': want.profile as Json,
    extra_dhcp_opts: want.extraDhcpOpts.map((o) => ({
      opt_name: o.optName,
      opt_value: o.optValue,
      ip_version: o.ipVersion,
    })),
  };
}

/** The node service's ports, made through the Neutron port logic as the system caller. */
export function neutronNodePorts(ctx: ApiContext): NodePorts {
  return {
    async create(node, name, want) {
      const [made] = await createPorts(ctx, SYSTEM_CALLER, [
        {
          network_id: want.networkId,
          mac_address: want.mac,
          device_id: node.id,
          device_owner: want.deviceOwner,
          name,
          ...bindingOf(node, want),
        },
      ]);
      return String(made?.id);
    },
    async bind(portId, node, want) {
      await updatePort(ctx, SYSTEM_CALLER, portId, bindingOf(node, want));
    },
    async unbind(portId) {
      await updatePort(ctx, SYSTEM_CALLER, portId, { 'binding:host_id': '', 'binding:profile': {} });
    },
    delete: (portId) => deletePort(ctx, SYSTEM_CALLER, portId),
  };
}

export function nodeRoutes(app: FastifyInstance, nodes: NodeService): void {
  app.addHook('preHandler', async (req) => {
    if ((req.url.startsWith('/v1/nodes') || req.url.startsWith('/v1/operations')) && !mayUsePrivileged(req.caller)) {
      throw new PolicyNotAuthorized('nodes');
    }
  });
  const member = (body: unknown, key: string): JsonObject => {
    if (!isObject(body) || !isObject(body[key])) throw new HTTPBadRequest(`Unable to find '${key}' in request body`);
    return body[key] as JsonObject;
  };
  app.get('/v1/nodes', async () => ({ nodes: (await nodes.list()).map(nodeToWire) }));
  app.post('/v1/nodes', async (req, reply) => {
    const made = await nodes.create(parseNode(member(req.body, 'node'), nodes.bootDefaults));
    return reply.code(201).send({ node: nodeToWire(made) });
  });
  app.get<{ Params: { id: string } }>('/v1/nodes/:id', async (req) => ({
    node: nodeToWire(await nodes.get(req.params.id)),
  }));
  app.delete<{ Params: { id: string } }>('/v1/nodes/:id', async (req, reply) => {
    await nodes.remove(req.params.id);
    return reply.code(204).send();
  });
  app.put<{ Params: { id: string } }>('/v1/nodes/:id/network', async (req, reply) => {
    const op = await nodes.move(req.params.id, parseMove(member(req.body, 'network')));
    return reply.code(202).send({ operation: operationToWire(await nodes.operation(op.id)) });
  });
  app.get<{ Params: { id: string } }>('/v1/operations/:id', async (req) => ({
    operation: operationToWire(await nodes.operation(req.params.id)),
  }));
}
