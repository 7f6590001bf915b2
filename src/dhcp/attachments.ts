/**
 * The dhcp role's attachments (docs/architecture.md §8, `dhcp.mode: attach`): for every network with a DHCP-enabled
 * IPv4 subnet on a physnet whose bridge is configured, a Neutron port `network:dhcp` holds the address,
 * an OVS internal port on the bridge carries the network's VLAN, its device sits in the namespace
 * `bmnet-dhcp-<network id prefix>` with that address, and a DHCP server answers from a socket opened
 * there. Networks appearing, changing (VLAN, address) and going away are followed from the change feed.
 */
import type { OvsdbBridge, PhysnetConfig } from '../config/schema.ts';
import { DhcpAttachmentFailed } from '../domain/errors.ts';
import { DHCP_DEVICE_OWNER, type Port, type Subnet } from '../domain/model.ts';
import type { Logger } from '../logging.ts';
import type { NetworkWithSegment, Store } from '../store/store.ts';
import type { OvsdbClient } from '../switch/ovsdb/client.ts';
import { deleteNamespace, setUpNamespace } from './attachment-netns.ts';
import { parseIpv4Cidr } from './codec/ipv4.ts';
import { openNamespaceSocket } from './netns-socket.ts';
import { addInternalPort, internalPortNames, removeInternalPort, retagInternalPort } from './ovs-internal-port.ts';
import { type DhcpMetrics, type DhcpServer, type DhcpState, startDhcpServer } from './server.ts';

/** Neutron's device_owner of the port holding a network's DHCP address. */
const DEVICE_PREFIX = 'bmdhcp-';
const NAMESPACE_PREFIX = 'bmnet-dhcp-';

/** What a network needs from this role. */
export interface DesiredAttachment {
  readonly networkId: string;
  readonly bridge: OvsdbBridge;
  /** The access VLAN of the internal port: the segment's VLAN, a flat network's `flat_vlan`, else untagged. */
  readonly vlan: number | null;
  /** The subnet the DHCP port's address comes from (the oldest DHCP-enabled IPv4 subnet). */
  readonly subnet: Subnet;
  readonly mtu: number;
}

export interface AttachmentPlan {
  readonly attach: ReadonlyMap<string, DesiredAttachment>;
  /** Networks this role does not serve: no DHCP-enabled IPv4 subnet, or no bridge on their physnet. */
  readonly notServed: ReadonlySet<string>;
}

/** Which networks get an attachment. Pure. */
export function planAttachments(
  networks: readonly NetworkWithSegment[],
  subnets: readonly Subnet[],
  physnets: ReadonlyMap<string, PhysnetConfig>,
): AttachmentPlan {
  const attach = new Map<string, DesiredAttachment>();
  const notServed = new Set<string>();
  for (const { network, segment } of networks) {
    const served = subnets
      .filter((s) => s.networkId === network.id && s.enableDhcp && s.ipVersion === 4)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const physnet = physnets.get(segment.physicalNetwork);
    const [subnet] = served;
    if (!subnet || !physnet?.bridge) {
      notServed.add(network.id);
      continue;
    }
    const vlan = segment.networkType === 'vlan' ? segment.segmentationId : physnet.flatVlan;
    attach.set(network.id, { networkId: network.id, bridge: physnet.bridge, vlan, subnet, mtu: network.mtu });
  }
  return { attach, notServed };
}

/** Namespace and device names of a network's attachment (the device name fits Linux's 15 characters). */
export function attachmentNames(networkId: string): { namespace: string; device: string } {
  const short = networkId.replace(/-/g, '').slice(0, 8);
  return { namespace: `${NAMESPACE_PREFIX}${short}`, device: `${DEVICE_PREFIX}${short}` };
}

export interface AttachmentsOptions {
  readonly store: Store;
  readonly physnets: ReadonlyMap<string, PhysnetConfig>;
  /** The OVSDB client of a bridge's switch (one per remote, owned by the caller). */
  readonly ovsdb: (bridge: OvsdbBridge) => OvsdbClient;
  /** The network's DHCP port with an address in `subnetId`, created or completed through the Neutron port logic. */
  readonly ensureDhcpPort: (networkId: string, subnetId: string) => Promise<Port>;
  readonly state: DhcpState;
  readonly metrics: DhcpMetrics;
  readonly log: Logger;
  /** Called after a pass that changed the attachments (added, removed, re-tagged) or a network's need. */
  readonly onServing: () => void;
  /** A failed attachment is tried again after this long (default 2000). */
  readonly retryMs?: number;
  /** Attachments set up at once (each starts a short-lived helper process; default 4). */
  readonly concurrency?: number;
}

export interface AttachmentStatus {
  readonly networkId: string;
  readonly namespace: string;
  readonly device: string;
  readonly bridge: string;
  readonly vlan: number | null;
  readonly address: string;
  readonly portId: string;
}

interface Attachment extends AttachmentStatus {
  readonly desired: DesiredAttachment;
  readonly server: DhcpServer;
}

