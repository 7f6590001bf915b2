/**
 * Fuzz of the OVSDB stream reader (RFC 7047 framing): random JSON-RPC traffic cut at random byte boundaries
 * is framed back exactly; mutated streams never make `push` throw, and nothing grows past the size limit.
 * Repeat a run with BMNET_FUZZ_SEED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Json, JsonStreamReader } from '../../src/switch/ovsdb/protocol.ts';

const COUNT = 3000;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = ['{', '}', '[', ']', '"', '\\', '\\"', 'é', '→', '😀', ' ', '\n', 'set', 'uuid', '\u0000'];

function randomString(rnd: () => number): string {
  let s = '';
  const n = Math.floor(rnd() * 8);
  for (let i = 0; i < n; i++) s += TRICKY[Math.floor(rnd() * TRICKY.length)] ?? '';
  return s;
}

function randomValue(rnd: () => number, depth: number): Json {
  const k = Math.floor(rnd() * (depth > 3 ? 4 : 6));
  switch (k) {
    case 0:
      return randomString(rnd);
    case 1:
      return Math.floor(rnd() * 5000) - 100;
    case 2:
      return rnd() < 0.5 ? null : rnd() < 0.5;
    case 3:
      return ['uuid', randomString(rnd)];
    case 4:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
    default: {
      const o: Record<string, Json> = {};
      for (let i = Math.floor(rnd() * 4); i > 0; i--) o[randomString(rnd)] = randomValue(rnd, depth + 1);
      return o;
    }
  }
}

function randomMessage(rnd: () => number): Json {
  return rnd() < 0.5
    ? { id: Math.floor(rnd() * 1000), result: randomValue(rnd, 0), error: null }
    : { id: null, method: randomString(rnd), params: [randomValue(rnd, 0)] };
}

function cut(bytes: Buffer, rnd: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + Math.floor(rnd() * 40);
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

test(`random traffic cut anywhere is framed back exactly (${COUNT} streams)`, (t) => {
  const seed = Number(process.env.BMNET_FUZZ_SEED ?? Date.now() % 2 ** 32);
  t.diagnostic(`seed ${seed} (BMNET_FUZZ_SEED=${seed} to repeat)`);
  const rnd = prng(seed);
  for (let i = 0; i < COUNT; i++) {
    const messages = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => randomMessage(rnd));
    const text = messages.map((m) => JSON.stringify(m) + (rnd() < 0.3 ? ' \n' : '')).join('');
    const reader = new JsonStreamReader();
    const got: unknown[] = [];
    for (const chunk of cut(Buffer.from(text, 'utf8'), rnd)) {
      const r = reader.push(chunk);
      assert.equal(r.ok, true, `seed ${seed}, case ${i}: ${text}`);
      got.push(...r.values);
    }
    assert.deepEqual(got, messages, `seed ${seed}, case ${i}`);
  }
});

test(`mutated streams never throw and stay within the size limit (${COUNT} streams)`, (t) => {
  const seed = Number(process.env.BMNET_FUZZ_SEED ?? Date.now() % 2 ** 32) ^ 0x5eed;
  t.diagnostic(`seed ${seed}`);
  const rnd = prng(seed);
  const limit = 2048;
  const outcomes = new Map<string, number>();
  for (let i = 0; i < COUNT; i++) {
    const bytes = Buffer.from(JSON.stringify(randomMessage(rnd)).repeat(1 + Math.floor(rnd() * 3)), 'utf8');
    for (let m = Math.floor(rnd() * 6); m > 0; m--) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
    const tail = rnd() < 0.2 ? Buffer.alloc(3 * limit, 0x5b) : Buffer.alloc(0); // a run of '[': never closes
    const reader = new JsonStreamReader({ maxMessageBytes: limit });
    let last = 'ok';
    for (const chunk of cut(Buffer.concat([bytes, tail]), rnd)) {
      try {
        const r = reader.push(chunk);
        last = r.ok ? 'ok' : r.reason.kind;
      } catch (err) {
        throw new Error(`seed ${seed}, case ${i}: push threw on ${bytes.toString('hex')}`, { cause: err });
      }
    }
    if (tail.length > 0) assert.notEqual(last, 'ok', `seed ${seed}, case ${i}: an endless message was not cut off`);
    outcomes.set(last, (outcomes.get(last) ?? 0) + 1);
  }
  t.diagnostic(JSON.stringify(Object.fromEntries(outcomes)));
  assert.ok((outcomes.get('too-large') ?? 0) > 0, 'the size limit is reached');
  assert.ok(
    (outcomes.get('not-json') ?? 0) + (outcomes.get('unexpected-byte') ?? 0) > 0,
    'mutations reach the failure paths',
  );
});
