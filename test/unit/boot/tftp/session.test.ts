import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePacket, type TftpOption, type TftpPacket } from '../../../../src/boot/tftp/codec.ts';
import {
  DEFAULT_SESSION_LIMITS,
  type Negotiated,
  negotiateOptions,
  parseSessionLimits,
  ReadSession,
  type SessionAction,
  WriteSession,
} from '../../../../src/boot/tftp/session.ts';
import { InvalidInput } from '../../../../src/domain/errors.ts';

const limits = DEFAULT_SESSION_LIMITS;
const opt = (name: string, value: string): TftpOption => ({ name, value });

const negotiateCases: { name: string; options: TftpOption[]; want: Omit<Negotiated, 'announcedSize'> }[] = [
  {
    name: 'no options: 512-byte lock-step, no OACK',
    options: [],
    want: { blockSize: 512, windowSize: 1, timeoutMs: 1000, acknowledged: [] },
  },
  {
    name: 'iPXE: blksize 1432 and tsize 0 answered with the size',
    options: [opt('blksize', '1432'), opt('tsize', '0')],
    want: {
      blockSize: 1432,
      windowSize: 1,
      timeoutMs: 1000,
      acknowledged: [opt('blksize', '1432'), opt('tsize', '5000')],
    },
  },
  {
    name: 'EDK2: tsize, blksize 1468, windowsize 4',
    options: [opt('tsize', '0'), opt('blksize', '1468'), opt('windowsize', '4')],
    want: {
      blockSize: 1468,
      windowSize: 4,
      timeoutMs: 1000,
      acknowledged: [opt('tsize', '5000'), opt('blksize', '1468'), opt('windowsize', '4')],
    },
  },
  {
    name: 'blksize above the configured maximum is lowered to it',
    options: [opt('blksize', '65464')],
    want: { blockSize: 1468, windowSize: 1, timeoutMs: 1000, acknowledged: [opt('blksize', '1468')] },
  },
  {
    name: 'blksize below 8 or above 65464 is not acknowledged (RFC 2348)',
    options: [opt('blksize', '7'), opt('windowsize', '0'), opt('timeout', '256')],
    want: { blockSize: 512, windowSize: 1, timeoutMs: 1000, acknowledged: [] },
  },
  {
    name: 'windowsize is capped, timeout in seconds is kept',
    options: [opt('windowsize', '1000'), opt('timeout', '3')],
    want: {
      blockSize: 512,
      windowSize: 64,
      timeoutMs: 3000,
      acknowledged: [opt('windowsize', '64'), opt('timeout', '3')],
    },
  },
  {
    name: 'unknown and non-numeric options are left out; names keep their case; first occurrence wins',
    options: [opt('multicast', ''), opt('BLKSIZE', '1024'), opt('blksize', '800'), opt('tsize', 'x')],
    want: { blockSize: 1024, windowSize: 1, timeoutMs: 1000, acknowledged: [opt('BLKSIZE', '1024')] },
  },
];
for (const { name, options, want } of negotiateCases) {
  test(`negotiateOptions: ${name}`, () =>
    assert.deepStrictEqual(negotiateOptions(options, limits, 5000), { ...want, announcedSize: null }));
}

/** The packets a list of actions sends, decoded, and the other actions. */
function split(actions: readonly SessionAction[]) {
  const sent: TftpPacket[] = [];
  const other: SessionAction[] = [];
  for (const a of actions) {
    if (a.kind !== 'send') {
      other.push(a);
      continue;
    }
    const r = decodePacket(Buffer.concat(a.bytes.map((x) => Buffer.from(x))));
    assert.ok(r.ok);
    sent.push(r.packet);
  }
  return { sent, other };
}
function deadline(actions: readonly SessionAction[]): number {
  const armed = actions.at(-1);
  assert.ok(armed?.kind === 'arm-timer');
  return armed.atMs;
}
const blocks = (actions: readonly SessionAction[]) =>
  split(actions).sent.map((p) => (p.kind === 'data' ? p.block : `${p.kind}`));
