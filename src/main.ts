/** Composition root: builds every adapter from Config and runs the roles. The only file naming concrete adapters. */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { BootTraceReader } from './api/boot-trace.ts';
import { type ApiContext, liveContext } from './api/context.ts';
import { createPorts, updatePort } from './api/neutron/ports.ts';
import { neutronNodePorts } from './api/nodes.ts';
import { buildApi } from './api/server.ts';
import { BootService, dhcpTraceSink, nodeScript } from './boot/service.ts';
import { systemClock } from './clock.ts';
import type { Config, OvsdbBridge, SwitchConfig } from './config/schema.ts';
import { type DhcpRole, startDhcpRole } from './dhcp/role.ts';
import { ALL_CAPABILITIES } from './domain/capabilities.ts';
import { DHCP_DEVICE_OWNER, type Port } from './domain/model.ts';
import { SYSTEM_CALLER } from './domain/policy.ts';
import { parseVlan } from './domain/values.ts';
import { createLogger, type Logger } from './logging.ts';
import { NodeService } from './nodes/service.ts';
import { type ManagedSwitch, Reconciler } from './reconciler/reconciler.ts';
import { readBootTrace } from './store/boot-trace.ts';
import { openDhcpStorage } from './store/dhcp-storage.ts';
import { openSqliteStore } from './store/sqlite.ts';
import type { Store } from './store/store.ts';
import { OvsdbClient, parseOvsdbRemote } from './switch/ovsdb/client.ts';
import { OvsdbDriver } from './switch/ovsdb/driver.ts';
import { SshDriver } from './switch/ssh/driver.ts';
import { deviceProfile } from './switch/ssh/profiles/index.ts';
import { SshTransport } from './switch/ssh/transport.ts';

export interface Running {
  readonly store: Store;
  readonly api: FastifyInstance;
  readonly reconciler: Reconciler | null;
  readonly dhcp: DhcpRole | null;
  readonly boot: BootService | null;
  /** The API's bound address (the port is real even when config said 0). */
  readonly url: string;
  stop(): Promise<void>;
}

