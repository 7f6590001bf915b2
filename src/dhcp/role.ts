/**
 * The dhcp role (`dhcp.mode`): `attach` serves each network from its own attachment (attachments.ts),
 * `relay` serves every network from one socket on `dhcp.relay_listen`, the subnet chosen by giaddr.
 * Both answer from the store-backed state; main.ts gives the adapters (store, OVSDB, DHCP port creation).
 */
import { createSocket } from 'node:dgram';
import { Registry } from 'prom-client';
import type { DhcpConfig, OvsdbBridge, PhysnetConfig } from '../config/schema.ts';
import { DhcpSocketUnavailable } from '../domain/errors.ts';
import type { Port } from '../domain/model.ts';
import type { Logger } from '../logging.ts';
import type { Store } from '../store/store.ts';
import type { OvsdbClient } from '../switch/ovsdb/client.ts';
import { type AttachmentStatus, DhcpAttachments } from './attachments.ts';
import { createDhcpMetrics, type DhcpServer, startDhcpServer } from './server.ts';
import { type DhcpTables, StoreDhcpState } from './store-state.ts';

export interface DhcpRoleOptions {
  readonly config: DhcpConfig;
  readonly store: Store;
  /** The store's lease and boot-trace tables (store/dhcp-storage.ts). */
  readonly tables: DhcpTables;
  readonly physnets: ReadonlyMap<string, PhysnetConfig>;
  readonly ovsdb: (bridge: OvsdbBridge) => OvsdbClient;
  readonly ensureDhcpPort: (networkId: string, subnetId: string) => Promise<Port>;
  readonly log: Logger;
  /** Called when serving starts or changes (the reconciler's poke). */
  readonly onServing: () => void;
  readonly registry?: Registry;
}

export interface DhcpRole {
  readonly state: StoreDhcpState;
  /** The reconciler's hook: may a port of this network turn ACTIVE as far as DHCP is concerned. */
  isServing(port: Port): boolean;
  attachments(): AttachmentStatus[];
  /** Resolves when the attachments have caught up with the database (tests). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDhcpRole(o: DhcpRoleOptions): Promise<DhcpRole> {
  const { config, log } = o;
  if (config.mode === 'relay' && config.relayListen.host === '0.0.0.0') {
    throw new DhcpSocketUnavailable(
      'relay',
      'dhcp.relay_listen must name the address relays send to (it is the server identifier, option 54)',
    );
  }
  const state = await StoreDhcpState.open(o.store, o.tables, {
    leaseSeconds: config.leaseSeconds,
    dynamicPools: config.dynamicPools,
    relayAddress: config.mode === 'relay' ? config.relayListen.host : null,
    log,
  });
  const metrics = createDhcpMetrics(o.registry ?? new Registry());

  if (config.mode === 'relay') {
    const socket = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new DhcpSocketUnavailable('relay', err.message)));
      socket.bind({ address: config.relayListen.host, port: config.relayListen.port, exclusive: true }, () =>
        resolve(),
      );
    });
    const server: DhcpServer = startDhcpServer({
      socket,
      listener: { kind: 'relay' },
      pathMtu: 1500,
      state,
      metrics,
      log,
    });
    log.info({ listen: `${config.relayListen.host}:${config.relayListen.port}` }, 'dhcp relay listener serving');
    o.onServing();
    return {
      state,
      isServing: () => true,
      attachments: () => [],
      settled: async () => undefined,
      async stop() {
        await server.close();
        await state.close();
      },
    };
  }

  const attachments = new DhcpAttachments({
    store: o.store,
    physnets: o.physnets,
    ovsdb: o.ovsdb,
    ensureDhcpPort: o.ensureDhcpPort,
    state,
    metrics,
    log,
    onServing: o.onServing,
  });
  await attachments.start();
  return {
    state,
    isServing: (port) => attachments.isServing(port),
    attachments: () => attachments.status(),
    settled: () => attachments.settled(),
    async stop() {
      await attachments.stop();
      await state.close();
    },
  };
}
