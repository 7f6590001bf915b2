/**
 * The node service: nodes with NICs, port groups and boot settings, and moving a node's network between
 * cleaning, provisioning, inspection, rescue, tenant and isolated — done the way Ironic's neutron network
 * interface does it (service ports per PXE NIC with PXE options, tenant ports on NICs or port groups),
 * through the Neutron port logic it is given, then watched until the switches confirm
 * (docs/architecture.md §1, §5).
 */
import type { Clock } from '../clock.ts';
import type { NodesConfig } from '../config/schema.ts';
import { BadRequest, Conflict, InvalidInput, NotFound } from '../domain/errors.ts';
import {
  isServiceStage,
  type NetworkStage,
  type Node,
  planNodeTransition,
  type TenantAttachment,
  type WantedPort,
} from '../domain/node.ts';
import {
  decideOperationEnd,
  type OperationProgress,
  operationDeadline,
  operationProgress,
} from '../domain/node-operation.ts';
import type { Logger } from '../logging.ts';
import { isoSeconds, type NodeOperation, type Store } from '../store/store.ts';

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

/** A node as asked for, its boot settings completed with the configured defaults. */
export type NodeFields = Pick<Node, 'name' | 'nics' | 'portGroups' | 'boot'>;

/** A tenant network to attach, as asked: a network name or id, on a port group or a NIC (absent: the first). */
export interface TenantRequest {
  readonly network: string;
  readonly portGroup?: string;
  readonly nic?: string;
}

export interface MoveRequest {
  readonly stage: NetworkStage;
  /** The tenant stage's attachments (empty for the others). */
  readonly networks: readonly TenantRequest[];
}

/**
 * The Neutron port logic the service moves a node's ports with (api/neutron/ports.ts, wired in main.ts):
 * each call is one store transaction with its change event, which the reconciler follows.
 */
export interface NodePorts {
  /** Creates a port of the node as `want` says, bound to the node; returns its id. */
  create(node: Node, name: string, want: WantedPort): Promise<string>;
  /** Binds an existing port to the node as `want` says. */
  bind(portId: string, node: Node, want: WantedPort): Promise<void>;
  /** Unbinds a port (kept for later). */
  unbind(portId: string): Promise<void>;
  delete(portId: string): Promise<void>;
}

export interface NodeServiceOptions {
  readonly store: Store;
  readonly config: NodesConfig;
  readonly ports: NodePorts;
  readonly log: Logger;
  /** Time: recorded on nodes and operations, the operation deadline, and the polling of a running operation. */
  readonly clock: Clock;
  readonly newId: () => string;
}

export interface OperationView {
  readonly operation: NodeOperation;
  readonly progress: OperationProgress;
}

/** How often a running operation reads its ports again. */
const POLL_MS = 100;

export class NodeService {
  /** One transition at a time per node in this process. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** The cancel of each running operation's next poll. */
  private readonly watchers = new Set<() => void>();
  /** The polls in progress. */
  private readonly reads = new Set<Promise<void>>();
  private isStopped = false;

  private readonly o: NodeServiceOptions;

  constructor(o: NodeServiceOptions) {
    this.o = o;
  }

  /** The configured defaults for a node's boot settings. */
  get bootDefaults(): NodesConfig['boot'] {
    return this.o.config.boot;
  }

  /** Resumes watching operations that were running when bmnet stopped. */
  async start(): Promise<void> {
    for (const op of await this.o.store.nodes().runningOperations()) this.watch(op);
  }

  stop(): void {
    this.isStopped = true;
    for (const cancel of this.watchers) cancel();
    this.watchers.clear();
  }

  private now(): string {
    return isoSeconds(this.o.clock.now());
  }

  async create(fields: NodeFields): Promise<Node> {
    return this.o.store.transaction(async (tx) => {
      if (await tx.nodes().get(fields.name)) throw new NodeNameInUse(fields.name);
      const now = this.now();
      const node: Node = {
        ...fields,
        id: this.o.newId(),
        stage: 'isolated',
        targetStage: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
        revisionNumber: 1,
      };
      await tx.nodes().insert(node);
      await tx.addEvent('node.created', node.id);
      return node;
    });
  }

  /** A node by id or name. */
  async get(id: string): Promise<Node> {
    const n = await this.o.store.nodes().get(id);
    if (!n) throw new NodeNotFound(id);
    return n;
  }

  async list(): Promise<Node[]> {
    return this.o.store.nodes().list();
  }

  async remove(id: string): Promise<void> {
    const n = await this.get(id);
    const ports = await this.o.store.listPorts([{ column: 'device_id', values: [n.id] }], null);
    if (ports.some((p) => p.hostId !== '')) throw new NodeInUse(n.name, n.stage);
    for (const p of ports) await this.o.ports.delete(p.id);
    await this.o.store.transaction(async (tx) => {
      await tx.nodes().delete(n.id);
      await tx.addEvent('node.deleted', n.id);
    });
  }

  private async serviceNetwork(stage: NetworkStage): Promise<string | null> {
    if (!isServiceStage(stage)) return null;
    const ref = this.o.config.networks[stage];
    if (ref === null) throw new StageNotOffered(stage);
    return this.networkId(ref, `nodes.networks.${stage}`);
  }

  private async networkId(ref: string, where: string): Promise<string> {
    const byId = await this.o.store.getNetwork(ref);
    if (byId) return byId.network.id;
    const byName = await this.o.store.listNetworks([{ column: 'name', values: [ref] }], null);
    if (byName.length !== 1 || !byName[0]) {
      throw new InvalidInput(
        `${where}: network '${ref}' ${byName.length === 0 ? 'does not exist' : 'names several networks'}`,
      );
    }
    return byName[0].network.id;
  }