export async function openStore(config: Config): Promise<Store> {
  if (config.database.kind === 'postgres') {
    throw new Error('database: PostgreSQL is not available yet in this build; use sqlite:FILE');
  }
  return openSqliteStore(config.database.path);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** How long a switch may take to answer: a running bmnet waits long; `check-config --probe` does not. */
interface SwitchTimeouts {
  readonly connectMs: number;
  readonly commandMs: number;
}

const SERVE_TIMEOUTS: SwitchTimeouts = { connectMs: 10_000, commandMs: 30_000 };

export function buildSwitch(sw: SwitchConfig, log: Logger, timeouts: SwitchTimeouts = SERVE_TIMEOUTS): ManagedSwitch {
  const c = sw.connection;
  if (c.driver === 'ovsdb') {
    return {
      config: sw,
      driver: new OvsdbDriver(
        new OvsdbClient({
          name: sw.name,
          remote: parseOvsdbRemote(c.remote),
          logger: log,
          ...(timeouts === SERVE_TIMEOUTS ? {} : { requestTimeoutMs: timeouts.commandMs }),
        }),
        { switchName: sw.name, bridge: c.bridge },
        log,
      ),
      capabilities: ALL_CAPABILITIES,
    };
  }
  const o = c.options;
  const quarantineVlan = sw.unbound.kind === 'vlan' ? parseVlan(sw.unbound.vlan) : null;
  const profile = deviceProfile(c.profile, { ovs: o.ovs, quarantineVlan });
  const transport = new SshTransport(
    {
      switchName: sw.name,
      host: c.host,
      port: c.port,
      username: c.username,
      auth:
        c.keyFile !== null ? { kind: 'key-file', path: c.keyFile } : { kind: 'password', password: c.password ?? '' },
      enableSecret: o.enableSecret,
      hostKeySha256: o.hostKeySha256,
    },
    profile,
    {
      maxSessions: sw.maxSessions,
      connectTimeoutMs: timeouts.connectMs,
      commandTimeoutMs: timeouts.commandMs,
      idleCloseMs: o.idleCloseMs,
    },
    log,
  );
  const secrets = [c.password, o.enableSecret].filter((x): x is string => typeof x === 'string' && x.length > 0);
  const driver = new SshDriver(
    profile,
    transport,
    { switchName: sw.name, identities: [], isSaveEnabled: o.save, secrets },
    log,
  );
  return { config: sw, driver, capabilities: { lag: profile.supports.lag, trunk: profile.supports.trunk } };
}

/**
 * The network's DHCP port (docs/architecture.md §8) with an address in `subnetId`: created, or given that address,
 * through the Neutron port logic (one transaction with its change event), owned by the network's project.
 */
async function ensureDhcpPort(ctx: ApiContext, networkId: string, subnetId: string): Promise<Port> {
  const admin = SYSTEM_CALLER;
  const filters = [
    { column: 'network_id', values: [networkId] },
    { column: 'device_owner', values: [DHCP_DEVICE_OWNER] },
  ];
  const [existing] = await ctx.store.listPorts(filters, null);
  if (existing?.fixedIps.some((f) => f.subnetId === subnetId)) return existing;
  if (existing) {
    const fixedIps = [...existing.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress }))];
    await updatePort(ctx, admin, existing.id, { fixed_ips: [...fixedIps, { subnet_id: subnetId }] });
  } else {
    const network = await ctx.store.getNetwork(networkId);
    const project_id = network?.network.projectId ?? 'admin';
    const port = {
      network_id: networkId,
      device_owner: DHCP_DEVICE_OWNER,
      device_id: `dhcp-${hostname()}`,
      project_id,
    };
    await createPorts(ctx, admin, [{ ...port, fixed_ips: [{ subnet_id: subnetId }] }]);
  }
  const [made] = await ctx.store.listPorts(filters, null);
  if (!made) throw new Error(`the DHCP port of network ${networkId} vanished after it was made`);
  return made;
}

/**
 * Whether the DHCP service answers for a port: it has no address on a DHCP-enabled subnet, or its
 * network's attachment is up (reservations are read from the database per packet).
 */
async function isAttachedForPort(store: Store, dhcp: DhcpRole | null, port: Port): Promise<boolean> {
  const subnets = await store.listSubnets(
    [
      { column: 'network_id', values: [port.networkId] },
      { column: 'enable_dhcp', values: [1] },
    ],
    null,
  );
  if (!port.fixedIps.some((f) => subnets.some((s) => s.id === f.subnetId))) return true;
  return dhcp?.attachments().some((a) => a.networkId === port.networkId) ?? false;
}

export interface ProbeResult {
  readonly what: string;
  readonly isOk: boolean;
  readonly detail: string;
}

/**
 * `bmnet check-config --probe`: what a valid file can still fail on at run time — opens the database (a SQLite
 * file is created and migrated as `serve` would) and reads each switch once (OVSDB or SSH), each within `timeoutMs`.
 */
export async function probeConfig(config: Config, log: Logger, timeoutMs = 5_000): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const db = config.database.kind === 'sqlite' ? `sqlite ${config.database.path}` : 'postgresql';
  const t0 = performance.now();
  try {
    const store = await openStore(config);
    await store.close();
    results.push({ what: `database ${db}`, isOk: true, detail: `opened in ${Math.round(performance.now() - t0)} ms` });
  } catch (err) {
    results.push({ what: `database ${db}`, isOk: false, detail: (err as Error).message });
  }
  for (const sw of config.switches) {
    const c = sw.connection;
    const what = `switch ${sw.name} (${c.driver === 'ovsdb' ? `ovsdb ${c.remote}` : `ssh ${c.username}@${c.host}:${c.port} ${c.profile}`})`;
    const started = performance.now();
    let managed: ManagedSwitch | null = null;
    let timer: NodeJS.Timeout | undefined;
    try {
      managed = buildSwitch(sw, log, { connectMs: timeoutMs, commandMs: timeoutMs });
      const read = managed.driver.read([]);
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([read, late]);
      results.push({ what, isOk: true, detail: `answered in ${Math.round(performance.now() - started)} ms` });
    } catch (err) {
      results.push({ what, isOk: false, detail: (err as Error).message });
    } finally {
      clearTimeout(timer);
      await managed?.driver.close().catch(() => undefined);
    }
  }
  return results;
}

