/** Row ⇄ domain mapping: the only place that knows column spellings and JSON-in-text columns. */
import type { IpVersion } from '../domain/ip.ts';
import type { Network, Port, PortStatus, Segment, Subnet, VifType, VnicType } from '../domain/model.ts';
import type { NetworksTable, PortsTable, SegmentsTable, SubnetsTable } from './schema.ts';

function json<T>(s: string): T {
  return JSON.parse(s) as T;
}

export interface NetworkWithSegment {
  readonly network: Network;
  readonly segment: Segment;
}

export function networkFromRow(r: NetworksTable): Network {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    adminStateUp: r.admin_state_up === 1,
    shared: r.shared === 1,
    external: r.external === 1,
    mtu: r.mtu,
    status: r.status as Network['status'],
    portSecurityEnabled: r.port_security_enabled === 1,
    tags: json(r.tags),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revisionNumber: r.revision_number,
  };
}

export function networkToRow(n: Network, s: Segment): NetworksTable {
  return {
    id: n.id,
    project_id: n.projectId,
    name: n.name,
    description: n.description,
    admin_state_up: n.adminStateUp ? 1 : 0,
    shared: n.shared ? 1 : 0,
    external: n.external ? 1 : 0,
    mtu: n.mtu,
    status: n.status,
    port_security_enabled: n.portSecurityEnabled ? 1 : 0,
    network_type: s.networkType,
    physical_network: s.physicalNetwork,
    segmentation_id: s.segmentationId,
    tags: JSON.stringify(n.tags),
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    revision_number: n.revisionNumber,
  };
}

export function segmentFromRow(r: SegmentsTable): Segment {
  return {
    id: r.id,
    networkId: r.network_id,
    name: r.name,
    description: r.description,
    networkType: r.network_type as Segment['networkType'],
    physicalNetwork: r.physical_network,
    segmentationId: r.segmentation_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revisionNumber: r.revision_number,
  };
}

export function segmentToRow(s: Segment): SegmentsTable {
  return {
    id: s.id,
    network_id: s.networkId,
    name: s.name,
    description: s.description,
    network_type: s.networkType,
    physical_network: s.physicalNetwork,
    segmentation_id: s.segmentationId,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    revision_number: s.revisionNumber,
  };
}

export function subnetFromRow(r: SubnetsTable): Subnet {
  return {
    id: r.id,
    networkId: r.network_id,
    segmentId: r.segment_id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    ipVersion: r.ip_version as IpVersion,
    cidr: r.cidr,
    gatewayIp: r.gateway_ip,
    allocationPools: json(r.allocation_pools),
    dnsNameservers: json(r.dns_nameservers),
    hostRoutes: json(r.host_routes),
    enableDhcp: r.enable_dhcp === 1,
    ipv6AddressMode: r.ipv6_address_mode,
    ipv6RaMode: r.ipv6_ra_mode,
    tags: json(r.tags),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revisionNumber: r.revision_number,
  };
}

export function subnetToRow(s: Subnet): SubnetsTable {
  return {
    id: s.id,
    network_id: s.networkId,
    segment_id: s.segmentId,
    project_id: s.projectId,
    name: s.name,
    description: s.description,
    ip_version: s.ipVersion,
    cidr: s.cidr,
    gateway_ip: s.gatewayIp,
    allocation_pools: JSON.stringify(s.allocationPools),
    dns_nameservers: JSON.stringify(s.dnsNameservers),
    host_routes: JSON.stringify(s.hostRoutes),
    enable_dhcp: s.enableDhcp ? 1 : 0,
    ipv6_address_mode: s.ipv6AddressMode,
    ipv6_ra_mode: s.ipv6RaMode,
    tags: JSON.stringify(s.tags),
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    revision_number: s.revisionNumber,
  };
}

export function portFromRow(r: PortsTable): Port {
  return {
    id: r.id,
    networkId: r.network_id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    macAddress: r.mac_address,
    adminStateUp: r.admin_state_up === 1,
    status: r.status as PortStatus,
    deviceId: r.device_id,
    deviceOwner: r.device_owner,
    fixedIps: json(r.fixed_ips),
    securityGroups: json(r.security_groups),
    hostId: r.host_id,
    vnicType: r.vnic_type as VnicType,
    profile: json(r.profile),
    vifType: r.vif_type as VifType,
    vifDetails: json(r.vif_details),
    extraDhcpOpts: json(r.extra_dhcp_opts),
    tags: json(r.tags),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revisionNumber: r.revision_number,
  };
}

export function portToRow(p: Port): PortsTable {
  return {
    id: p.id,
    network_id: p.networkId,
    project_id: p.projectId,
    name: p.name,
    description: p.description,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp ? 1 : 0,
    status: p.status,
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    fixed_ips: JSON.stringify(p.fixedIps),
    security_groups: JSON.stringify(p.securityGroups),
    host_id: p.hostId,
    vnic_type: p.vnicType,
    profile: JSON.stringify(p.profile),
    vif_type: p.vifType,
    vif_details: JSON.stringify(p.vifDetails),
    extra_dhcp_opts: JSON.stringify(p.extraDhcpOpts),
    tags: JSON.stringify(p.tags),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    revision_number: p.revisionNumber,
  };
}