  /** Moves a node's network; returns the operation that tracks it. Safe to repeat and to race. */
  async move(id: string, request: MoveRequest): Promise<NodeOperation> {
    const node = await this.get(id);
    const prior = this.locks.get(node.id) ?? Promise.resolve();
    const next = prior.catch(() => undefined).then(() => this.moveLocked(node.id, request));
    this.locks.set(node.id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(node.id) === next) this.locks.delete(node.id);
    }
  }

  private async tenantAttachments(node: Node, networks: readonly TenantRequest[]): Promise<TenantAttachment[]> {
    const tenant: TenantAttachment[] = [];
    for (const [i, a] of networks.entries()) {
      const networkId = await this.networkId(a.network, `networks[${i}]`);
      if (a.portGroup !== undefined) {
        if (!node.portGroups.some((g) => g.name === a.portGroup))
          throw new InvalidInput(`networks[${i}]: node has no port group ${a.portGroup}`);
        tenant.push({ networkId, portGroup: a.portGroup });
      } else {
        const mac = a.nic ?? node.nics[0]?.mac;
        if (!mac || !node.nics.some((n) => n.mac === mac))
          throw new InvalidInput(`networks[${i}]: node has no nic ${String(a.nic)}`);
        tenant.push({ networkId, nic: mac });
      }
    }
    return tenant;
  }

  private async moveLocked(id: string, request: MoveRequest): Promise<NodeOperation> {
    const node = await this.get(id);
    const target = request.stage;
    const tenant = target === 'tenant' ? await this.tenantAttachments(node, request.networks) : [];
    const serviceNetworkId = await this.serviceNetwork(target);
    const ports = await this.o.store.listPorts([{ column: 'device_id', values: [node.id] }], null);
    const plan = planNodeTransition(node, target, ports, serviceNetworkId, tenant);

    await this.setNode(node.id, { targetStage: target, lastError: null });
    // invariant 2: the old networks' ports go first; the reconciler confirms their removal on the switch
    // before it adds the new VLAN to the same switch port
    for (const portId of plan.deletes) await this.o.ports.delete(portId);
    for (const portId of plan.unbinds) await this.o.ports.unbind(portId);
    const portIds: string[] = [];
    for (const { want, existing } of plan.wanted) {
      if (existing) {
        await this.o.ports.bind(existing.id, node, want);
        portIds.push(existing.id);
      } else {
        portIds.push(await this.o.ports.create(node, `${node.name}-${target}`, want));
      }
    }
    const now = this.now();
    const op: NodeOperation = {
      id: this.o.newId(),
      nodeId: node.id,
      targetStage: target,
      state: 'running',
      portIds,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.o.store.nodes().putOperation(op);
    this.watch(op);
    return op;
  }

  private async setNode(id: string, patch: Partial<Pick<Node, 'stage' | 'targetStage' | 'lastError'>>): Promise<void> {
    await this.o.store.transaction(async (tx) => {
      const n = await tx.nodes().get(id);
      if (!n) return;
      await tx.nodes().update({ ...n, ...patch, updatedAt: this.now(), revisionNumber: n.revisionNumber + 1 });
      await tx.addEvent('node.updated', id, { ...patch });
    });
  }

  /** Progress of an operation: its ports and how many are ACTIVE. */
  async progress(op: NodeOperation): Promise<OperationProgress> {
    return operationProgress(op.portIds, await this.o.store.listPorts([], null, op.portIds));
  }

  private watch(op: NodeOperation): void {
    const deadline = operationDeadline(op.createdAt, this.o.config.operationTimeoutSeconds);
    const tick = async () => {
      if (this.isStopped) return;
      const cur = await this.o.store.nodes().operation(op.id);
      if (cur?.state !== 'running') return;
      const ports = await this.o.store.listPorts([], null, cur.portIds);
      const end = decideOperationEnd(cur.portIds, ports, this.o.clock.now(), deadline);
      if (end.state !== 'running') {
        const error = end.state === 'failed' ? end.error : null;
        await this.o.store.nodes().putOperation({ ...cur, state: end.state, error, updatedAt: this.now() });
        const node = await this.o.store.nodes().get(op.nodeId);
        if (node && node.targetStage === op.targetStage) {
          await this.setNode(
            op.nodeId,
            end.state === 'succeeded'
              ? { stage: op.targetStage, targetStage: null, lastError: null }
              : { lastError: error },
          );
        }
        this.o.log.info(
          { nodeId: op.nodeId, stage: op.targetStage, state: end.state, error },
          'node network operation ended',
        );
        return;
      }
      const cancel = this.o.clock.after(POLL_MS, () => {
        this.watchers.delete(cancel);
        this.poll(op, tick);
      });
      this.watchers.add(cancel);
    };
    this.poll(op, tick);
  }

  private poll(op: NodeOperation, tick: () => Promise<void>): void {
    const read: Promise<void> = tick()
      .catch((err: unknown) => this.o.log.error({ err, operation: op.id }, 'node operation watch failed'))
      .finally(() => this.reads.delete(read));
    this.reads.add(read);
  }

  /** Resolves when no operation is being read or ended (a scheduled poll is not waited for). */
  async idle(): Promise<void> {
    while (this.reads.size > 0) await Promise.all(this.reads);
  }

  /** An operation and its progress. */
  async operation(id: string): Promise<OperationView> {
    const op = await this.o.store.nodes().operation(id);
    if (!op) throw new OperationNotFound(id);
    return { operation: op, progress: await this.progress(op) };
  }
}