const ack = (block: number, nowMs = 0) => ({ kind: 'packet', packet: { kind: 'ack', block }, nowMs }) as const;
const content = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
const session = (size: number, options: TftpOption[] = [], l = limits) =>
  new ReadSession(content(size), negotiateOptions(options, l, size), l);

test('without options the first reply is DATA 1 and the timer is armed', () => {
  const s = session(1025);
  const { sent, other } = split(s.start(100));
  assert.deepStrictEqual(
    sent.map((p) => p.kind === 'data' && [p.block, p.data.length]),
    [[1, 512]],
  );
  assert.deepStrictEqual(other, [{ kind: 'arm-timer', atMs: 1100 }]);
});

test('a lock-step transfer ends with a short block and reports the bytes', () => {
  const s = session(1025);
  s.start(0);
  assert.deepStrictEqual(blocks(s.handle(ack(1))), [2]);
  const last = split(s.handle(ack(2)));
  assert.deepStrictEqual(
    last.sent.map((p) => p.kind === 'data' && p.data.length),
    [1],
  );
  assert.deepStrictEqual(s.handle(ack(3, 40)), [{ kind: 'done', bytes: 1025, durationMs: 40 }]);
  assert.deepStrictEqual(s.handle(ack(3)), []);
});

test('a size that is a multiple of the block size ends with an empty block (RFC 1350 §6)', () => {
  const s = session(1024);
  s.start(0);
  s.handle(ack(1));
  const { sent } = split(s.handle(ack(2)));
  assert.deepStrictEqual(
    sent.map((p) => p.kind === 'data' && [p.block, p.data.length]),
    [[3, 0]],
  );
  assert.equal(s.handle(ack(3))[0]?.kind, 'done');
});

test('options are acknowledged with an OACK and data starts after ACK 0', () => {
  const s = session(3000, [opt('blksize', '1468'), opt('tsize', '0')]);
  const first = split(s.start(0));
  assert.deepStrictEqual(first.sent, [{ kind: 'oack', options: [opt('blksize', '1468'), opt('tsize', '3000')] }]);
  assert.deepStrictEqual(s.handle(ack(1)), [], 'an ACK other than 0 does not confirm the OACK');
  assert.deepStrictEqual(blocks(s.handle(ack(0))), [1]);
});

test('a duplicate ACK is not answered (no Sorcerer’s Apprentice)', () => {
  const s = session(5000);
  s.start(0);
  assert.deepStrictEqual(blocks(s.handle(ack(1))), [2]);
  assert.deepStrictEqual(s.handle(ack(1)), []);
  assert.deepStrictEqual(s.handle(ack(0)), []);
  assert.deepStrictEqual(blocks(s.handle(ack(2))), [3]);
});

test('an ACK for a block not yet sent is ignored', () => {
  const s = session(5000);
  s.start(0);
  assert.deepStrictEqual(s.handle(ack(5)), []);
});

test('timeouts retransmit with exponential back-off, then the transfer fails', () => {
  const s = session(5000, [], { ...limits, timeoutMs: 1000, maxTimeoutMs: 4000, maxRetries: 3 });
  let at = deadline(s.start(0));
  assert.equal(at, 1000);
  assert.deepStrictEqual(s.handle({ kind: 'timer', nowMs: 999 }), [{ kind: 'arm-timer', atMs: 1000 }], 'early timer');
  const deadlines: number[] = [];
  for (let i = 0; i < 3; i++) {
    const actions = s.handle({ kind: 'timer', nowMs: at });
    assert.deepStrictEqual(blocks(actions), [1], 'the same block again');
    at = deadline(actions);
    deadlines.push(at);
  }
  assert.deepStrictEqual(deadlines, [3000, 7000, 11000]);
  assert.deepStrictEqual(s.handle({ kind: 'timer', nowMs: at }), [
    { kind: 'failed', reason: { kind: 'timeout', retries: 3 }, bytes: 0, durationMs: 11000 },
  ]);
  assert.equal(s.isFinished, true);
});

