import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GatewayConflictWithAllocationPools,
  InvalidCIDR,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
} from '../../../src/domain/errors.ts';
import { formatIp, normalizeIp, parseCidr, parseIp } from '../../../src/domain/ip.ts';
import {
  defaultAllocationPools,
  defaultGateway,
  lowestFree,
  poolRanges,
  validateAllocationPools,
} from '../../../src/domain/ipam.ts';

const ipCases = [
  ['10.0.0.1', '10.0.0.1'],
  ['FD00::1', 'fd00::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['::ffff:10.0.0.1', '::ffff:a00:1'],
  ['0:0:0:0:0:0:0:0', '::'],
] as const;
for (const [input, want] of ipCases)
  test(`normalizeIp(${input}) is ${want}`, () => assert.equal(normalizeIp(input), want));
for (const bad of ['10.0.0.256', '10.0.0', '1::2::3', 'fd00::g', '']) {
  test(`parseIp refuses '${bad}'`, () => assert.throws(() => parseIp(bad)));
}

test('parseCidr clears host bits and refuses bad prefixes', () => {
  assert.equal(parseCidr('10.0.0.7/24').text, '10.0.0.0/24');
  assert.equal(parseCidr('fd00::1/64').text, 'fd00::/64');
  for (const bad of ['10.0.0.0/33', '10.0.0.0', 'x/24']) assert.throws(() => parseCidr(bad), InvalidCIDR);
});

const poolCases = [
  { cidr: '10.0.0.0/24', gw: '10.0.0.1', want: [{ start: '10.0.0.2', end: '10.0.0.254' }] },
  {
    cidr: '10.0.0.0/24',
    gw: '10.0.0.100',
    want: [
      { start: '10.0.0.1', end: '10.0.0.99' },
      { start: '10.0.0.101', end: '10.0.0.254' },
    ],
  },
  { cidr: '10.0.0.0/24', gw: null, want: [{ start: '10.0.0.1', end: '10.0.0.254' }] },
  { cidr: '10.0.0.0/30', gw: '10.0.0.1', want: [{ start: '10.0.0.2', end: '10.0.0.2' }] },
  { cidr: 'fd00::/126', gw: 'fd00::1', want: [{ start: 'fd00::2', end: 'fd00::3' }] },
];
for (const { cidr, gw, want } of poolCases) {
  test(`default pools of ${cidr} with gateway ${gw}`, () =>
    assert.deepEqual(defaultAllocationPools(parseCidr(cidr), gw), want));
}
test('default gateway is the first host', () =>
  assert.equal(defaultGateway(parseCidr('192.168.1.0/24')), '192.168.1.1'));

test('pool validation: bounds, overlap, gateway', () => {
  const c = parseCidr('10.0.0.0/24');
  assert.throws(
    () => validateAllocationPools(c, null, [{ start: '10.0.0.0', end: '10.0.0.5' }]),
    OutOfBoundsAllocationPool,
  );
  assert.throws(
    () => validateAllocationPools(c, null, [{ start: '10.0.0.250', end: '10.0.0.255' }]),
    OutOfBoundsAllocationPool,
  );
  assert.throws(
    () =>
      validateAllocationPools(c, null, [
        { start: '10.0.0.10', end: '10.0.0.20' },
        { start: '10.0.0.20', end: '10.0.0.30' },
      ]),
    OverlappingAllocationPools,
  );
  assert.throws(
    () => validateAllocationPools(c, '10.0.0.15', [{ start: '10.0.0.10', end: '10.0.0.20' }]),
    GatewayConflictWithAllocationPools,
  );
  assert.deepEqual(validateAllocationPools(c, '10.0.0.1', [{ start: '10.0.0.010', end: '10.0.0.20' }].slice(0, 0)), []);
});

const freeCases = [
  { pools: [['10.0.0.2', '10.0.0.5']], taken: [], want: '10.0.0.2' },
  { pools: [['10.0.0.2', '10.0.0.5']], taken: ['10.0.0.2', '10.0.0.3'], want: '10.0.0.4' },
  { pools: [['10.0.0.2', '10.0.0.5']], taken: ['10.0.0.2', '10.0.0.4'], want: '10.0.0.3' },
  {
    pools: [
      ['10.0.0.2', '10.0.0.3'],
      ['10.0.0.9', '10.0.0.9'],
    ],
    taken: ['10.0.0.2', '10.0.0.3'],
    want: '10.0.0.9',
  },
  { pools: [['10.0.0.2', '10.0.0.3']], taken: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], want: null },
];
for (const { pools, taken, want } of freeCases) {
  test(`lowestFree with ${taken.join(',') || 'nothing'} taken is ${want}`, () => {
    const ranges = poolRanges(pools.map(([start = '', end = '']) => ({ start, end })));
    const got = lowestFree(
      ranges,
      taken.map((t) => parseIp(t).value),
    );
    assert.equal(got === null ? null : formatIp(4, got), want);
  });
}
