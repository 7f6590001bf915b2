/**
 * bmnet v1 node API: nodes with NICs, port groups and boot settings, and one call to move a node's
 * network between cleaning, provisioning, inspection, rescue, tenant and isolated — done the way
 * Ironic's neutron network interface does it (service ports per PXE NIC with PXE options, tenant ports on
 * NICs or port groups), through the same Neutron port logic, then watched until the switches confirm.
 */
import type { FastifyInstance } from 'fastify';
import type { NodesConfig } from '../config/schema.js';
import { BadRequest, Conflict, HTTPBadRequest, InvalidInput, NotFound, PolicyNotAuthorized } from '../domain/errors.js';
import {
  type BootConfig,
  isServiceStage,
  type LinkInfo,
  NETWORK_STAGES,
  type NetworkStage,
  type Nic,
  type Node,
  type PortGroup,
  planNodeTransition,
  type TenantAttachment,
} from '../domain/node.js';
import {
  decideOperationEnd,
  type OperationProgress,
  operationDeadline,
  operationProgress,
} from '../domain/node-operation.js';
import { mayUsePrivileged, SYSTEM_CALLER } from '../domain/policy.js';
import { parseMac } from '../domain/values.js';
import type { Logger } from '../logging.js';
import type { NodeOperation } from '../store/store.js';
import type { ApiContext } from './context.js';
import { createPorts, deletePort, updatePort } from './neutron/ports.js';
import { isObject, type Json, type JsonObject, toBool, toStr } from './wire.js';

export class NodeNotFound extends NotFound {
  constructor(id: string) {
    super(`Node ${id} could not be found.`);
  }
}
export class NodeInUse extends Conflict {
  constructor(id: string, stage: string) {
    super(`Node ${id} is on its ${stage} network: move it to isolated before deleting it.`);
  }
}
export class NodeNameInUse extends Conflict {
  constructor(name: string) {
    super(`A node named ${name} exists already.`);
  }
}
export class OperationNotFound extends NotFound {
  constructor(id: string) {
    super(`Operation ${id} could not be found.`);
  }
}
export class StageNotOffered extends BadRequest {
  constructor(stage: string) {
    super(`Invalid input for operation: no ${stage} network is configured (nodes.networks.${stage}).`);
  }
}

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

