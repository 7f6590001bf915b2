/**
 * bmnet's DHCP server alone in relay mode, for the peer benchmark (bench/dhcp.sh): a fresh SQLite store
 * with one network and subnet made through the Neutron port logic, then the store-backed state (durable
 * leases, boot trace) behind a relay listener — the way `dhcp.mode: relay` runs.
 *   node --import tsx bench/dhcp-server.ts --listen IP:67 --db FILE --subnet CIDR --pool START-END
 *        [--mode dynamic|reservation] [--clients N] [--lease-seconds S]
 * dynamic: the pool is a dynamic pool (unknown MACs get leases). reservation: N ports with the MACs
 * perfdhcp -R N uses (its base MAC 00:0c:01:02:03:04 with the random number r < N added octet by octet
 * from the last one) and fixed IPs START + r. The socket is bound only when the data is in place (the
 * harness waits for port 67). Runs until SIGTERM or SIGINT, then prints its counters on stderr.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import type { ApiContext } from '../src/api/context.js';
import { createNetworks } from '../src/api/neutron/networks.js';
import { createPorts } from '../src/api/neutron/ports.js';
import { createSubnets } from '../src/api/neutron/subnets.js';
import { parseConfig } from '../src/config/load.js';
import { ipv4FromNumber, ipv4ToNumber } from '../src/dhcp/codec/ipv4.js';
import { createDhcpMetrics, startDhcpServer } from '../src/dhcp/server.js';
import type { Caller } from '../src/domain/model.js';
import { silentLogger } from '../src/logging.js';
import { StoreDhcpState } from '../src/store/dhcp-state.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { isoSeconds } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:67' },
    db: { type: 'string' },
    subnet: { type: 'string' },
    pool: { type: 'string' },
    mode: { type: 'string', default: 'dynamic' },
    clients: { type: 'string', default: '1000' },
    'lease-seconds': { type: 'string', default: '3600' },
  },
});
const listen = /^(.*):(\d+)$/.exec(values.listen);
const pool = /^([\d.]+)-([\d.]+)$/.exec(values.pool ?? '');
if (!listen?.[1] || !pool?.[1] || !pool[2] || !values.db || !values.subnet) {
  process.stderr.write('usage: dhcp-server.ts --listen IP:PORT --db FILE --subnet CIDR --pool START-END\n');
  process.exit(2);
}
const [host, poolStart, poolEnd] = [listen[1], pool[1], pool[2]];
const clients = Number(values.clients);
const log = silentLogger();

const store = await openSqliteStore(values.db);
const config = parseConfig('');
const ctx: ApiContext = {
  store,
  network: config.network,
  api: config.api,
  now: () => isoSeconds(Date.now()),
  newId: randomUUID,
  randomBytes: (n) => randomBytes(n),
};
const admin: Caller = { projectId: 'admin', roles: ['admin'], isAdmin: true, isService: false };
const [network] = await createNetworks(ctx, admin, [{ name: 'bench', 'provider:segmentation_id': 1000 }]);
const networkId = String(network?.id);
const firstHost = ipv4FromNumber(ipv4ToNumber(values.subnet.split('/')[0] ?? '') + 1);
// the Neutron allocation pool stays below the dynamic pool / reserved addresses
await createSubnets(ctx, admin, [
  {
    network_id: networkId,
    cidr: values.subnet,
    ip_version: 4,
    gateway_ip: firstHost,
    allocation_pools: [
      { start: ipv4FromNumber(ipv4ToNumber(firstHost) + 2), end: ipv4FromNumber(ipv4ToNumber(poolStart) - 2) },
    ],
  },
]);

/** perfdhcp's MAC for random number r: the base MAC with r added octet by octet from the last one. */
function perfdhcpMac(r: number): string {
  const mac = [0x00, 0x0c, 0x01, 0x02, 0x03, 0x04];
  let rest = r;
  for (let i = 5; i >= 0; i--) {
    mac[i] = ((mac[i] ?? 0) + rest) & 0xff;
    if (rest < 256) break;
    rest = Math.floor(rest / 256);
  }
  return mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

if (values.mode === 'reservation') {
  const batch = 500;
  for (let from = 0; from < clients; from += batch) {
    const bodies = [];
    for (let r = from; r < Math.min(clients, from + batch); r++) {
      bodies.push({
        network_id: networkId,
        mac_address: perfdhcpMac(r),
        fixed_ips: [{ ip_address: ipv4FromNumber(ipv4ToNumber(poolStart) + r) }],
        extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'snponly.efi' }],
      });
    }
    await createPorts(ctx, admin, bodies);
  }
}

const state = await StoreDhcpState.open(store, {
  leaseSeconds: Number(values['lease-seconds']),
  dynamicPools: new Map(values.mode === 'dynamic' ? [[networkId, [{ start: poolStart, end: poolEnd }]]] : []),
  relayAddress: host,
  log,
});
const registry = new Registry();
const socket = createSocket({ type: 'udp4' });
await new Promise<void>((resolve, reject) => {
  socket.once('error', reject);
  socket.bind({ address: host, port: Number(listen[2]), exclusive: true }, () => resolve());
});
const server = startDhcpServer({
  socket,
  listener: { kind: 'relay' },
  pathMtu: 1500,
  state,
  metrics: createDhcpMetrics(registry),
  log,
});
process.stderr.write(`dhcp-server: ${values.mode} mode on ${values.listen}, network ${networkId}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void (async () => {
      await server.close();
      await state.close();
      await store.close();
      process.stderr.write(`${await registry.metrics()}\n`);
      process.exit(0);
    })();
  });
}
