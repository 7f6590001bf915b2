/**
 * The TFTP decoder on mutated packets: it never throws, and whatever it accepts encodes back to a packet
 * that decodes to the same value. Deterministic: the seed is printed and can be set with TFTP_FUZZ_SEED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePacket, encodePacket, type TftpPacket } from '../../src/boot/tftp/codec.ts';

const ITERATIONS = 60_000;
const SEED = Number(process.env.TFTP_FUZZ_SEED ?? 0x7f7b00);

/** mulberry32: small, seedable, good enough to pick mutations. */
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

const seeds: TftpPacket[] = [
  {
    kind: 'rrq',
    filename: 'boot.ipxe',
    mode: 'octet',
    options: [
      { name: 'blksize', value: '1432' },
      { name: 'tsize', value: '0' },
    ],
  },
  {
    kind: 'rrq',
    filename: 'snponly.efi',
    mode: 'octet',
    options: [
      { name: 'tsize', value: '0' },
      { name: 'blksize', value: '1468' },
      { name: 'windowsize', value: '4' },
    ],
  },
  { kind: 'rrq', filename: 'pxelinux.cfg/01-52-54-00-cf-6a-cd', mode: 'netascii', options: [] },
  { kind: 'wrq', filename: 'upload.bin', mode: 'octet', options: [{ name: 'timeout', value: '3' }] },
  { kind: 'data', block: 65535, data: Buffer.from('0123456789abcdef') },
  { kind: 'ack', block: 0 },
  { kind: 'error', code: 8, message: 'User aborted the transfer' },
  { kind: 'oack', options: [{ name: 'blksize', value: '1468' }] },
];

function mutate(bytes: Buffer, r: () => number): Buffer {
  const out = [...bytes];
  const rounds = 1 + Math.floor(r() * 4);
  for (let i = 0; i < rounds; i++) {
    const at = Math.floor(r() * (out.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0: // flip a byte
        if (out.length > 0) out[at % out.length] = Math.floor(r() * 256);
        break;
      case 1: // insert a byte, often a NUL (the string terminator)
        out.splice(at, 0, r() < 0.5 ? 0 : Math.floor(r() * 256));
        break;
      case 2: // delete a byte
        out.splice(at, 1);
        break;
      case 3: // truncate
        out.length = Math.min(out.length, at);
        break;
      case 4: // random opcode
        out[0] = 0;
        out[1] = Math.floor(r() * 8);
        break;
      default: // append random bytes
        for (let k = Math.floor(r() * 8); k > 0; k--) out.push(Math.floor(r() * 256));
    }
  }
  return Buffer.from(out);
}

test(`decodePacket survives ${ITERATIONS} mutated packets and round-trips what it accepts (seed ${SEED})`, () => {
  const r = rng(SEED);
  const encodedSeeds = seeds.map((p) => encodePacket(p));
  let accepted = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const base = encodedSeeds[i % encodedSeeds.length] ?? Buffer.alloc(0);
    const bytes = mutate(base, r);
    const decoded = decodePacket(bytes);
    if (!decoded.ok) continue;
    accepted++;
    const again = decodePacket(encodePacket(decoded.packet));
    assert.ok(again.ok, `re-encoded packet from ${bytes.toString('hex')} does not decode`);
    assert.deepStrictEqual(again.packet, decoded.packet, `round-trip of ${bytes.toString('hex')}`);
  }
  assert.ok(accepted > ITERATIONS / 20, `only ${accepted} mutated packets were accepted: the mutations are too blunt`);
});

test('canonical packets are re-encoded byte for byte', () => {
  for (const p of seeds) {
    const bytes = encodePacket(p);
    const decoded = decodePacket(bytes);
    assert.ok(decoded.ok);
    assert.deepStrictEqual(encodePacket(decoded.packet), bytes);
  }
});
