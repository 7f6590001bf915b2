/** Table types for Kysely (snake_case columns; JSON kept as text so SQLite and PostgreSQL share one schema). */
import type { Generated } from 'kysely';

export interface NetworksTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: number;
  shared: number;
  external: number;
  mtu: number;
  status: string;
  port_security_enabled: number;
  /** Denormalised from the network's single segment, for filtering and display. */
  network_type: string;
  physical_network: string;
  segmentation_id: number | null;
  tags: string;
  created_at: string;
  updated_at: string;
  revision_number: number;
}

export interface SegmentsTable {
  id: string;
  network_id: string;
  name: string;
  description: string;
  network_type: string;
  physical_network: string;
  segmentation_id: number | null;
  created_at: string;
  updated_at: string;
  revision_number: number;
}

export interface SubnetsTable {
  id: string;
  network_id: string;
  segment_id: string | null;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  allocation_pools: string;
  dns_nameservers: string;
  host_routes: string;
  enable_dhcp: number;
  ipv6_address_mode: string | null;
  ipv6_ra_mode: string | null;
  tags: string;
  created_at: string;
  updated_at: string;
  revision_number: number;
}

export interface PortsTable {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  description: string;
  mac_address: string;
  admin_state_up: number;
  status: string;
  device_id: string;
  device_owner: string;
  /** Denormalised copy of the port's rows in ip_allocations (the table holds the uniqueness). */
  fixed_ips: string;
  security_groups: string;
  host_id: string;
  vnic_type: string;
  profile: string;
  vif_type: string;
  vif_details: string;
  extra_dhcp_opts: string;
  tags: string;
  created_at: string;
  updated_at: string;
  revision_number: number;
}

export interface IpAllocationsTable {
  subnet_id: string;
  ip_address: string;
  /** Fixed-width hex of the address: text order is numeric order. */
  ip_sort: string;
  port_id: string;
  network_id: string;
}

export interface OutboxTable {
  id: Generated<number>;
  kind: string;
  resource_id: string;
  payload: string;
  created_at: string;
}

export interface SwitchPortsTable {
  switch_name: string;
  port: string;
  /** JSON of the DesiredPort. */
  desired: string;
  /** JSON of the ObservedPort last read back (or null when never read). */
  observed: string;
  in_sync: number;
  updated_at: string;
}

export interface SwitchLagsTable {
  switch_name: string;
  group_key: string;
  lag_name: string;
}

/** Dynamic-pool leases and DECLINE quarantines (DHCP), one row per network and address. */
export interface DhcpLeasesTable {
  network_id: string;
  ip_address: string;
  mac_address: string;
  subnet_id: string;
  /** offered | bound | declined */
  state: string;
  expires_at_ms: number;
}

/** Boot-trace events (DHCP exchanges), bounded per MAC and in total. */
export interface BootTraceTable {
  id: Generated<number>;
  at_ms: number;
  network_id: string;
  mac_address: string;
  xid: number;
  message_type: string;
  arch: number | null;
  user_class: string | null;
  vendor_class: string | null;
  answer: string;
  drop_reason: string | null;
  ip_address: string | null;
  bootfile: string | null;
  relay: string | null;
  relay_agent_info: string | null;
  detail: string | null;
}

export interface NodesTable {
  id: string;
  name: string;
  /** JSON: NICs, port groups, boot settings. */
  body: string;
  stage: string;
  target_stage: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  revision_number: number;
}

export interface NodeOperationsTable {
  id: string;
  node_id: string;
  target_stage: string;
  /** running | succeeded | failed */
  state: string;
  /** JSON list of the Neutron port ids the operation waits for. */
  port_ids: string;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  nodes: NodesTable;
  node_operations: NodeOperationsTable;
  dhcp_leases: DhcpLeasesTable;
  boot_trace: BootTraceTable;
  switch_ports: SwitchPortsTable;
  switch_lags: SwitchLagsTable;
  networks: NetworksTable;
  segments: SegmentsTable;
  subnets: SubnetsTable;
  ports: PortsTable;
  ip_allocations: IpAllocationsTable;
  outbox: OutboxTable;
}
