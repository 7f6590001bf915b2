/**
 * What serving TFTP from an attachment's namespace costs per transfer (docs/boot.md): every transfer
 * needs a UDP socket made in the namespace by the helper (one IPC round trip with a handle), where a
 * local server binds one itself. Measures both, one at a time and 50 at once, and the helper's memory.
 *   sudo $(scripts/node-runtime.sh) bench/boot-netns-sockets.ts [--count 2000]
 * Creates and removes the namespace `bmnet-b<pid>-boot`.
 */

import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { NamespaceSockets } from '../src/boot/netns-sockets.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' } } });
const count = Number(values.count);
const namespace = `bmnet-b${process.pid}-boot`;

function bindLocal(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: '127.0.0.1', port: 0, exclusive: true }, () => resolve(s));
  });
}

async function measure(name: string, open: () => Promise<Socket>, concurrency: number): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next += 1;
      const t = performance.now();
      const s = await open();
      latencies.push(performance.now() - t);
      s.close();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(3);
  process.stdout.write(
    `${name.padEnd(28)} concurrency ${String(concurrency).padStart(2)}: ${(count / seconds).toFixed(0).padStart(6)} sockets/s, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms\n`,
  );
}

execFileSync('ip', ['netns', 'add', namespace]);
try {
  execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  const helper = await NamespaceSockets.start(namespace);
  try {
    for (const concurrency of [1, 50]) {
      await measure('local bind', bindLocal, concurrency);
      await measure('namespace helper', () => helper.udp('127.0.0.1', 0), concurrency);
    }
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${helper.pid}/status`, 'utf8'))?.[1];
    process.stdout.write(`helper VmRSS ${(Number(rss) / 1024).toFixed(1)} MiB after ${count * 2} sockets\n`);
  } finally {
    await helper.close();
  }
} finally {
  execFileSync('ip', ['netns', 'del', namespace]);
}
