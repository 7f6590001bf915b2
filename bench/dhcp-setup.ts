/**
 * The data both DHCP benchmarks serve (bench/dhcp-server.ts over a real socket, bench/dhcp-cpu.ts in
 * process): a fresh SQLite store with one network and subnet made through the Neutron API logic, and
 * in `reservation` mode one port per perfdhcp client MAC with a fixed IP, then the store-backed DHCP
 * state (durable leases, boot trace) the way `dhcp.mode: relay` runs it.
 */
import { liveContext } from '../src/api/context.ts';
import { createNetworks } from '../src/api/neutron/networks.ts';
import { createPorts } from '../src/api/neutron/ports.ts';
import { createSubnets } from '../src/api/neutron/subnets.ts';
import { parseConfig } from '../src/config/load.ts';
import { ipv4FromNumber, ipv4ToNumber } from '../src/dhcp/codec/ipv4.ts';
import { StoreDhcpState } from '../src/dhcp/store-state.ts';
import type { Caller } from '../src/domain/model.ts';
import { silentLogger } from '../src/logging.ts';
import { openDhcpStorage } from '../src/store/dhcp-storage.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/store.ts';

export interface BenchDhcpOptions {
  readonly db: string;
  /** `a.b.c.d/n`; its first host is the gateway. */
  readonly subnet: string;
  readonly poolStart: string;
  readonly poolEnd: string;
  readonly mode: 'dynamic' | 'reservation';
  /** Reservation mode: ports for perfdhcp's first `clients` MACs, at poolStart + r. */
  readonly clients: number;
  readonly leaseSeconds: number;
  /** The relay listen address: option 54 and the source of replies. */
  readonly relayAddress: string;
}

export interface BenchDhcp {
  readonly store: Store;
  readonly state: StoreDhcpState;
  readonly networkId: string;
  close(): Promise<void>;
}

/** perfdhcp's MAC for random number r: its base MAC 00:0c:01:02:03:04 with r added octet by octet from the last. */
export function perfdhcpMac(r: number): string {
  const mac = [0x00, 0x0c, 0x01, 0x02, 0x03, 0x04];
  let rest = r;
  for (let i = 5; i >= 0; i--) {
    mac[i] = ((mac[i] ?? 0) + rest) & 0xff;
    if (rest < 256) break;
    rest = Math.floor(rest / 256);
  }
  return mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export async function setUpBenchDhcp(o: BenchDhcpOptions): Promise<BenchDhcp> {
  const store = await openSqliteStore(o.db);
  const config = parseConfig('');
  const ctx = liveContext(store, config);
  const admin: Caller = { projectId: 'admin', roles: ['admin'], isAdmin: true, isService: false };
  const [network] = await createNetworks(ctx, admin, [{ name: 'bench', 'provider:segmentation_id': 1000 }]);
  const networkId = String(network?.id);
  const firstHost = ipv4FromNumber(ipv4ToNumber(o.subnet.split('/')[0] ?? '') + 1);
  // the Neutron allocation pool stays below the dynamic pool / reserved addresses
  await createSubnets(ctx, admin, [
    {
      network_id: networkId,
      cidr: o.subnet,
      ip_version: 4,
      gateway_ip: firstHost,
      allocation_pools: [
        { start: ipv4FromNumber(ipv4ToNumber(firstHost) + 2), end: ipv4FromNumber(ipv4ToNumber(o.poolStart) - 2) },
      ],
    },
  ]);
  if (o.mode === 'reservation') {
    const batch = 500;
    for (let from = 0; from < o.clients; from += batch) {
      const bodies = [];
      for (let r = from; r < Math.min(o.clients, from + batch); r++) {
        bodies.push({
          network_id: networkId,
          mac_address: perfdhcpMac(r),
          fixed_ips: [{ ip_address: ipv4FromNumber(ipv4ToNumber(o.poolStart) + r) }],
          extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'snponly.efi' }],
        });
      }
      await createPorts(ctx, admin, bodies);
    }
  }
  const state = await StoreDhcpState.open(store, await openDhcpStorage(store, { log: silentLogger() }), {
    leaseSeconds: o.leaseSeconds,
    dynamicPools: new Map(o.mode === 'dynamic' ? [[networkId, [{ start: o.poolStart, end: o.poolEnd }]]] : []),
    relayAddress: o.relayAddress,
    log: silentLogger(),
  });
  return {
    store,
    state,
    networkId,
    close: async () => {
      await state.close();
      await store.close();
    },
  };
}
