import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  answerRequest,
  Correlator,
  decodeIntegerSet,
  decodeMessage,
  decodeOptionalInteger,
  decodeOptionalString,
  decodeSet,
  decodeStringMap,
  decodeTransactResult,
  decodeUuid,
  encodeRequest,
  insert,
  JsonStreamReader,
  namedUuid,
  optional,
  ovsMap,
  ovsSet,
  transactParams,
  uuid,
  waitUntilEqual,
} from '../../../../src/switch/ovsdb/protocol.ts';

/** Feeds `chunks` to one reader and returns every value it framed. */
function frame(chunks: readonly (string | Uint8Array)[]) {
  const reader = new JsonStreamReader();
  const values: unknown[] = [];
  let last = reader.push('');
  for (const chunk of chunks) {
    last = reader.push(chunk);
    values.push(...last.values);
  }
  return { values, last };
}

const framingCases = [
  {
    name: 'one object in one chunk',
    chunks: ['{"id":1,"result":[],"error":null}'],
    want: [{ id: 1, result: [], error: null }],
  },
  { name: 'two objects back to back', chunks: ['{"a":1}{"b":2}'], want: [{ a: 1 }, { b: 2 }] },
  { name: 'whitespace and newlines between objects', chunks: ['  {"a":1}\n\r\t {"b":2} '], want: [{ a: 1 }, { b: 2 }] },
  { name: 'an object split over chunks', chunks: ['{"a":', '[1,', '2]}'], want: [{ a: [1, 2] }] },
  {
    name: 'a split that ends one object and starts the next',
    chunks: ['{"a":1}{"b"', ':2}'],
    want: [{ a: 1 }, { b: 2 }],
  },
  { name: 'braces inside strings', chunks: ['{"s":"}{]["}'], want: [{ s: '}{][' }] },
  { name: 'escaped quotes inside strings', chunks: ['{"s":"a\\"}b"}'], want: [{ s: 'a"}b' }] },
  {
    name: 'an escaped backslash before the closing quote',
    chunks: ['{"s":"a\\\\"}{"t":1}'],
    want: [{ s: 'a\\' }, { t: 1 }],
  },
  { name: 'an escape split between chunks', chunks: ['{"s":"a\\', '"}"}'], want: [{ s: 'a"}' }] },
  { name: 'a top-level array', chunks: ['[1,{"x":"]"}]'], want: [[1, { x: ']' }]] },
  { name: 'nothing yet', chunks: ['{"a":{"b":'], want: [] },
];
for (const { name, chunks, want } of framingCases) {
  test(`framing: ${name}`, () => {
    const { values, last } = frame(chunks);
    assert.equal(last.ok, true);
    assert.deepEqual(values, want);
  });
}

test('framing: one character at a time gives the same messages', () => {
  const text = '{"id":"echo","method":"echo","params":["{\\"x\\"}"]} {"id":7,"result":{"k":[1,2]},"error":null}';
  assert.deepEqual(frame([...text]).values, [
    { id: 'echo', method: 'echo', params: ['{"x"}'] },
    { id: 7, result: { k: [1, 2] }, error: null },
  ]);
});

test('framing: a multi-byte UTF-8 character split between chunks survives', () => {
  const bytes = Buffer.from('{"s":"é→ü"}', 'utf8');
  const chunks = [...bytes].map((b) => Uint8Array.of(b));
  assert.deepEqual(frame(chunks).values, [{ s: 'é→ü' }]);
});

test('framing: a byte that cannot start a message fails the stream, and it stays failed', () => {
  const reader = new JsonStreamReader();
  const r = reader.push('{"a":1} x{"b":2}');
  assert.deepEqual(r.values, [{ a: 1 }]);
  assert.deepEqual(r.ok ? null : r.reason, { kind: 'unexpected-byte', byte: 'x' });
  assert.equal(reader.push('{"c":3}').ok, false);
});

test('framing: balanced but invalid JSON is reported, not thrown', () => {
  const r = new JsonStreamReader().push('{a:1}');
  assert.equal(r.ok, false);
  assert.equal(r.ok ? null : r.reason.kind, 'not-json');
});

test('framing: a message over the size limit fails the stream', () => {
  const reader = new JsonStreamReader({ maxMessageBytes: 64 });
  assert.equal(reader.push('{"a":"').ok, true);
  const r = reader.push('x'.repeat(100));
  assert.deepEqual(r.ok ? null : r.reason, { kind: 'too-large', limitBytes: 64 });
});

