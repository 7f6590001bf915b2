/**
 * The read session under random client behaviour: random ACKs (old, new, duplicate, far ahead), errors,
 * stray packets and timers in any order. It never throws, sends only blocks of the file at the right
 * offsets, and ends at most once. Write sessions under repeated, early and late DATA store the file exactly. Deterministic seed (TFTP_FUZZ_SEED).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePacket, type TftpPacket } from '../../src/boot/tftp/codec.ts';
import {
  DEFAULT_SESSION_LIMITS,
  negotiateOptions,
  ReadSession,
  type SessionAction,
  WriteSession,
} from '../../src/boot/tftp/session.ts';

const SEED = Number(process.env.TFTP_FUZZ_SEED ?? 0x5e5510);
const SESSIONS = 400;
const EVENTS_PER_SESSION = 200;

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test(`${SESSIONS} read sessions survive ${EVENTS_PER_SESSION} random events each (seed ${SEED})`, () => {
  const r = rng(SEED);
  const pick = (n: number) => Math.floor(r() * n);
  const outcomes = { done: 0, failed: 0 };
  for (let s = 0; s < SESSIONS; s++) {
    const content = Buffer.from(Array.from({ length: pick(5000) }, (_, i) => (i * 7 + s) & 0xff));
    const options = [
      ...(r() < 0.5 ? [{ name: 'blksize', value: String(8 + pick(600)) }] : []),
      ...(r() < 0.5 ? [{ name: 'windowsize', value: String(1 + pick(16)) }] : []),
      ...(r() < 0.3 ? [{ name: 'tsize', value: '0' }] : []),
    ];
    const negotiated = negotiateOptions(options, DEFAULT_SESSION_LIMITS, content.length);
    const session = new ReadSession(content, negotiated, DEFAULT_SESSION_LIMITS);
    let nowMs = 0;
    let endings = 0;
    let lastSent = 0;
    const check = (actions: readonly SessionAction[]) => {
      for (const a of actions) {
        if (a.kind === 'done' || a.kind === 'failed') {
          endings++;
          outcomes[a.kind]++;
        }
        if (a.kind !== 'send') continue;
        const decoded = decodePacket(Buffer.concat(a.bytes.map((b) => Buffer.from(b))));
        assert.ok(decoded.ok);
        const p = decoded.packet;
        if (p.kind !== 'data') continue;
        lastSent = p.block;
        assert.ok(p.data.length <= negotiated.blockSize);
        // Blocks are sent in the first 65536 blocks of files this size, so the wrapped number is the block.
        const offset = (p.block - 1) * negotiated.blockSize;
        assert.deepStrictEqual(Buffer.from(p.data), content.subarray(offset, offset + negotiated.blockSize));
      }
    };
    check(session.start(nowMs));
    for (let e = 0; e < EVENTS_PER_SESSION; e++) {
      nowMs += pick(1500);
      const roll = r();
      let packet: TftpPacket | null = null;
      const near = Math.max(0, lastSent - pick(4));
      if (roll < 0.45)
        packet = { kind: 'ack', block: lastSent }; // the good client
      else if (roll < 0.7)
        packet = { kind: 'ack', block: near }; // duplicates and gaps
      else if (roll < 0.8)
        packet = { kind: 'ack', block: pick(65536) }; // anything
      else if (roll < 0.803) packet = { kind: 'error', code: pick(9), message: 'x' };
      else if (roll < 0.806) packet = { kind: 'data', block: pick(3), data: Buffer.alloc(pick(10)) };
      check(session.handle(packet === null ? { kind: 'timer', nowMs } : { kind: 'packet', packet, nowMs }));
    }
    assert.ok(endings <= 1, 'a session ends at most once');
    assert.equal(session.isFinished, endings === 1);
  }
  assert.ok(outcomes.done > SESSIONS / 20 && outcomes.failed > SESSIONS / 20, JSON.stringify(outcomes));
});

test(`${SESSIONS} write sessions under random DATA, errors and timers store exactly the blocks received in order (seed ${SEED})`, () => {
  const r = rng(SEED + 1);
  const pick = (n: number) => Math.floor(r() * n);
  let completed = 0;
  for (let s = 0; s < SESSIONS; s++) {
    const file = Buffer.from(Array.from({ length: pick(4000) }, (_, i) => (i * 13 + s) & 0xff));
    const options = [
      ...(r() < 0.5 ? [{ name: 'blksize', value: String(8 + pick(600)) }] : []),
      ...(r() < 0.5 ? [{ name: 'windowsize', value: String(1 + pick(8)) }] : []),
    ];
    const negotiated = negotiateOptions(options, DEFAULT_SESSION_LIMITS, 'announced');
    const session = new WriteSession(negotiated, DEFAULT_SESSION_LIMITS, 1 << 20);
    const blockOf = (n: number) => file.subarray((n - 1) * negotiated.blockSize, n * negotiated.blockSize);
    const totalBlocks = Math.floor(file.length / negotiated.blockSize) + 1;
    let nowMs = 0;
    let endings = 0;
    let isDone = false;
    const count = (actions: readonly SessionAction[]) => {
      for (const a of actions) {
        if (a.kind === 'done' || a.kind === 'failed') endings++;
        if (a.kind === 'done') isDone = true;
      }
    };
    count(session.start(nowMs));
    for (let e = 0; e < EVENTS_PER_SESSION && endings === 0; e++) {
      nowMs += pick(800);
      const roll = r();
      const n = 1 + Math.min(totalBlocks - 1, Math.floor(e / 2) + pick(3) - 1);
      let packet: TftpPacket | null = null;
      if (roll < 0.85) packet = { kind: 'data', block: n & 0xffff, data: blockOf(n) };
      else if (roll < 0.86) packet = { kind: 'error', code: pick(9), message: 'x' };
      else if (roll < 0.87) packet = { kind: 'ack', block: pick(4) };
      count(session.handle(packet === null ? { kind: 'timer', nowMs } : { kind: 'packet', packet, nowMs }));
    }
    assert.ok(endings <= 1);
    if (isDone) {
      completed++;
      assert.deepStrictEqual(session.data(), file);
    } else {
      assert.deepStrictEqual(session.data(), file.subarray(0, session.bytesAcknowledged));
    }
  }
  assert.ok(completed > SESSIONS / 20, `only ${completed} writes completed`);
});