test('progress resets the back-off', () => {
  const s = session(5000);
  s.start(0);
  s.handle({ kind: 'timer', nowMs: 1000 });
  const actions = s.handle(ack(1, 1500));
  assert.deepStrictEqual(actions.at(-1), { kind: 'arm-timer', atMs: 2500 });
});

test('the OACK is retransmitted on timeout', () => {
  const s = session(100, [opt('tsize', '0')]);
  s.start(0);
  assert.deepStrictEqual(blocks(s.handle({ kind: 'timer', nowMs: 1000 })), ['oack']);
});

test('EDK2 aborting after the OACK with error 8 ends the session without a reply', () => {
  const s = session(100, [opt('tsize', '0'), opt('blksize', '1468'), opt('windowsize', '4')]);
  s.start(0);
  const packet = { kind: 'error', code: 8, message: 'User aborted the transfer' } as const;
  assert.deepStrictEqual(s.handle({ kind: 'packet', packet, nowMs: 3 }), [
    {
      kind: 'failed',
      reason: { kind: 'client-error', code: 8, message: 'User aborted the transfer' },
      bytes: 0,
      durationMs: 3,
    },
  ]);
  assert.deepStrictEqual(s.handle(ack(0)), []);
});

test('windowsize sends a window per ACK and resends after a gap (RFC 7440)', () => {
  const s = session(512 * 10, [opt('windowsize', '4')]);
  s.start(0);
  assert.deepStrictEqual(blocks(s.handle(ack(0))), [1, 2, 3, 4]);
  assert.deepStrictEqual(blocks(s.handle(ack(4))), [5, 6, 7, 8]);
  assert.deepStrictEqual(blocks(s.handle(ack(6))), [7, 8, 9, 10], 'ACK inside the window: blocks after it were lost');
  assert.deepStrictEqual(blocks(s.handle(ack(10))), [11]);
  assert.equal(s.handle(ack(11))[0]?.kind, 'done');
});

test('a DATA packet from the reading client is an illegal operation (error 4)', () => {
  const s = session(100);
  s.start(0);
  const { sent, other } = split(
    s.handle({ kind: 'packet', packet: { kind: 'data', block: 1, data: Buffer.alloc(0) }, nowMs: 1 }),
  );
  assert.equal(sent[0]?.kind === 'error' && sent[0].code, 4);
  assert.equal(other[0]?.kind, 'failed');
});

test('block numbers roll over from 65535 to 0 and the whole file arrives', () => {
  const size = 8 * 70_000 + 3;
  const s = session(size, [opt('blksize', '8'), opt('windowsize', '16')], { ...limits, maxWindowSize: 16 });
  s.start(0);
  const received: Buffer[] = [];
  let lastBlock = 0;
  let actions = s.handle(ack(0));
  const seen = new Set<number>();
  for (;;) {
    const { sent, other } = split(actions);
    if (other.some((a) => a.kind === 'done')) break;
    for (const p of sent) {
      assert.ok(p.kind === 'data');
      seen.add(p.block);
      received.push(Buffer.from(p.data));
      lastBlock = p.block;
    }
    actions = s.handle(ack(lastBlock));
  }
  assert.ok(seen.has(0) && seen.has(65535), 'blocks 65535 and 0 were both sent');
  assert.deepStrictEqual(Buffer.concat(received), content(size));
});

test('parseSessionLimits applies overrides and refuses values outside their ranges', () => {
  assert.equal(parseSessionLimits({ maxBlockSize: 1432 }).maxBlockSize, 1432);
  assert.deepStrictEqual(parseSessionLimits(), DEFAULT_SESSION_LIMITS);
  for (const bad of [{ maxBlockSize: 7 }, { maxBlockSize: 65465 }, { maxWindowSize: 0 }, { maxRetries: 1.5 }]) {
    assert.throws(() => parseSessionLimits(bad), InvalidInput);
  }
});