export class DhcpAttachments {
  private readonly attachments = new Map<string, Attachment>();
  /** networkId → whether this role attaches it; absent: not looked at yet. */
  private needs = new Map<string, 'attach' | 'not-served'>();
  private unsubscribe: (() => void) | null = null;
  private lastEventId = 0;
  private running: Promise<void> = Promise.resolve();
  private isDirty = false;
  private isScheduled = false;
  private isStopped = false;
  private retryTimer: NodeJS.Timeout | null = null;

  private readonly o: AttachmentsOptions;

  constructor(o: AttachmentsOptions) {
    this.o = o;
  }

  /** Removes attachments left by an earlier run, attaches every network, then follows the change feed. */
  async start(): Promise<void> {
    this.lastEventId = await this.o.store.lastEventId();
    this.unsubscribe = this.o.store.onCommit(() => this.onCommit());
    await this.removeStale();
    this.schedule();
    await this.running;
  }

  /** Whether the reconciler may call a port of this network served (docs/architecture.md §8, the reconciler's hook). */
  isServing(port: Port): boolean {
    const need = this.needs.get(port.networkId);
    if (need === 'not-served') return true;
    return need === 'attach' && this.attachments.has(port.networkId);
  }

  status(): AttachmentStatus[] {
    return [...this.attachments.values()].map(({ desired: _d, server: _s, ...status }) => status);
  }

  /** Resolves when no pass is running or waiting (tests). */
  async settled(): Promise<void> {
    for (;;) {
      const current = this.running;
      await current;
      if (current === this.running && !this.isScheduled) return;
    }
  }

