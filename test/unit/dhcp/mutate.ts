/** Deterministic mutation of DHCP packets for the codec fuzz test and `scripts/fuzz-dhcp.ts`. */
import assert from 'node:assert/strict';
import { type DhcpPacket, decodePacket, encodePacket } from '../../../src/dhcp/codec/packet.ts';
import { edk2Request, httpBootDiscover, IPXE_MAC, ipxeBiosDiscover, rawPacket, udhcpcDiscover } from './packets.ts';

/** mulberry32: small, fast, reproducible from a 32-bit seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedPackets(): Buffer[] {
  const relayed = rawPacket({
    mac: [2, 0, 0, 0, 0, 9],
    giaddr: [10, 1, 2, 1],
    options: [
      { code: 53, bytes: [3] },
      { code: 50, bytes: [10, 1, 2, 7] },
      { code: 82, bytes: [1, 4, 0x65, 0x74, 0x68, 0x30, 2, 6, 0, 1, 2, 3, 4, 5] },
    ],
  });
  const overloaded = rawPacket({
    mac: IPXE_MAC,
    options: [
      { code: 52, bytes: [3] },
      { code: 12, bytes: [0x61] },
    ],
    file: [12, 1, 0x62, 53, 1, 1, 255],
    sname: [15, 3, 0x61, 0x62, 0x63, 255],
  });
  const long = rawPacket({
    mac: IPXE_MAC,
    options: [
      { code: 53, bytes: [1] },
      { code: 77, bytes: Array(255).fill(0x41) },
      { code: 77, bytes: Array(40).fill(0x42) },
    ],
  });
  return [
    ipxeBiosDiscover(),
    edk2Request([10, 66, 100, 1], [10, 66, 100, 50]),
    httpBootDiscover(),
    udhcpcDiscover([2, 0, 0, 0, 0, 1]),
    relayed,
    overloaded,
    long,
  ];
}

/** One random mutation (or a few stacked) of `seed`. */
export function mutate(seed: Buffer, rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  let b = Buffer.from(seed);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    switch (int(8)) {
      case 0: {
        const i = int(b.length);
        b[i] = (b[i] ?? 0) ^ (1 << int(8)); // bit flip
        break;
      }
      case 1:
        b = b.subarray(0, int(b.length + 1)); // truncation
        break;
      case 2: {
        // corrupt the length byte of an option in the options field
        const i = 240 + int(Math.max(1, b.length - 240));
        if (i + 1 < b.length) b[i + 1] = int(256);
        break;
      }
      case 3: {
        // overload: set option 52 in the options field, maybe plant another in file/sname (loop)
        const head = Buffer.from([52, 1, 1 + int(3)]);
        b = Buffer.concat([b.subarray(0, 240), head, b.subarray(240)]);
        if (b.length < 243) break;
        if (rnd() < 0.5) b.set([52, 1, 1 + int(3)], rnd() < 0.5 ? 108 : 44);
        if (rnd() < 0.5) b.set([int(256), int(80)], 108 + int(126));
        break;
      }
      case 4:
        b = Buffer.concat([b, Buffer.from(Array.from({ length: int(64) }, () => int(256)))]); // trailing junk
        break;
      case 5: {
        const i = int(b.length);
        b[i] = int(256); // random byte
        break;
      }
      case 6: {
        // duplicate an option instance (RFC 3396 concatenation)
        const i = 240 + int(Math.max(1, b.length - 240));
        const len = b[i + 1] ?? 0;
        b = Buffer.concat([b.subarray(0, 240), b.subarray(i, i + 2 + len), b.subarray(240)]);
        break;
      }
      default: {
        // remove the End option
        const end = b.lastIndexOf(255);
        if (end >= 240) b = b.subarray(0, end);
      }
    }
  }
  return b;
}

export interface FuzzStats {
  decoded: number;
  refused: Map<string, number>;
}

/** Decodes `bytes`; when it decodes, checks that encoding round-trips (plain and at a 576-byte limit). */
export function checkOne(bytes: Buffer, stats: FuzzStats): void {
  const r = decodePacket(bytes);
  if (!r.ok) {
    stats.refused.set(r.reason, (stats.refused.get(r.reason) ?? 0) + 1);
    return;
  }
  stats.decoded += 1;
  roundTrip(r.packet, 65507);
  roundTrip(r.packet, 548);
}

function roundTrip(p: DhcpPacket, maxBytes: number): void {
  const enc = encodePacket(p, maxBytes);
  if (!enc.ok) {
    assert.ok(maxBytes < 65507, 'every decodable packet encodes without a size limit');
    return;
  }
  assert.ok(enc.bytes.length <= Math.max(300, maxBytes));
  const again = decodePacket(enc.bytes);
  assert.ok(again.ok, 'encoded packet decodes');
  assert.deepStrictEqual(again.packet, p);
}
