/** Versioned schema migrations, portable to SQLite and PostgreSQL (the id column type is the only difference). */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-neutron-core': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('networks')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('description', 'varchar(255)', (c) => c.notNull())
          .addColumn('admin_state_up', 'integer', (c) => c.notNull())
          .addColumn('shared', 'integer', (c) => c.notNull())
          .addColumn('external', 'integer', (c) => c.notNull())
          .addColumn('mtu', 'integer', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('port_security_enabled', 'integer', (c) => c.notNull())
          .addColumn('network_type', 'varchar(16)', (c) => c.notNull())
          .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
          .addColumn('segmentation_id', 'integer')
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('revision_number', 'integer', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('networks_name').on('networks').column('name').execute();
        await db.schema.createIndex('networks_project').on('networks').column('project_id').execute();

        await db.schema
          .createTable('segments')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('description', 'varchar(255)', (c) => c.notNull())
          .addColumn('network_type', 'varchar(16)', (c) => c.notNull())
          .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
          .addColumn('segmentation_id', 'integer')
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('revision_number', 'integer', (c) => c.notNull())
          .execute();
        // invariant: a VLAN id is unique per physnet (NULL segmentation ids, i.e. flat, do not collide)
        await db.schema
          .createIndex('segments_physnet_vlan')
          .on('segments')
          .columns(['physical_network', 'segmentation_id'])
          .unique()
          .execute();
        await db.schema.createIndex('segments_network').on('segments').column('network_id').execute();

        await db.schema
          .createTable('subnets')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
          .addColumn('segment_id', 'varchar(36)')
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('description', 'varchar(255)', (c) => c.notNull())
          .addColumn('ip_version', 'integer', (c) => c.notNull())
          .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
          .addColumn('gateway_ip', 'varchar(64)')
          .addColumn('allocation_pools', 'text', (c) => c.notNull())
          .addColumn('dns_nameservers', 'text', (c) => c.notNull())
          .addColumn('host_routes', 'text', (c) => c.notNull())
          .addColumn('enable_dhcp', 'integer', (c) => c.notNull())
          .addColumn('ipv6_address_mode', 'varchar(32)')
          .addColumn('ipv6_ra_mode', 'varchar(32)')
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('revision_number', 'integer', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('subnets_network').on('subnets').column('network_id').execute();

        await db.schema
          .createTable('ports')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
          .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('description', 'varchar(255)', (c) => c.notNull())
          .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
          .addColumn('admin_state_up', 'integer', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('device_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('device_owner', 'varchar(255)', (c) => c.notNull())
          .addColumn('fixed_ips', 'text', (c) => c.notNull())
          .addColumn('security_groups', 'text', (c) => c.notNull())
          .addColumn('host_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('vnic_type', 'varchar(64)', (c) => c.notNull())
          .addColumn('profile', 'text', (c) => c.notNull())
          .addColumn('vif_type', 'varchar(64)', (c) => c.notNull())
          .addColumn('vif_details', 'text', (c) => c.notNull())
          .addColumn('extra_dhcp_opts', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('revision_number', 'integer', (c) => c.notNull())
          .execute();
        // invariant: a MAC is unique per network (Neutron's MacAddressInUse)
        await db.schema
          .createIndex('ports_network_mac')
          .on('ports')
          .columns(['network_id', 'mac_address'])
          .unique()
          .execute();
        await db.schema.createIndex('ports_mac').on('ports').column('mac_address').execute();
        await db.schema.createIndex('ports_device').on('ports').column('device_id').execute();
        await db.schema.createIndex('ports_host').on('ports').column('host_id').execute();
        await db.schema.createIndex('ports_project').on('ports').column('project_id').execute();

        await db.schema
          .createTable('ip_allocations')
          .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id'))
          .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
          .addColumn('ip_sort', 'varchar(32)', (c) => c.notNull())
          .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
          .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
          .addPrimaryKeyConstraint('ip_allocations_pk', ['subnet_id', 'ip_address'])
          .execute();
        await db.schema
          .createIndex('ip_allocations_sort')
          .on('ip_allocations')
          .columns(['subnet_id', 'ip_sort'])
          .execute();
        await db.schema.createIndex('ip_allocations_port').on('ip_allocations').column('port_id').execute();
        await db.schema.createIndex('ip_allocations_ip').on('ip_allocations').column('ip_address').execute();

        await db.schema
          .createTable('outbox')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('kind', 'varchar(64)', (c) => c.notNull())
          .addColumn('resource_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .execute();
      },
    },
    '0002-switch-state': {
      async up(db: Kysely<unknown>) {
        // desired and observed state of every switch port / LAG bmnet manages (docs/architecture.md §2 "switch-port state")
        await db.schema
          .createTable('switch_ports')
          .addColumn('switch_name', 'varchar(64)', (c) => c.notNull())
          .addColumn('port', 'varchar(64)', (c) => c.notNull())
          .addColumn('desired', 'text', (c) => c.notNull())
          .addColumn('observed', 'text', (c) => c.notNull())
          .addColumn('in_sync', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .addPrimaryKeyConstraint('switch_ports_pk', ['switch_name', 'port'])
          .execute();
        // stable LAG names per port group
        await db.schema
          .createTable('switch_lags')
          .addColumn('switch_name', 'varchar(64)', (c) => c.notNull())
          .addColumn('group_key', 'varchar(255)', (c) => c.notNull())
          .addColumn('lag_name', 'varchar(64)', (c) => c.notNull())
          .addPrimaryKeyConstraint('switch_lags_pk', ['switch_name', 'group_key'])
          .execute();
        await db.schema
          .createIndex('switch_lags_name')
          .on('switch_lags')
          .columns(['switch_name', 'lag_name'])
          .unique()
          .execute();
      },
    },
    '0003-dhcp': {
      async up(db: Kysely<unknown>) {
        // dynamic-pool leases and DECLINE quarantines: written before the reply
        await db.schema
          .createTable('dhcp_leases')
          .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
          .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
          .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('state', 'varchar(16)', (c) => c.notNull())
          .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('dhcp_leases_pk', ['network_id', 'ip_address'])
          .execute();
        await db.schema
          .createIndex('dhcp_leases_mac')
          .on('dhcp_leases')
          .columns(['network_id', 'mac_address'])
          .execute();
        // boot trace (docs/architecture.md §2): every DHCP exchange per MAC, bounded retention
        await db.schema
          .createTable('boot_trace')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at_ms', 'bigint', (c) => c.notNull())
          .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
          .addColumn('xid', 'bigint', (c) => c.notNull())
          .addColumn('message_type', 'varchar(16)', (c) => c.notNull())
          .addColumn('arch', 'integer')
          .addColumn('user_class', 'varchar(255)')
          .addColumn('vendor_class', 'varchar(255)')
          .addColumn('answer', 'varchar(16)', (c) => c.notNull())
          .addColumn('drop_reason', 'varchar(32)')
          .addColumn('ip_address', 'varchar(64)')
          .addColumn('bootfile', 'text')
          .addColumn('relay', 'varchar(64)')
          .addColumn('relay_agent_info', 'text')
          .execute();
        await db.schema.createIndex('boot_trace_mac').on('boot_trace').columns(['mac_address', 'id']).execute();
      },
    },
    '0004-nodes': {
      async up(db: Kysely<unknown>) {
        // bmnet's node API: nodes with NICs, port groups and boot settings (JSON), and their network stage
        await db.schema
          .createTable('nodes')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('stage', 'varchar(32)', (c) => c.notNull())
          .addColumn('target_stage', 'varchar(32)')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('revision_number', 'integer', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('node_operations')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('node_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('target_stage', 'varchar(32)', (c) => c.notNull())
          .addColumn('state', 'varchar(16)', (c) => c.notNull())
          .addColumn('port_ids', 'text', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('node_operations_node').on('node_operations').column('node_id').execute();
      },
    },
    '0005-dhcp-lease-mac-index': {
      async up(db: Kysely<unknown>) {
        // no query reads leases by MAC (a network's leases load by the primary key), and the index made
        // every lease commit write one more page per lease at a random place
        await db.schema.dropIndex('dhcp_leases_mac').execute();
      },
    },
    '0006-boot-trace-append-only': {
      async up(db: Kysely<unknown>) {
        // the boot trace only grows at its end: an index by MAC made every batch write one page per MAC
        // (a 2,048-event commit took ~18 ms, the DHCP server's p99); the DHCP state keeps each MAC's ids
        // in memory for retention, and a read by MAC scans the at most 100,000 rows
        await db.schema.dropIndex('boot_trace_mac').execute();
      },
    },
    '0007-boot-trace-detail': {
      async up(db: Kysely<unknown>) {
        // TFTP/HTTP events: bytes sent, or why a request was refused or failed
        await db.schema.alterTable('boot_trace').addColumn('detail', 'text').execute();
      },
    },
  };
}

class StaticProvider implements MigrationProvider {
  private readonly dialect: Dialect;

  constructor(dialect: Dialect) {
    this.dialect = dialect;
  }
  async getMigrations() {
    return migrations(this.dialect);
  }
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider(dialect), migrationTableName: 'bmnet_migrations' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error)?.message ?? 'unknown'}`,
      {
        cause: error,
      },
    );
  }
}
