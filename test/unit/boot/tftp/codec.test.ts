import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DecodeResult,
  decodePacket,
  encodeDataHeader,
  encodeError,
  encodePacket,
  fromNetascii,
  type TftpPacket,
  toNetascii,
} from '../../../../src/boot/tftp/codec.ts';

const b = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

const decodeCases: { name: string; bytes: Buffer; want: DecodeResult }[] = [
  {
    name: 'iPXE read request with blksize and tsize',
    bytes: b([0, 1], 'boot.ipxe\0octet\0blksize\x001432\0tsize\x000\0'),
    want: {
      ok: true,
      packet: {
        kind: 'rrq',
        filename: 'boot.ipxe',
        mode: 'octet',
        options: [
          { name: 'blksize', value: '1432' },
          { name: 'tsize', value: '0' },
        ],
      },
    },
  },
  {
    name: 'mode is case-insensitive (RFC 1350 §5)',
    bytes: b([0, 1], 'a\0NetASCII\0'),
    want: { ok: true, packet: { kind: 'rrq', filename: 'a', mode: 'netascii', options: [] } },
  },
  {
    name: 'write request',
    bytes: b([0, 2], 'up\0octet\0'),
    want: { ok: true, packet: { kind: 'wrq', filename: 'up', mode: 'octet', options: [] } },
  },
  { name: 'ACK', bytes: b([0, 4, 1, 2]), want: { ok: true, packet: { kind: 'ack', block: 258 } } },
  { name: 'padded ACK', bytes: b([0, 4, 0, 7, 0, 0]), want: { ok: true, packet: { kind: 'ack', block: 7 } } },
  {
    name: 'EDK2 aborts after the OACK with error 8',
    bytes: b([0, 5, 0, 8], 'User aborted the transfer\0'),
    want: { ok: true, packet: { kind: 'error', code: 8, message: 'User aborted the transfer' } },
  },
  {
    name: 'error without its terminating NUL',
    bytes: b([0, 5, 0, 1], 'gone'),
    want: { ok: true, packet: { kind: 'error', code: 1, message: 'gone' } },
  },
  {
    name: 'OACK',
    bytes: b([0, 6], 'tsize\x0042\0'),
    want: { ok: true, packet: { kind: 'oack', options: [{ name: 'tsize', value: '42' }] } },
  },
  { name: 'one byte', bytes: b([0]), want: { ok: false, reason: 'too-short' } },
  { name: 'opcode 7', bytes: b([0, 7, 0, 0]), want: { ok: false, reason: 'unknown-opcode' } },
  { name: 'opcode 0', bytes: b([0, 0]), want: { ok: false, reason: 'unknown-opcode' } },
  { name: 'short ACK', bytes: b([0, 4, 1]), want: { ok: false, reason: 'too-short' } },
  { name: 'request without mode', bytes: b([0, 1], 'file\0'), want: { ok: false, reason: 'too-short' } },
  { name: 'unterminated mode', bytes: b([0, 1], 'file\0octet'), want: { ok: false, reason: 'unterminated-string' } },
  { name: 'unknown mode', bytes: b([0, 1], 'file\0binary\0'), want: { ok: false, reason: 'unknown-mode' } },
  {
    name: 'option without value',
    bytes: b([0, 1], 'file\0octet\0blksize\0'),
    want: { ok: false, reason: 'option-without-value' },
  },
  {
    name: 'empty option name',
    bytes: b([0, 1], 'file\0octet\0\x001\0'),
    want: { ok: false, reason: 'empty-option-name' },
  },
];

for (const { name, bytes, want } of decodeCases) {
  test(`decodePacket: ${name}`, () => assert.deepStrictEqual(decodePacket(bytes), want));
}

test('decodePacket: DATA carries its payload', () => {
  const r = decodePacket(b([0, 3, 0xff, 0xff], [1, 2, 3]));
  assert.ok(r.ok && r.packet.kind === 'data');
  assert.equal(r.packet.block, 65535);
  assert.deepStrictEqual(Buffer.from(r.packet.data), Buffer.from([1, 2, 3]));
});

const encodeCases: { name: string; packet: TftpPacket; want: Buffer }[] = [
  {
    name: 'RRQ with options',
    packet: { kind: 'rrq', filename: 'x', mode: 'octet', options: [{ name: 'windowsize', value: '4' }] },
    want: b([0, 1], 'x\0octet\0windowsize\x004\0'),
  },
  { name: 'ACK of block 65535', packet: { kind: 'ack', block: 65535 }, want: b([0, 4, 255, 255]) },
  { name: 'error 2', packet: { kind: 'error', code: 2, message: 'no' }, want: b([0, 5, 0, 2], 'no\0') },
  {
    name: 'OACK',
    packet: { kind: 'oack', options: [{ name: 'blksize', value: '1468' }] },
    want: b([0, 6], 'blksize\x001468\0'),
  },
  { name: 'DATA', packet: { kind: 'data', block: 1, data: Buffer.from('hi') }, want: b([0, 3, 0, 1], 'hi') },
];
for (const { name, packet, want } of encodeCases) {
  test(`encodePacket: ${name}`, () => {
    const bytes = encodePacket(packet);
    assert.deepStrictEqual(bytes, want);
    assert.deepStrictEqual(decodePacket(bytes), { ok: true, packet });
  });
}

test('block numbers are written modulo 65536 (roll-over to 0)', () => {
  assert.deepStrictEqual(encodeDataHeader(65536), b([0, 3, 0, 0]));
  assert.deepStrictEqual(encodeDataHeader(65537), b([0, 3, 0, 1]));
  assert.deepStrictEqual(encodeError(1, ''), b([0, 5, 0, 1, 0]));
});

const netasciiCases = [
  { input: 'a\nb', want: 'a\r\nb' },
  { input: 'a\rb', want: 'a\r\0b' },
  { input: '\n\n', want: '\r\n\r\n' },
  { input: 'plain', want: 'plain' },
  { input: '', want: '' },
];
for (const { input, want } of netasciiCases) {
  test(`toNetascii ${JSON.stringify(input)}`, () =>
    assert.deepStrictEqual(toNetascii(Buffer.from(input, 'latin1')), Buffer.from(want, 'latin1')));
}

for (const { input, want } of netasciiCases) {
  test(`fromNetascii reverses toNetascii for ${JSON.stringify(input)}`, () =>
    assert.deepStrictEqual(fromNetascii(Buffer.from(want, 'latin1')), Buffer.from(input, 'latin1')));
}
test('fromNetascii keeps a lone CR at the end', () =>
  assert.deepStrictEqual(fromNetascii(Buffer.from('a\r', 'latin1')), Buffer.from('a\r', 'latin1')));