function parseNode(b: JsonObject, defaults: NodesConfig['boot']): Pick<Node, 'name' | 'nics' | 'portGroups' | 'boot'> {
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

export class NodeService {
  /** One transition at a time per node in this process. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly watchers = new Set<NodeJS.Timeout>();
  private isStopped = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly config: NodesConfig,
    private readonly log: Logger,
  ) {}

  /** Resumes watching operations that were running when bmnet stopped. */
  async start(): Promise<void> {
    for (const op of await this.ctx.store.nodes().runningOperations()) this.watch(op);
  }

  stop(): void {
    this.isStopped = true;
    for (const t of this.watchers) clearTimeout(t);
  }

  async create(body: JsonObject): Promise<JsonObject> {
    const fields = parseNode(body, this.config.boot);
    return this.ctx.store.transaction(async (tx) => {
      if (await tx.nodes().get(fields.name)) throw new NodeNameInUse(fields.name);
      const now = this.ctx.now();
      const node: Node = {
        ...fields,
        id: this.ctx.newId(),
        stage: 'isolated',
        targetStage: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
        revisionNumber: 1,
      };
      await tx.nodes().insert(node);
      await tx.addEvent('node.created', node.id);
      return nodeToWire(node);
    });
  }

  async get(id: string): Promise<Node> {
    const n = await this.ctx.store.nodes().get(id);
    if (!n) throw new NodeNotFound(id);
    return n;
  }

  async list(): Promise<JsonObject[]> {
    return (await this.ctx.store.nodes().list()).map(nodeToWire);
  }

  async show(id: string): Promise<JsonObject> {
    return nodeToWire(await this.get(id));
  }

  async remove(id: string): Promise<void> {
    const n = await this.get(id);
    const ports = await this.ctx.store.listPorts([{ column: 'device_id', values: [n.id] }], null);
    if (ports.some((p) => p.hostId !== '')) throw new NodeInUse(n.name, n.stage);
    for (const p of ports) await deletePort(this.ctx, SYSTEM_CALLER, p.id);
    await this.ctx.store.transaction(async (tx) => {
      await tx.nodes().delete(n.id);
      await tx.addEvent('node.deleted', n.id);
    });
  }

  private async serviceNetwork(stage: NetworkStage): Promise<string | null> {
    if (!isServiceStage(stage)) return null;
    const ref = this.config.networks[stage];
    if (ref === null) throw new StageNotOffered(stage);
    return this.networkId(ref, `nodes.networks.${stage}`);
  }

  private async networkId(ref: string, where: string): Promise<string> {
    const byId = await this.ctx.store.getNetwork(ref);
    if (byId) return byId.network.id;
    const byName = await this.ctx.store.listNetworks([{ column: 'name', values: [ref] }], null);
    if (byName.length !== 1 || !byName[0]) {
      throw new InvalidInput(
        `${where}: network '${ref}' ${byName.length === 0 ? 'does not exist' : 'names several networks'}`,
      );
    }
    return byName[0].network.id;
  }

  /** Moves a node's network; returns the operation that tracks it. Safe to repeat and to race. */
  async move(id: string, body: JsonObject): Promise<NodeOperation> {
    const node = await this.get(id);
    const prior = this.locks.get(node.id) ?? Promise.resolve();
    const next = prior.catch(() => undefined).then(() => this.moveLocked(node.id, body));
    this.locks.set(node.id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(node.id) === next) this.locks.delete(node.id);
    }
  }

  private async moveLocked(id: string, body: JsonObject): Promise<NodeOperation> {
    const node = await this.get(id);
    const stage = body.stage;
    if (typeof stage !== 'string' || !(NETWORK_STAGES as readonly string[]).includes(stage)) {
      throw new HTTPBadRequest(
        `Invalid input for stage. Reason: '${String(stage)}' is not one of ${NETWORK_STAGES.join(', ')}.`,
      );
    }
    const target = stage as NetworkStage;
    const tenant: TenantAttachment[] = [];
    if (target === 'tenant') {
      const list = body.networks;
      if (!Array.isArray(list) || list.length === 0)
        throw new InvalidInput('stage tenant needs networks: [{network, nic | port_group}]');
      for (const [i, a] of list.entries()) {
        if (!isObject(a) || typeof a.network !== 'string')
          throw new InvalidInput(`networks[${i}] needs network (name or id)`);
        const networkId = await this.networkId(a.network, `networks[${i}]`);
        if (typeof a.port_group === 'string') {
          if (!node.portGroups.some((g) => g.name === a.port_group))
            throw new InvalidInput(`networks[${i}]: node has no port group ${a.port_group}`);
          tenant.push({ networkId, portGroup: a.port_group });
        } else {
          const first = node.nics[0];
          const mac = typeof a.nic === 'string' ? parseMac(a.nic) : first?.mac;
          if (!mac || !node.nics.some((n) => n.mac === mac))
            throw new InvalidInput(`networks[${i}]: node has no nic ${String(a.nic)}`);
          tenant.push({ networkId, nic: mac });
        }
      }
    }
    const serviceNetworkId = await this.serviceNetwork(target);
    const ports = await this.ctx.store.listPorts([{ column: 'device_id', values: [node.id] }], null);
    const plan = planNodeTransition(node, target, ports, serviceNetworkId, tenant);

    await this.setNode(node.id, { targetStage: target, lastError: null });
    // invariant 2: the old networks' ports go first; the reconciler confirms their removal on the switch
    // before it adds the new VLAN to the same switch port
    for (const portId of plan.deletes) await deletePort(this.ctx, SYSTEM_CALLER, portId);
    for (const portId of plan.unbinds) {
      await updatePort(this.ctx, SYSTEM_CALLER, portId, { 'binding:host_id': '', 'binding:profile': {} });
    }
    const portIds: string[] = [];
    for (const { want, existing } of plan.wanted) {
      const binding = {
        'binding:vnic_type': 'baremetal',
        'binding:host_id': node.id,
        'binding:profile': want.profile as Json,
        extra_dhcp_opts: want.extraDhcpOpts.map((o) => ({
          opt_name: o.optName,
          opt_value: o.optValue,
          ip_version: o.ipVersion,
        })),
      };
      if (existing) {
        await updatePort(this.ctx, SYSTEM_CALLER, existing.id, binding);
        portIds.push(existing.id);
      } else {
        const [made] = await createPorts(this.ctx, SYSTEM_CALLER, [
          {
            network_id: want.networkId,
            mac_address: want.mac,
            device_id: node.id,
            device_owner: want.deviceOwner,
            name: `${node.name}-${target}`,
            ...binding,
          },
        ]);
        portIds.push(String(made?.id));
      }
    }
    const now = this.ctx.now();
    const op: NodeOperation = {
      id: this.ctx.newId(),
      nodeId: node.id,
      targetStage: target,
      state: 'running',
      portIds,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.store.nodes().putOperation(op);
    this.watch(op);
    return op;
  }

  private async setNode(id: string, patch: Partial<Pick<Node, 'stage' | 'targetStage' | 'lastError'>>): Promise<void> {
    await this.ctx.store.transaction(async (tx) => {
      const n = await tx.nodes().get(id);
      if (!n) return;
      await tx.nodes().update({ ...n, ...patch, updatedAt: this.ctx.now(), revisionNumber: n.revisionNumber + 1 });
      await tx.addEvent('node.updated', id, { ...patch });
    });
  }

  /** Progress of an operation: its ports and how many are ACTIVE. */
  async progress(op: NodeOperation): Promise<OperationProgress> {
    return operationProgress(op.portIds, await this.ctx.store.listPorts([], null, op.portIds));
  }

  private watch(op: NodeOperation): void {
    const deadline = operationDeadline(op.createdAt, this.config.operationTimeoutSeconds);
    const tick = async () => {
      if (this.isStopped) return;
      const cur = await this.ctx.store.nodes().operation(op.id);
      if (cur?.state !== 'running') return;
      const ports = await this.ctx.store.listPorts([], null, cur.portIds);
      const end = decideOperationEnd(cur.portIds, ports, Date.now(), deadline);
      if (end.state !== 'running') {
        const error = end.state === 'failed' ? end.error : null;
        await this.ctx.store.nodes().putOperation({ ...cur, state: end.state, error, updatedAt: this.ctx.now() });
        const node = await this.ctx.store.nodes().get(op.nodeId);
        if (node && node.targetStage === op.targetStage) {
          await this.setNode(
            op.nodeId,
            end.state === 'succeeded'
              ? { stage: op.targetStage, targetStage: null, lastError: null }
              : { lastError: error },
          );
        }
        this.log.info(
          { nodeId: op.nodeId, stage: op.targetStage, state: end.state, error },
          'node network operation ended',
        );
        return;
      }
      const t = setTimeout(() => {
        this.watchers.delete(t);
        void tick().catch((err: unknown) => this.log.error({ err, operation: op.id }, 'node operation watch failed'));
      }, 100);
      this.watchers.add(t);
    };
    void tick().catch((err: unknown) => this.log.error({ err, operation: op.id }, 'node operation watch failed'));
  }

  async operation(id: string): Promise<JsonObject> {
    const op = await this.ctx.store.nodes().operation(id);
    if (!op) throw new OperationNotFound(id);
    const p = await this.progress(op);
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
  app.get('/v1/nodes', async () => ({ nodes: await nodes.list() }));
  app.post('/v1/nodes', async (req, reply) => {
    const made = await nodes.create(member(req.body, 'node'));
    return reply.code(201).send({ node: made });
  });
  app.get<{ Params: { id: string } }>('/v1/nodes/:id', async (req) => ({ node: await nodes.show(req.params.id) }));
  app.delete<{ Params: { id: string } }>('/v1/nodes/:id', async (req, reply) => {
    await nodes.remove(req.params.id);
    return reply.code(204).send();
  });
  app.put<{ Params: { id: string } }>('/v1/nodes/:id/network', async (req, reply) => {
    const op = await nodes.move(req.params.id, member(req.body, 'network'));
    return reply.code(202).send({ operation: await nodes.operation(op.id) });
  });
  app.get<{ Params: { id: string } }>('/v1/operations/:id', async (req) => ({
    operation: await nodes.operation(req.params.id),
  }));
}
