/**
 * Longer fuzz runs of the DHCPv4 codec than CI's: `$(scripts/node-runtime.sh) scripts/fuzz-dhcp.ts --count N --seed S`.
 * Exits 1 with the failing packet in hex when decode throws or a packet does not round-trip.
 */
import { parseArgs } from 'node:util';
import { checkOne, type FuzzStats, mutate, prng, seedPackets } from '../test/unit/dhcp/mutate.ts';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '1000000' }, seed: { type: 'string' } },
});
const count = Number(values.count);
const seed = Number(values.seed ?? Date.now() % 2 ** 32);
const rnd = prng(seed);
const seeds = seedPackets();
const stats: FuzzStats = { decoded: 0, refused: new Map() };
process.stdout.write(`fuzz-dhcp: seed ${seed}, ${count} packets\n`);
for (let i = 0; i < count; i++) {
  const bytes = mutate(seeds[i % seeds.length] ?? Buffer.alloc(0), rnd);
  try {
    checkOne(bytes, stats);
  } catch (err) {
    process.stdout.write(`FAIL case ${i} (seed ${seed}): ${bytes.toString('hex')}\n${String(err)}\n`);
    process.exit(1);
  }
}
process.stdout.write(`ok: decoded ${stats.decoded}, refused ${JSON.stringify(Object.fromEntries(stats.refused))}\n`);