export async function serve(config: Config, log: Logger = createLogger({ level: config.log.level })): Promise<Running> {
  const store = await openStore(config);
  const ctx = liveContext(store, config);
  let dhcp: DhcpRole | null = null;
  let boot: BootService | null = null;
  const reconciler =
    config.switches.length === 0
      ? null
      : new Reconciler({
          store,
          switches: config.switches.map((s) => buildSwitch(s, log)),
          physnets: config.network.physnets,
          config: config.reconciler,
          log,
          clock: systemClock,
          ...(config.dhcp.mode === 'attach'
            ? { isDhcpServing: (port: Port) => isAttachedForPort(store, dhcp, port) }
            : {}),
        });
  const ovsdbClients = new Map<string, OvsdbClient>();
  if (config.dhcp.mode !== 'off') {
    dhcp = await startDhcpRole({
      config: config.dhcp,
      store,
      tables: await openDhcpStorage(store, { log }),
      physnets: config.network.physnets,
      ovsdb: (bridge: OvsdbBridge) => {
        let client = ovsdbClients.get(bridge.ovsdb);
        if (!client) {
          client = new OvsdbClient({ name: bridge.name, remote: parseOvsdbRemote(bridge.ovsdb), logger: log });
          ovsdbClients.set(bridge.ovsdb, client);
        }
        return client;
      },
      ensureDhcpPort: (networkId, subnetId) => ensureDhcpPort(ctx, networkId, subnetId),
      log,
      onServing: () => {
        reconciler?.poke();
        void boot?.sync(dhcp?.attachments() ?? []);
      },
    });
  }
  if (config.boot.mode !== 'off') {
    boot = await BootService.start({
      config: config.boot,
      logger: log,
      trace: dhcpTraceSink(dhcp?.state ?? null, log),
      script: (name, http) => nodeScript((n) => store.nodes().get(n), config.boot.script, name, http),
      networkName: async (id) => (await store.getNetwork(id))?.network.name ?? null,
    });
    await boot.sync(dhcp?.attachments() ?? []);
  }
  const nodes = new NodeService({
    store,
    config: config.nodes,
    ports: neutronNodePorts(ctx),
    log,
    clock: systemClock,
    newId: ctx.newId,
  });
  // the DHCP state knows which stored events are whose: it reads a MAC's trace without a table scan
  const dhcpState = dhcp?.state;
  const bootTrace: BootTraceReader = dhcpState
    ? (mac, limit) => dhcpState.traceOf(mac, limit)
    : (mac, limit) => readBootTrace(store, mac, limit);
  const bootStatus = () => (boot === null ? null : { mode: config.boot.mode, listeners: boot.status() });
  const api = buildApi(ctx, config.auth, log, bootTrace, reconciler, nodes, bootStatus);
  if (config.auth.mode === 'noauth' && !isLoopback(config.listen.host)) {
    log.warn(
      { listen: config.listen.host },
      'auth mode noauth on a non-loopback address: anyone who reaches it is admin',
    );
  }
  await reconciler?.start();
  await nodes.start();
  const url = await api.listen({ host: config.listen.host, port: config.listen.port });
  log.info({ url, database: config.database.kind, switches: config.switches.length }, 'bmnet API listening');
  return {
    store,
    api,
    reconciler,
    dhcp,
    boot,
    url,
    async stop() {
      await api.close();
      nodes.stop();
      await reconciler?.stop();
      await boot?.stop();
      await dhcp?.stop();
      for (const client of ovsdbClients.values()) await client.close();
      await store.close();
    },
  };
}
