/** A worker thread's entry point as a .ts file that imports sources by .ts names (test/unit/runtime/type-stripping.test.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { macFromBytes, parseMac } from '../../../src/domain/values.ts';

const bytes: Uint8Array = Uint8Array.from(workerData as number[]);
parentPort?.postMessage(parseMac(macFromBytes(bytes)));
