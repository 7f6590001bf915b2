/** bmnet's resources as the domain sees them (readonly; Neutron wire names live only in api/wire.ts). */
import type { IpVersion } from './ip.ts';

export interface Standard {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revisionNumber: number;
  readonly tags: readonly string[];
}

export type NetworkType = 'vlan' | 'flat';

export interface Segment {
  readonly id: string;
  readonly networkId: string;
  readonly name: string;
  readonly description: string;
  readonly networkType: NetworkType;
  readonly physicalNetwork: string;
  /** VLAN id; null for flat. */
  readonly segmentationId: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revisionNumber: number;
}

export interface Network extends Standard {
  readonly adminStateUp: boolean;
  readonly shared: boolean;
  readonly external: boolean;
  readonly mtu: number;
  readonly status: 'ACTIVE' | 'DOWN' | 'BUILD' | 'ERROR';
  readonly portSecurityEnabled: boolean;
}

export interface AllocationPool {
  readonly start: string;
  readonly end: string;
}

export interface HostRoute {
  readonly destination: string;
  readonly nexthop: string;
}

export interface Subnet extends Standard {
  readonly networkId: string;
  readonly segmentId: string | null;
  readonly ipVersion: IpVersion;
  readonly cidr: string;
  readonly gatewayIp: string | null;
  readonly allocationPools: readonly AllocationPool[];
  readonly dnsNameservers: readonly string[];
  readonly hostRoutes: readonly HostRoute[];
  readonly enableDhcp: boolean;
  readonly ipv6AddressMode: string | null;
  readonly ipv6RaMode: string | null;
}

export interface FixedIp {
  readonly subnetId: string;
  readonly ipAddress: string;
}

export interface ExtraDhcpOpt {
  readonly optName: string;
  readonly optValue: string;
  readonly ipVersion: IpVersion;
}

export type VnicType =
  | 'normal'
  | 'direct'
  | 'macvtap'
  | 'baremetal'
  | 'direct-physical'
  | 'virtio-forwarder'
  | 'smart-nic'
  | 'vdpa'
  | 'accelerator-direct'
  | 'accelerator-direct-physical'
  | 'remote-managed';

export const VNIC_TYPES: readonly VnicType[] = [
  'normal',
  'direct',
  'macvtap',
  'baremetal',
  'direct-physical',
  'virtio-forwarder',
  'smart-nic',
  'vdpa',
  'accelerator-direct',
  'accelerator-direct-physical',
  'remote-managed',
];

export type PortStatus = 'ACTIVE' | 'DOWN' | 'BUILD' | 'ERROR';

/** `binding:vif_type` values bmnet produces. */
export type VifType = 'unbound' | 'binding_failed' | 'other';

export interface Port extends Standard {
  readonly networkId: string;
  readonly macAddress: string;
  readonly adminStateUp: boolean;
  readonly status: PortStatus;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly fixedIps: readonly FixedIp[];
  readonly securityGroups: readonly string[];
  readonly hostId: string;
  readonly vnicType: VnicType;
  /** `binding:profile` as the client sent it (validated for baremetal ports). */
  readonly profile: Readonly<Record<string, unknown>>;
  readonly vifType: VifType;
  readonly vifDetails: Readonly<Record<string, unknown>>;
  readonly extraDhcpOpts: readonly ExtraDhcpOpt[];
}

/** Who is asking: from the token or the noauth headers. */
export interface Caller {
  readonly projectId: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  readonly isService: boolean;
}

/** Neutron's device_owner of the port that holds a network's DHCP address. */
export const DHCP_DEVICE_OWNER = 'network:dhcp';
