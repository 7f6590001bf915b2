/** Generated MAC addresses: Neutron's base_mac with the zero octets filled at random. Pure (randomness injected). */
export function generateMac(baseMac: string, randomBytes: (n: number) => Uint8Array): string {
  const base = baseMac.split(':').map((h) => Number.parseInt(h, 16));
  const rnd = randomBytes(6);
  return base
    .map((b, i) => (i >= 3 && b === 0 ? (rnd[i] ?? 0) : b))
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':');
}