const messageCases = [
  {
    name: 'a response',
    value: { id: 3, result: [{}], error: null },
    want: { ok: true, message: { kind: 'response', id: 3, result: [{}], error: null } },
  },
  {
    name: 'an error response',
    value: { id: 4, result: null, error: 'unknown database' },
    want: { ok: true, message: { kind: 'response', id: 4, result: null, error: 'unknown database' } },
  },
  {
    name: 'an echo request from the server',
    value: { id: 'echo', method: 'echo', params: [] },
    want: { ok: true, message: { kind: 'request', id: 'echo', method: 'echo', params: [] } },
  },
  {
    name: 'an update notification',
    value: { id: null, method: 'update', params: [null, {}] },
    want: { ok: true, message: { kind: 'notification', method: 'update', params: [null, {}] } },
  },
  { name: 'not an object', value: [1], want: { ok: false, reason: 'message is not a JSON object' } },
  {
    name: 'a request without params',
    value: { id: 1, method: 'echo' },
    want: { ok: false, reason: "'echo' has no params array" },
  },
  {
    name: 'a response without id',
    value: { result: 1 },
    want: { ok: false, reason: 'response has an id that is neither number nor string' },
  },
  { name: 'neither', value: { hello: 1 }, want: { ok: false, reason: 'message is neither a request nor a response' } },
];
for (const { name, value, want } of messageCases) {
  test(`decodeMessage: ${name}`, () => assert.deepEqual(decodeMessage(value), want));
}

test('echo requests are answered with their params (RFC 7047 §4.1.11); other methods with an error', () => {
  assert.deepEqual(JSON.parse(answerRequest({ id: 'echo', method: 'echo', params: ['x', 1] })), {
    id: 'echo',
    result: ['x', 1],
    error: null,
  });
  assert.deepEqual(JSON.parse(answerRequest({ id: 9, method: 'lock', params: [] })), {
    id: 9,
    result: null,
    error: 'unknown method lock',
  });
  assert.equal(encodeRequest(1, 'list_dbs', []), '{"method":"list_dbs","params":[],"id":1}');
});

test('the correlator matches each response to its request once', () => {
  const c = new Correlator<string>();
  const a = c.open('first');
  const b = c.open('second');
  assert.notEqual(a, b);
  assert.equal(c.settle(b), 'second');
  assert.equal(c.settle(b), null, 'a repeated id matches nothing');
  assert.equal(c.settle(999), null);
  assert.equal(c.size, 1);
  assert.deepEqual(c.drain(), ['first']);
  assert.equal(c.size, 0);
});

test('values: sets, bare atoms, maps, uuids and optional columns', () => {
  assert.deepEqual(decodeSet(['set', [1, 2]]), [1, 2]);
  assert.deepEqual(decodeSet(5), [5], 'a one-element set may be the bare atom');
  assert.deepEqual(decodeSet(['set', []]), []);
  assert.deepEqual(decodeIntegerSet(['set', [300, 'x', 301]]), [300, 301]);
  assert.equal(decodeOptionalInteger(['set', []]), null, 'an empty tag');
  assert.equal(decodeOptionalInteger(100), 100);
  assert.equal(decodeOptionalString('access'), 'access');
  assert.equal(decodeOptionalString(['set', []]), null);
  assert.deepEqual([...decodeStringMap(['map', [['lacp-time', 'fast']]])], [['lacp-time', 'fast']]);
  assert.equal(decodeStringMap(['set', []]).size, 0);
  assert.equal(decodeUuid(['uuid', 'abc']), 'abc');
  assert.equal(decodeUuid(['named-uuid', 'abc']), null);
  assert.deepEqual(optional(null), ['set', []]);
  assert.deepEqual(optional(7), 7);
});

test('operation builders produce RFC 7047 §5.2 JSON', () => {
  const ops = [
    insert(
      'Port',
      { name: 'bond0', interfaces: ovsSet([uuid('u1'), namedUuid('i2')]), other_config: ovsMap([['a', 'b']]) },
      'p0',
    ),
    waitUntilEqual('Bridge', [['name', '==', 'br']], ['ports'], [{ ports: ovsSet([]) }]),
  ];
  assert.equal(
    JSON.stringify(transactParams('Open_vSwitch', ops)),
    '["Open_vSwitch",' +
      '{"op":"insert","table":"Port","row":{"name":"bond0","interfaces":["set",[["uuid","u1"],["named-uuid","i2"]]],"other_config":["map",[["a","b"]]]},"uuid-name":"p0"},' +
      '{"op":"wait","table":"Bridge","where":[["name","==","br"]],"columns":["ports"],"until":"==","rows":[{"ports":["set",[]]}],"timeout":0}]',
  );
});

const resultCases = [
  {
    name: 'every operation succeeded',
    result: [{ rows: [] }, {}],
    count: 2,
    want: { ok: true, results: [{ rows: [] }, {}] },
  },
  {
    name: 'an operation failed',
    result: [{}, { error: 'constraint violation', details: 'duplicate name' }, null],
    count: 3,
    want: { ok: false, error: { error: 'constraint violation', details: 'duplicate name', opIndex: 1 } },
  },
  {
    name: 'the commit failed after every operation',
    result: [{}, { error: 'referential integrity violation' }],
    count: 1,
    want: { ok: false, error: { error: 'referential integrity violation', details: null, opIndex: null } },
  },
  {
    name: 'a short result',
    result: [{}],
    count: 2,
    want: { ok: false, error: { error: 'short result', details: '1 of 2 results', opIndex: null } },
  },
  {
    name: 'not an array',
    result: 'x',
    count: 1,
    want: { ok: false, error: { error: 'malformed result', details: '"x"', opIndex: null } },
  },
];
for (const { name, result, count, want } of resultCases) {
  test(`transact result: ${name}`, () => assert.deepEqual(decodeTransactResult(result, count), want));
}
