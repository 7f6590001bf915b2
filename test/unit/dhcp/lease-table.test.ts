import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4FromNumber, ipv4ToNumber } from '../../../src/dhcp/codec/ipv4.ts';
import { LeaseTable } from '../../../src/dhcp/lease-table.ts';
import type { AddressRange, Lease, LeaseState } from '../../../src/dhcp/model.ts';
import { type Mac, parseMac } from '../../../src/domain/values.ts';

const macOf = (i: number): Mac =>
  parseMac(
    `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
  );
const lease = (i: number, ip: string, state: LeaseState = 'bound'): Lease => ({
  mac: macOf(i),
  ip,
  subnetId: 's',
  state,
  expiresAtMs: 10,
});
const put = (l: Lease) => ({ kind: 'put' as const, networkId: 'n', lease: l });

test('a MAC holds one lease: a new address replaces the old, a quarantined address stays and is not its lease', () => {
  const t = new LeaseTable();
  assert.deepEqual(t.apply(put(lease(1, '10.0.0.5', 'declined'))), ['10.0.0.5']);
  assert.equal(t.ofMac(macOf(1)), undefined);
  t.apply(put(lease(1, '10.0.0.6', 'offered')));
  assert.deepEqual(t.apply(put(lease(1, '10.0.0.7'))), ['10.0.0.7', '10.0.0.6']);
  assert.deepEqual(
    [...t.values()].map((l) => [l.ip, l.state]),
    [
      ['10.0.0.5', 'declined'],
      ['10.0.0.7', 'bound'],
    ],
  );
  assert.equal(t.ofMac(macOf(1))?.ip, '10.0.0.7');
  // declining its own address: the address is quarantined and the MAC holds nothing
  t.apply(put(lease(1, '10.0.0.7', 'declined')));
  assert.equal(t.ofMac(macOf(1)), undefined);
  assert.equal(t.at('10.0.0.7')?.state, 'declined');
  // another MAC taking over an address drops it from the previous holder
  t.apply(put(lease(2, '10.0.0.9')));
  t.apply(put(lease(3, '10.0.0.9')));
  assert.equal(t.ofMac(macOf(2)), undefined);
  assert.equal(t.ofMac(macOf(3))?.ip, '10.0.0.9');
});

test('remove drops a lease only for the MAC that holds it', () => {
  const t = LeaseTable.of([lease(1, '10.0.0.5')]);
  assert.deepEqual(t.apply({ kind: 'remove', networkId: 'n', mac: macOf(2), ip: '10.0.0.5' }), []);
  assert.deepEqual(t.apply({ kind: 'remove', networkId: 'n', mac: macOf(1), ip: '10.0.0.5' }), ['10.0.0.5']);
  assert.equal(t.size, 0);
  assert.equal(t.ofMac(macOf(1)), undefined);
});

/** The answer firstUnleased must give, by walking the range. */
function naiveFirst(t: LeaseTable, range: AddressRange, usable: (ip: string) => boolean): string | null {
  for (let n = ipv4ToNumber(range.start); n <= ipv4ToNumber(range.end); n++) {
    const ip = ipv4FromNumber(n);
    if (t.at(ip) === undefined && usable(ip)) return ip;
  }
  return null;
}

test('firstUnleased agrees with a walk of the range under random puts, removes and unusable addresses', () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const ranges: AddressRange[] = [
    { start: '10.0.0.10', end: '10.0.0.60' },
    { start: '10.0.0.40', end: '10.0.0.90' }, // overlapping ranges keep their own marks
  ];
  const t = new LeaseTable();
  let unusable = new Set<string>();
  for (let step = 0; step < 5000; step++) {
    const ip = ipv4FromNumber(ipv4ToNumber('10.0.0.0') + 5 + random(90));
    const mac = random(60);
    switch (random(6)) {
      case 0:
      case 1:
      case 2: {
        t.apply(put(lease(mac, ip, random(8) === 0 ? 'declined' : 'offered')));
        break;
      }
      case 3: {
        const holder = t.at(ip);
        if (holder) t.apply({ kind: 'remove', networkId: 'n', mac: holder.mac, ip });
        break;
      }
      case 4:
        unusable = new Set(
          Array.from({ length: random(4) }, () => ipv4FromNumber(ipv4ToNumber('10.0.0.10') + random(80))),
        );
        break;
      default: {
        for (const range of ranges) {
          const usable = (x: string) => !unusable.has(x);
          assert.equal(t.firstUnleased(range, usable), naiveFirst(t, range, usable), `step ${step}`);
        }
        // a MAC's lease is its one address that is not quarantined
        for (let m = 0; m < 60; m++) {
          const held = [...t.values()].filter((l) => l.mac === macOf(m) && l.state !== 'declined');
          assert.ok(held.length <= 1, `step ${step}: MAC ${m} holds ${held.length} addresses`);
          assert.equal(t.ofMac(macOf(m)), held[0], `step ${step}: MAC ${m}`);
        }
      }
    }
  }
});

test('a 60,000-address pool taken one by one gives every address once, in order, then none', () => {
  const t = new LeaseTable();
  const range = { start: '10.77.1.0', end: '10.77.235.95' };
  for (let i = 0; i < 60_000; i++) {
    const ip = t.firstUnleased(range, () => true);
    assert.equal(ip, ipv4FromNumber(ipv4ToNumber(range.start) + i));
    t.apply(put(lease(i, ip)));
  }
  assert.equal(
    t.firstUnleased(range, () => true),
    null,
  );
  t.apply({ kind: 'remove', networkId: 'n', mac: macOf(123), ip: ipv4FromNumber(ipv4ToNumber(range.start) + 123) });
  assert.equal(
    t.firstUnleased(range, () => true),
    ipv4FromNumber(ipv4ToNumber(range.start) + 123),
  );
});
