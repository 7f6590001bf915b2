/**
 * Neutron API throughput and latency on the embedded SQLite store, over HTTP keep-alive.
 *   $(scripts/node-runtime.sh) bench/api.ts [--creates 5000] [--connections 8] [--ports 10000]
 * Starts `bin/bmnet serve` in its own process on a free loopback port and a temp database, then prints
 * one `key=value` line per figure. Targets: >= 1,000 single creates/s; list-with-filter p50 < 50 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freeTcpPort } from '../test/helpers/sh.ts';

const { values } = parseArgs({
  options: {
    creates: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '8' },
    ports: { type: 'string', default: '10000' },
    'list-requests': { type: 'string', default: '200' },
  },
});
const creates = Number(values.creates);
const connections = Number(values.connections);
const totalPorts = Number(values.ports);
const listRequests = Number(values['list-requests']);

function out(key: string, fields: Record<string, string | number>) {
  process.stdout.write(
    `${key} ${Object.entries(fields)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
}

async function json(url: string, method = 'GET', body?: unknown) {
  const r = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<Record<string, Record<string, string>>>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function latency(url: string, n: number) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50).toFixed(2), p99: percentile(ms, 99).toFixed(2) };
}

const dir = mkdtempSync(join(tmpdir(), 'bmnet-bench-'));
const port = await freeTcpPort();
const base = `http://127.0.0.1:${port}`;
writeFileSync(
  join(dir, 'bmnet.yaml'),
  `listen: 127.0.0.1:${port}\ndatabase: sqlite:./bench.db\nlog: {level: warn}\napi: {max_body_bytes: 67108864}\n`,
);
const server = spawn(join(import.meta.dirname, '../bin/bmnet'), ['serve', '--config', join(dir, 'bmnet.yaml')], {
  stdio: 'inherit',
});
try {
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/`);
      break;
    } catch {
      if (i > 200) throw new Error('bmnet did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const net = (await json(`${base}/v2.0/networks`, 'POST', { network: { name: 'bench' } })).network ?? {};
  await json(`${base}/v2.0/subnets`, 'POST', { subnet: { network_id: net.id, cidr: '10.128.0.0/14', ip_version: 4 } });

  const single = await autocannon({
    url: `${base}/v2.0/ports`,
    method: 'POST',
    connections,
    amount: creates,
    body: JSON.stringify({
      port: { network_id: net.id, device_owner: 'bench:single', 'binding:vnic_type': 'baremetal' },
    }),
  });
  if (single.non2xx > 0 || single.errors > 0)
    throw new Error(`single creates: ${single.non2xx} non-2xx, ${single.errors} errors`);
  out('api-create-single', {
    requests: single.requests.total,
    per_s: (single.requests.total / (single.duration || 1)).toFixed(0),
    p50_ms: single.latency.p50,
    p99_ms: single.latency.p99,
    connections,
  });

  const bulkSize = 100;
  const bulkRequests = Math.max(1, Math.ceil((totalPorts - creates) / bulkSize));
  const bulkBody = JSON.stringify({
    ports: Array.from({ length: bulkSize }, () => ({ network_id: net.id, device_owner: 'bench:bulk' })),
  });
  const bulk = await autocannon({
    url: `${base}/v2.0/ports`,
    method: 'POST',
    connections: 2,
    amount: bulkRequests,
    body: bulkBody,
  });
  if (bulk.non2xx > 0 || bulk.errors > 0)
    throw new Error(`bulk creates: ${bulk.non2xx} non-2xx, ${bulk.errors} errors`);
  out('api-create-bulk', {
    requests: bulk.requests.total,
    ports_per_request: bulkSize,
    ports_per_s: ((bulk.requests.total * bulkSize) / (bulk.duration || 1)).toFixed(0),
    p50_ms: bulk.latency.p50,
  });

  const some = (await json(`${base}/v2.0/ports?limit=1&device_owner=bench:single`)).ports as unknown as {
    mac_address: string;
    fixed_ips: { ip_address: string }[];
  }[];
  const probe = some[0];
  if (!probe) throw new Error('no port to probe');
  const count = ((await json(`${base}/v2.0/ports?fields=id`)).ports as unknown as unknown[]).length;
  out('api-store', { ports: count });
  const cases: [string, string][] = [
    ['network+mac (Ironic)', `network_id=${net.id}&mac_address=${probe.mac_address}`],
    ['fixed_ips=ip_address', `fixed_ips=ip_address%3D${probe.fixed_ips[0]?.ip_address}`],
    ['device_owner, limit 100', 'device_owner=bench:single&limit=100'],
    ['cli list fields (all ports)', 'fields=id&fields=name&fields=mac_address&fields=fixed_ips&fields=status'],
  ];
  for (const [name, q] of cases) {
    const l = await latency(
      `${base}/v2.0/ports?${q}`,
      name.includes('all') ? Math.min(20, listRequests) : listRequests,
    );
    out('api-list', { query: JSON.stringify(name), p50_ms: l.p50, p99_ms: l.p99 });
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
