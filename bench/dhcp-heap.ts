/**
 * What the DHCP server promotes to V8's old generation — the load behind its major GCs, which make the
 * p99 tail of bench/dhcp.sh. Runs bench/dhcp-cpu.ts (same options) under V8's sampling heap profiler,
 * counting objects that survived a scavenge (kept, or collected by a major GC), and prints the sites that
 * allocated most of them.
 *   $(scripts/node-runtime.sh) bench/dhcp-heap.ts [dhcp-cpu.ts options, e.g. --exchanges 60000]
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children?: readonly ProfileNode[];
}

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: false,
});
await import('./dhcp-cpu.ts'); // runs to completion (top-level await) and prints its own line
const { profile } = await session.post('HeapProfiler.stopSampling');

const bySite = new Map<string, number>();
const walk = (node: ProfileNode, path: readonly string[]): void => {
  const f = node.callFrame;
  const here = [...path, `${f.functionName || '(anonymous)'} ${f.url.split('/').at(-1) ?? ''}:${f.lineNumber + 1}`];
  if (node.selfSize > 0) {
    const site = here.slice(-3).reverse().join(' < ');
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  }
  for (const child of node.children ?? []) walk(child, here);
};
walk(profile.head as ProfileNode, []);
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`survived a scavenge: ${(total / 1e6).toFixed(1)} MB (startup included)\n`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  process.stdout.write(`${(bytes / 1e6).toFixed(2).padStart(7)} MB  ${site}\n`);
}