  /** Stops every server and removes the OVS ports and namespaces (the DHCP ports stay, as in Neutron). */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.unsubscribe?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.running;
    for (const a of [...this.attachments.values()]) await this.teardown(a);
  }

  // --- change feed ---

  private onCommit(): void {
    const reading = this.running.then(async () => {
      const dhcpPorts = new Set([...this.attachments.values()].map((a) => a.portId));
      for (;;) {
        const events = await this.o.store.eventsAfter(this.lastEventId);
        if (events.length === 0) return;
        for (const e of events) {
          this.lastEventId = e.id;
          const isRelevant =
            e.kind.startsWith('network.') ||
            e.kind.startsWith('subnet.') ||
            ((e.kind === 'port.deleted' || e.kind === 'port.updated') && dhcpPorts.has(e.resourceId));
          if (isRelevant) this.schedule();
        }
      }
    });
    this.running = reading.catch((err: unknown) => {
      this.o.log.warn({ err }, 'dhcp attachments could not read the change feed; looking at every network');
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.isStopped) return;
    this.isDirty = true;
    if (this.isScheduled) return;
    this.isScheduled = true;
    this.running = this.running.then(async () => {
      this.isScheduled = false;
      while (this.isDirty && !this.isStopped) {
        this.isDirty = false;
        try {
          await this.pass();
        } catch (err) {
          this.o.log.warn({ err }, 'dhcp attachments: pass failed; will retry');
          this.retryLater();
        }
      }
    });
  }

  private retryLater(): void {
    if (this.retryTimer || this.isStopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.schedule();
    }, this.o.retryMs ?? 2000);
    this.retryTimer.unref();
  }

  // --- one pass: desired attachments from the rows, then make it so ---

  private async pass(): Promise<void> {
    const { store } = this.o;
    const networks = await store.listNetworks([], null);
    const subnets = await store.listSubnets([{ column: 'enable_dhcp', values: [1] }], null);
    const plan = planAttachments(networks, subnets, this.o.physnets);
    const dhcpPorts = new Map(
      (await store.listPorts([{ column: 'device_owner', values: [DHCP_DEVICE_OWNER] }], null)).map((p) => [p.id, p]),
    );
    const needs = new Map<string, 'attach' | 'not-served'>();
    for (const id of plan.notServed) needs.set(id, 'not-served');
    for (const id of plan.attach.keys()) needs.set(id, 'attach');
    let isChanged = needs.size !== this.needs.size || [...needs].some(([id, n]) => this.needs.get(id) !== n);
    this.needs = needs;

    for (const a of [...this.attachments.values()]) {
      const d = plan.attach.get(a.networkId);
      const port = dhcpPorts.get(a.portId);
      const isSame =
        d !== undefined &&
        d.bridge.name === a.bridge &&
        d.bridge.ovsdb === a.desired.bridge.ovsdb &&
        d.subnet.id === a.desired.subnet.id &&
        d.mtu === a.desired.mtu &&
        port?.fixedIps.some((f) => f.subnetId === d.subnet.id && a.address.startsWith(`${f.ipAddress}/`)) === true;
      if (!isSame) await this.teardown(a);
      else if (d.vlan !== a.vlan) await this.retag(a, d);
      if (!isSame || d.vlan !== a.vlan) isChanged = true;
    }

    const todo = [...plan.attach.values()].filter((d) => !this.attachments.has(d.networkId));
    let failed = false;
    const worker = async () => {
      for (let d = todo.shift(); d !== undefined && !this.isStopped; d = todo.shift()) {
        try {
          this.attachments.set(d.networkId, await this.setUp(d));
          isChanged = true;
        } catch (err) {
          failed = true;
          this.o.log.warn({ networkId: d.networkId, err }, 'dhcp attachment failed; will retry');
        }
      }
    };
    await Promise.all(Array.from({ length: this.o.concurrency ?? 4 }, worker));
    if (failed) this.retryLater();
    if (isChanged) this.o.onServing();
  }

  private async setUp(d: DesiredAttachment): Promise<Attachment> {
    const { namespace, device } = attachmentNames(d.networkId);
    const fail = (step: string, err: unknown): never => {
      throw new DhcpAttachmentFailed(d.networkId, step, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    };
    const port = await this.o.ensureDhcpPort(d.networkId, d.subnet.id).catch((err) => fail('get its DHCP port', err));
    const ip = port.fixedIps.find((f) => f.subnetId === d.subnet.id)?.ipAddress;
    const cidr = parseIpv4Cidr(d.subnet.cidr);
    if (ip === undefined || cidr === null) return fail('get its DHCP port', `no address in subnet ${d.subnet.id}`);
    const address = `${ip}/${cidr.prefix}`;
    const client = this.o.ovsdb(d.bridge);
    try {
      // a leftover of a crashed run holds the same names: start from nothing
      await removeInternalPort(client, d.bridge.name, device);
      await deleteNamespace(namespace);
      await addInternalPort(client, d.bridge.name, device, d.vlan).catch((err) => fail('add its OVS port', err));
      await setUpNamespace({
        namespace,
        device,
        fromNetns: d.bridge.netns,
        mac: port.macAddress,
        address,
        mtu: d.mtu,
      }).catch((err) => fail('set up its namespace', err));
      const socket = await openNamespaceSocket(namespace).catch((err) => fail('open its socket', err));
      const server = startDhcpServer({
        socket,
        listener: { kind: 'attached', networkId: d.networkId },
        pathMtu: d.mtu,
        state: this.o.state,
        metrics: this.o.metrics,
        log: this.o.log,
      });
      this.o.log.info({ networkId: d.networkId, namespace, vlan: d.vlan, address }, 'dhcp attachment serving');
      return {
        networkId: d.networkId,
        namespace,
        device,
        bridge: d.bridge.name,
        vlan: d.vlan,
        address,
        portId: port.id,
        desired: d,
        server,
      };
    } catch (err) {
      await this.removeParts(client, d.bridge.name, namespace, device);
      throw err;
    }
  }

  private async retag(a: Attachment, d: DesiredAttachment): Promise<void> {
    try {
      await retagInternalPort(this.o.ovsdb(d.bridge), a.device, d.vlan);
      this.attachments.set(a.networkId, { ...a, vlan: d.vlan, desired: d });
      this.o.log.info({ networkId: a.networkId, vlan: d.vlan }, 'dhcp attachment moved to another VLAN');
    } catch (err) {
      this.o.log.warn({ networkId: a.networkId, err }, 'dhcp attachment VLAN not changed; will retry');
      this.retryLater();
    }
  }

  private async teardown(a: Attachment): Promise<void> {
    await a.server.close();
    await this.removeParts(this.o.ovsdb(a.desired.bridge), a.bridge, a.namespace, a.device);
    this.attachments.delete(a.networkId);
    this.o.log.info({ networkId: a.networkId, namespace: a.namespace }, 'dhcp attachment removed');
  }

  /** Best effort: what cannot be removed now is removed as stale on the next start. */
  private async removeParts(client: OvsdbClient, bridge: string, namespace: string, device: string): Promise<void> {
    try {
      await removeInternalPort(client, bridge, device);
    } catch (err) {
      this.o.log.warn({ bridge, device, err }, 'dhcp attachment OVS port not removed');
    }
    try {
      await deleteNamespace(namespace);
    } catch (err) {
      this.o.log.warn({ namespace, err }, 'dhcp attachment namespace not removed');
    }
  }

  /**
   * Attachment ports an earlier run left on our bridges, with their namespaces: every one goes (the
   * first pass sets up what is still needed from nothing; a half-built leftover is never reused).
   */
  private async removeStale(): Promise<void> {
    const bridges = new Map<string, OvsdbBridge>();
    for (const p of this.o.physnets.values()) if (p.bridge) bridges.set(`${p.bridge.ovsdb}|${p.bridge.name}`, p.bridge);
    for (const bridge of bridges.values()) {
      const client = this.o.ovsdb(bridge);
      let names: string[];
      try {
        names = await internalPortNames(client, bridge.name, DEVICE_PREFIX);
      } catch (err) {
        this.o.log.warn({ bridge: bridge.name, err }, 'dhcp attachments: bridge not readable; stale ports stay');
        continue;
      }
      for (const device of names) {
        await this.removeParts(client, bridge.name, `${NAMESPACE_PREFIX}${device.slice(DEVICE_PREFIX.length)}`, device);
      }
    }
  }
}
