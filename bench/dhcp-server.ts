/**
 * bmnet's DHCP server alone in relay mode, for the peer benchmark (bench/dhcp.sh): a fresh SQLite store
 * with one network and subnet made through the Neutron port logic, then the store-backed state (durable
 * leases, boot trace) behind a relay listener — the way `dhcp.mode: relay` runs.
 *   $(scripts/node-runtime.sh) bench/dhcp-server.ts --listen IP:67 --db FILE --subnet CIDR --pool START-END
 *        [--mode dynamic|reservation] [--clients N] [--lease-seconds S] [--diagnose]
 * dynamic: the pool is a dynamic pool (unknown MACs get leases). reservation: N ports with the MACs
 * perfdhcp -R N uses (its base MAC 00:0c:01:02:03:04 with the random number r < N added octet by octet
 * from the last one) and fixed IPs START + r. The socket is bound only when the data is in place (the
 * harness waits for port 67). Runs until SIGTERM or SIGINT, then prints its counters on stderr.
 * --diagnose: a line per second on stderr of what held the event loop — GC pauses, event-loop delay,
 * SQLite statements slower than 1 ms — so a latency tail can be matched to its cause (bench/stalls.ts).
 */
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createDhcpMetrics, startDhcpServer } from '../src/dhcp/server.ts';
import { silentLogger } from '../src/logging.ts';
import { setUpBenchDhcp } from './dhcp-setup.ts';
import { watchStalls } from './stalls.ts';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:67' },
    db: { type: 'string' },
    subnet: { type: 'string' },
    pool: { type: 'string' },
    mode: { type: 'string', default: 'dynamic' },
    clients: { type: 'string', default: '1000' },
    'lease-seconds': { type: 'string', default: '3600' },
    diagnose: { type: 'boolean', default: false },
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
const stalls = values.diagnose ? watchStalls((line) => process.stderr.write(`${line}\n`)) : null;
const bench = await setUpBenchDhcp({
  db: values.db,
  subnet: values.subnet,
  poolStart,
  poolEnd,
  mode: values.mode === 'reservation' ? 'reservation' : 'dynamic',
  clients,
  leaseSeconds: Number(values['lease-seconds']),
  relayAddress: host,
});
const { state, networkId } = bench;
const log = silentLogger();
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
if (stalls) {
  // the start of each burst after a quiet half second (each harness phase), to align its timestamps
  let last = 0;
  socket.on('message', () => {
    const now = performance.now();
    if (now - last > 500) process.stderr.write(`burst at_ms=${(performance.timeOrigin + now).toFixed(0)}\n`);
    last = now;
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void (async () => {
      await server.close();
      stalls?.stop();
      await bench.close();
      process.stderr.write(`${await registry.metrics()}\n`);
      process.exit(0);
    })();
  });
}
