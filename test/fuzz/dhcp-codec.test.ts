/**
 * Fuzz of the DHCPv4 codec ("Bad input"): mutated real client packets never make decode
 * throw, and every packet that decodes survives encode → decode unchanged. Longer runs:
 * `$(scripts/node-runtime.sh) scripts/fuzz-dhcp.ts --count N --seed S`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOne, type FuzzStats, mutate, prng, seedPackets } from '../unit/dhcp/mutate.ts';

const COUNT = 100_000;

test(`decode never throws and round-trips on ${COUNT} mutated packets`, (t) => {
  const seed = Number(process.env.BMNET_FUZZ_SEED ?? Date.now() % 2 ** 32);
  t.diagnostic(`seed ${seed} (BMNET_FUZZ_SEED=${seed} to repeat)`);
  const rnd = prng(seed);
  const seeds = seedPackets();
  const stats: FuzzStats = { decoded: 0, refused: new Map() };
  for (let i = 0; i < COUNT; i++) {
    const base = seeds[i % seeds.length] ?? Buffer.alloc(0);
    const bytes = mutate(base, rnd);
    try {
      checkOne(bytes, stats);
    } catch (err) {
      throw new Error(`seed ${seed}, case ${i}: ${bytes.toString('hex')}`, { cause: err });
    }
  }
  t.diagnostic(`decoded ${stats.decoded}, refused ${JSON.stringify(Object.fromEntries(stats.refused))}`);
  assert.ok(stats.decoded > COUNT / 10, 'mutations still reach the encoder');
  assert.ok(stats.refused.size >= 5, 'mutations reach the failure paths');
});
