/**
 * The CPU cost of one DORA exchange in bmnet's DHCP server without the kernel: the real server
 * (decode, view, pipeline, durable lease, boot trace on a SQLite file) fed by an in-process relay that
 * answers each OFFER with a REQUEST, `--window` exchanges in flight, MACs cycling over `--clients` the
 * way perfdhcp -R draws them (so most DISCOVERs come from MACs that already hold a lease).
 *   $(scripts/node-runtime.sh) bench/dhcp-cpu.ts [--mode dynamic|reservation] [--clients 10000] [--exchanges 60000]
 *        [--window 64]      (add --cpu-prof to node for a profile)
 * Prints DORA/s of one core and µs per exchange; the socket benchmark (bench/dhcp.sh) adds the kernel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { ipv4ToBytes } from '../src/dhcp/codec/ipv4.ts';
import { MessageType, Opt } from '../src/dhcp/codec/option-codes.ts';
import { decodePacket, encodePacket } from '../src/dhcp/codec/packet.ts';
import { createDhcpMetrics, type DhcpSocket, startDhcpServer } from '../src/dhcp/server.ts';
import { silentLogger } from '../src/logging.ts';
import { perfdhcpMac, setUpBenchDhcp } from './dhcp-setup.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'dynamic' },
    clients: { type: 'string', default: '10000' },
    exchanges: { type: 'string', default: '60000' },
    window: { type: 'string', default: '64' },
  },
});
const mode = values.mode === 'reservation' ? 'reservation' : 'dynamic';
const clients = Number(values.clients);
const exchanges = Number(values.exchanges);
const window = Number(values.window);
const RELAY = '10.77.0.2';
const SERVER = '10.77.0.1';

const dir = mkdtempSync(join(tmpdir(), 'bmnet-dhcp-cpu-'));
const bench = await setUpBenchDhcp({
  db: join(dir, 'bmnet.db'),
  subnet: '10.77.0.0/16',
  poolStart: '10.77.1.0',
  poolEnd: '10.77.255.254',
  mode,
  clients,
  leaseSeconds: 3600,
  relayAddress: SERVER,
});

function clientPacket(type: number, mac: string, xid: number, extra: ReadonlyMap<number, Buffer>): Buffer {
  const options = new Map<number, Buffer>([[Opt.MessageType, Buffer.from([type])], ...extra]);
  const encoded = encodePacket(
    {
      op: 1,
      htype: 1,
      hlen: 6,
      hops: 1,
      xid,
      secs: 0,
      flags: 0,
      ciaddr: '0.0.0.0',
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: RELAY,
      chaddr: Buffer.from(`${mac.replaceAll(':', '')}00000000000000000000`, 'hex'),
      sname: '',
      file: '',
      options,
    },
    1500,
  );
  if (!encoded.ok) throw new Error('client packet does not encode');
  return encoded.bytes;
}

let deliver: (msg: Buffer) => void = () => {};
let started = 0;
let completed = 0;
let seed = 1;
const nextMac = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return perfdhcpMac(seed % clients);
};
const inbox: Buffer[] = [];
let scheduled = false;
/** Datagrams reach the server in batches per event-loop turn, as libuv reads them. */
function post(msg: Buffer): void {
  inbox.push(msg);
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    for (const m of inbox.splice(0, inbox.length)) deliver(m);
  });
}
let finish: () => void = () => {};
const done = new Promise<void>((resolve) => {
  finish = resolve;
});
function startExchange(): void {
  if (started >= exchanges) return;
  started += 1;
  post(clientPacket(MessageType.Discover, nextMac(), started, new Map()));
}

const socket: DhcpSocket = {
  on(
    event: 'message' | 'error',
    listener: ((msg: Buffer, rinfo: { address: string; port: number }) => void) | ((err: Error) => void),
  ) {
    if (event === 'message') {
      const onMessage = listener as (msg: Buffer, rinfo: { address: string; port: number }) => void;
      deliver = (msg) => onMessage(msg, { address: RELAY, port: 67 });
    }
    return socket;
  },
  send(msg, _port, _address, callback) {
    callback(null);
    const r = decodePacket(msg);
    if (!r.ok) throw new Error(`server sent an undecodable reply: ${r.reason}`);
    const type = r.packet.options.get(Opt.MessageType)?.[0];
    if (type === MessageType.Offer) {
      const mac = r.packet.chaddr
        .subarray(0, 6)
        .toString('hex')
        .replace(/(..)(?!$)/g, '$1:');
      const extra = new Map([
        [Opt.ServerId, ipv4ToBytes(SERVER)],
        [Opt.RequestedIp, ipv4ToBytes(r.packet.yiaddr)],
      ]);
      post(clientPacket(MessageType.Request, mac, r.packet.xid, extra));
    } else if (type === MessageType.Ack) {
      completed += 1;
      if (completed === exchanges) finish();
      else startExchange();
    } else {
      throw new Error(`unexpected reply type ${type}`);
    }
  },
  close(callback) {
    callback?.();
  },
};

const server = startDhcpServer({
  socket,
  listener: { kind: 'relay' },
  pathMtu: 1500,
  state: bench.state,
  metrics: createDhcpMetrics(new Registry()),
  log: silentLogger(),
});
// warm-up: every MAC once (fills the lease table in dynamic mode, the caches in both)
const t0 = performance.now();
for (let i = 0; i < window; i++) startExchange();
await done;
const ms = performance.now() - t0;
await server.close();
await bench.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `dhcp-cpu mode=${mode} clients=${clients} exchanges=${exchanges} window=${window} ` +
    `dora_per_s=${Math.round((exchanges / ms) * 1000)} us_per_dora=${((ms * 1000) / exchanges).toFixed(1)}\n`,
);
