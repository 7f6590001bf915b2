import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput, NoNetworkAvailable } from '../../../src/domain/errors.ts';
import { allocateVlan, parseVlanRange } from '../../../src/domain/vlan-pool.ts';

test('ranges parse in Neutron and dash forms', () => {
  assert.deepEqual(parseVlanRange('1000:1999'), { first: 1000, last: 1999 });
  assert.deepEqual(parseVlanRange('10-20'), { first: 10, last: 20 });
  for (const bad of ['20:10', '0:5', '1:4095', 'x']) assert.throws(() => parseVlanRange(bad), InvalidInput);
});

test('allocation takes the lowest free VLAN across ranges, then fails with NoNetworkAvailable', () => {
  const ranges = [parseVlanRange('100:101'), parseVlanRange('200:200')];
  assert.equal(allocateVlan(ranges, new Set()), 100);
  assert.equal(allocateVlan(ranges, new Set([100])), 101);
  assert.equal(allocateVlan(ranges, new Set([100, 101])), 200);
  assert.throws(() => allocateVlan(ranges, new Set([100, 101, 200])), NoNetworkAvailable);
});