const data = (block: number, bytes: Buffer, nowMs = 0) =>
  ({ kind: 'packet', packet: { kind: 'data', block, data: bytes }, nowMs }) as const;
const writer = (options: TftpOption[] = [], maxBytes = 1 << 20, l = limits) =>
  new WriteSession(negotiateOptions(options, l, 'announced'), l, maxBytes);

test('negotiateOptions for a write echoes the announced tsize', () => {
  const n = negotiateOptions([opt('tsize', '7000'), opt('blksize', '1024')], limits, 'announced');
  assert.equal(n.announcedSize, 7000);
  assert.deepStrictEqual(n.acknowledged, [opt('tsize', '7000'), opt('blksize', '1024')]);
});

test('a lock-step write: ACK 0, an ACK per block, the short block ends it', () => {
  const w = writer();
  assert.deepStrictEqual(split(w.start(0)).sent, [{ kind: 'ack', block: 0 }]);
  assert.deepStrictEqual(split(w.handle(data(1, content(512)))).sent, [{ kind: 'ack', block: 1 }]);
  const last = split(w.handle(data(2, content(10), 30)));
  assert.deepStrictEqual(last.sent, [{ kind: 'ack', block: 2 }]);
  assert.deepStrictEqual(last.other, [{ kind: 'done', bytes: 522, durationMs: 30 }]);
  assert.deepStrictEqual(w.data(), Buffer.concat([content(512), content(10)]));
});

test('a repeated DATA is acknowledged again and not stored twice', () => {
  const w = writer();
  w.start(0);
  w.handle(data(1, content(512)));
  assert.deepStrictEqual(split(w.handle(data(1, content(512)))).sent, [{ kind: 'ack', block: 1 }]);
  w.handle(data(2, Buffer.alloc(0)));
  assert.equal(w.data().length, 512);
});

test('a windowed write ACKs every window; a gap is answered with the last block in order', () => {
  const w = writer([opt('windowsize', '3')]);
  assert.deepStrictEqual(blocks(w.start(0)), ['oack']);
  assert.deepStrictEqual(blocks(w.handle(data(1, content(512)))), []);
  assert.deepStrictEqual(blocks(w.handle(data(2, content(512)))), []);
  assert.deepStrictEqual(split(w.handle(data(3, content(512)))).sent, [{ kind: 'ack', block: 3 }]);
  assert.deepStrictEqual(split(w.handle(data(5, content(512)))).sent, [{ kind: 'ack', block: 3 }], 'block 4 lost');
  w.handle(data(4, content(512)));
  w.handle(data(5, content(512)));
  assert.equal(w.handle(data(6, content(1))).at(-1)?.kind, 'done');
  assert.equal(w.data().length, 5 * 512 + 1);
});

test('a write timeout re-sends the last ACK with back-off, then fails', () => {
  const w = writer([], 1 << 20, { ...limits, maxRetries: 1 });
  w.start(0);
  w.handle(data(1, content(512)));
  const again = w.handle({ kind: 'timer', nowMs: 1000 });
  assert.deepStrictEqual(split(again).sent, [{ kind: 'ack', block: 1 }]);
  assert.deepStrictEqual(again.at(-1), { kind: 'arm-timer', atMs: 3000 });
  assert.deepStrictEqual(w.handle({ kind: 'timer', nowMs: 3000 }).at(-1), {
    kind: 'failed',
    reason: { kind: 'timeout', retries: 1 },
    bytes: 512,
    durationMs: 3000,
  });
});

test('a write larger than the limit ends with error 3', () => {
  const w = writer([], 600);
  w.start(0);
  w.handle(data(1, content(512)));
  const { sent, other } = split(w.handle(data(2, content(512))));
  assert.equal(sent[0]?.kind === 'error' && sent[0].code, 3);
  assert.deepStrictEqual(other[0]?.kind === 'failed' && other[0].reason, { kind: 'too-large', maxBytes: 600 });
});
