/**
 * bmnet's own node model (for fleets without Ironic) and its network life cycle, pure: which Neutron
 * ports a node must have for a stage, and which of its ports must go first (docs/architecture.md §1, §3 invariant 2).
 */
import type { ExtraDhcpOpt, Port } from './model.ts';

export type NetworkStage = 'cleaning' | 'provisioning' | 'inspection' | 'rescue' | 'tenant' | 'isolated';
export const NETWORK_STAGES: readonly NetworkStage[] = [
  'cleaning',
  'provisioning',
  'inspection',
  'rescue',
  'tenant',
  'isolated',
];
/** Stages where PXE-enabled NICs sit on one service network and boot from it. */
export type ServiceStage = Exclude<NetworkStage, 'tenant' | 'isolated'>;
export function isServiceStage(s: NetworkStage): s is ServiceStage {
  return s !== 'tenant' && s !== 'isolated';
}

export interface LinkInfo {
  readonly switchId?: string;
  readonly portId: string;
  readonly switchInfo?: string;
}

export interface Nic {
  readonly mac: string;
  readonly localLinkInformation: readonly LinkInfo[];
  readonly physicalNetwork: string | null;
  readonly isPxeEnabled: boolean;
}

export interface PortGroup {
  readonly name: string;
  /** Linux bonding mode as Ironic spells it (`802.3ad`, `active-backup`, …). */
  readonly mode: string;
  readonly properties: Readonly<Record<string, string | number>>;
  /** MACs of the member NICs. */
  readonly members: readonly string[];
}

export type BootMode = 'bios' | 'uefi';

export interface BootConfig {
  readonly mode: BootMode;
  /** File a PXE ROM (not yet iPXE) loads: e.g. `undionly.kpxe` (BIOS), `snponly.efi` (UEFI). */
  readonly pxeFile: string;
  /** What iPXE then loads: a script URL (`http://…/boot.ipxe`) or a TFTP file name. */
  readonly ipxeScript: string;
  /** TFTP server address for option 66/150 and siaddr; null leaves them to the DHCP server's defaults. */
  readonly tftpServer: string | null;
}

export interface Node {
  readonly id: string;
  readonly name: string;
  readonly nics: readonly Nic[];
  readonly portGroups: readonly PortGroup[];
  readonly boot: BootConfig;
  /** The stage the node's network was last confirmed in. */
  readonly stage: NetworkStage;
  /** The stage being moved to, while an operation runs. */
  readonly targetStage: NetworkStage | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revisionNumber: number;
}

/** A tenant network to attach, on one NIC (by MAC) or one port group (by name). */
export interface TenantAttachment {
  readonly networkId: string;
  readonly nic?: string;
  readonly portGroup?: string;
}

export const SERVICE_OWNER = 'baremetal:none';
export const TENANT_OWNER = 'baremetal:tenant';

/** Ironic's PXE/iPXE option set: firmware gets the PXE file, iPXE gets the script. */
export function pxeDhcpOptions(boot: BootConfig): ExtraDhcpOpt[] {
  const opts: ExtraDhcpOpt[] = [
    { optName: 'tag:!ipxe,67', optValue: boot.pxeFile, ipVersion: 4 },
    { optName: 'tag:ipxe,67', optValue: boot.ipxeScript, ipVersion: 4 },
  ];
  if (boot.tftpServer !== null) {
    for (const name of ['66', '150', '255']) opts.push({ optName: name, optValue: boot.tftpServer, ipVersion: 4 });
  }
  return opts;
}

function profileOf(links: readonly LinkInfo[], physnet: string | null): Record<string, unknown> {
  return {
    local_link_information: links.map((l) => ({
      ...(l.switchId ? { switch_id: l.switchId } : {}),
      port_id: l.portId,
      ...(l.switchInfo ? { switch_info: l.switchInfo } : {}),
    })),
    ...(physnet ? { physical_network: physnet } : {}),
  };
}

/** The port a node needs on a network: what to create, or what an existing port must become. */
export interface WantedPort {
  readonly networkId: string;
  readonly mac: string;
  readonly deviceOwner: string;
  readonly profile: Record<string, unknown>;
  readonly extraDhcpOpts: readonly ExtraDhcpOpt[];
}

export interface TransitionPlan {
  /** Service ports of other networks: deleted first. */
  readonly deletes: readonly string[];
  /** Tenant ports kept for later but unbound now. */
  readonly unbinds: readonly string[];
  /** Ports to create or (when `existing` is set) to re-bind. */
  readonly wanted: readonly { readonly want: WantedPort; readonly existing: Port | null }[];
}

/**
 * What moving `node` to `stage` does to its ports (those with `device_id` = node id). `serviceNetworkId`
 * is the network of a service stage; `tenant` the attachments of the tenant stage.
 */
export function planNodeTransition(
  node: Node,
  stage: NetworkStage,
  ports: readonly Port[],
  serviceNetworkId: string | null,
  tenant: readonly TenantAttachment[],
): TransitionPlan {
  const service = ports.filter((p) => p.deviceOwner === SERVICE_OWNER);
  const tenantPorts = ports.filter((p) => p.deviceOwner === TENANT_OWNER);
  const wanted: { want: WantedPort; existing: Port | null }[] = [];
  if (isServiceStage(stage) && serviceNetworkId !== null) {
    for (const nic of node.nics.filter((n) => n.isPxeEnabled && n.localLinkInformation.length > 0)) {
      const want: WantedPort = {
        networkId: serviceNetworkId,
        mac: nic.mac,
        deviceOwner: SERVICE_OWNER,
        profile: profileOf(nic.localLinkInformation, nic.physicalNetwork),
        extraDhcpOpts: stage === 'inspection' ? [] : pxeDhcpOptions(node.boot),
      };
      wanted.push({
        want,
        existing: service.find((p) => p.networkId === serviceNetworkId && p.macAddress === nic.mac) ?? null,
      });
    }
  }
  if (stage === 'tenant') {
    for (const a of tenant) {
      const group = a.portGroup === undefined ? undefined : node.portGroups.find((g) => g.name === a.portGroup);
      const nics = group
        ? node.nics.filter((n) => group.members.includes(n.mac))
        : node.nics.filter((n) => n.mac === a.nic);
      const first = nics[0];
      if (!first) continue;
      const profile = profileOf(
        nics.flatMap((n) => n.localLinkInformation),
        first.physicalNetwork,
      );
      if (group) {
        profile.local_group_information = {
          id: `${node.id}/${group.name}`,
          name: group.name,
          bond_mode: group.mode,
          bond_properties: Object.fromEntries(
            Object.entries(group.properties).map(([k, v]) => [k.startsWith('bond_') ? k : `bond_${k}`, v]),
          ),
        };
      }
      const want: WantedPort = {
        networkId: a.networkId,
        mac: first.mac,
        deviceOwner: TENANT_OWNER,
        profile,
        extraDhcpOpts: [],
      };
      wanted.push({
        want,
        existing: tenantPorts.find((p) => p.networkId === a.networkId && p.macAddress === first.mac) ?? null,
      });
    }
  }
  const keep = new Set(wanted.flatMap((w) => (w.existing ? [w.existing.id] : [])));
  return {
    deletes: service.filter((p) => !keep.has(p.id)).map((p) => p.id),
    unbinds: tenantPorts.filter((p) => !keep.has(p.id) && p.hostId !== '').map((p) => p.id),
    wanted,
  };
}
