/**
 * bmnet runs its TypeScript with Node's own type stripping, no loader (docs/runtime.md): these check what
 * that relies on, in this process and in the processes and threads bmnet starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

test('this runtime strips types itself and was started without a loader', () => {
  // @types/node is still 20's, which has no process.features.typescript (Node 22.10+).
  assert.equal((process.features as { typescript?: unknown }).typescript, 'strip');
  assert.ok(!process.execArgv.some((a) => a.includes('tsx')), `execArgv: ${process.execArgv.join(' ')}`);
});

test('a worker thread runs a .ts entry point that imports sources by their .ts names', async () => {
  const worker = new Worker(new URL('./worker-entry.ts', import.meta.url), { workerData: [2, 0, 0, 0, 0, 0xab] });
  const [mac] = await once(worker, 'message');
  assert.equal(mac, '02:00:00:00:00:ab');
});

test('a child node started with process.execPath runs the CLI from source and prints no warning', async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['src/cli/main.ts', '--help']);
  assert.match(stdout, /^Usage: bmnet/);
  assert.equal(stderr, '');
});
