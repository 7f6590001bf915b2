import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../src/domain/errors.js';
import { parseMac, parseSwitchPortName, parseVlan } from '../../../src/domain/values.js';

const macCases = [
  { input: 'AA:BB:CC:DD:EE:FF', want: 'aa:bb:cc:dd:ee:ff' },
  { input: 'aa-bb-cc-dd-ee-0f', want: 'aa:bb:cc:dd:ee:0f' },
  { input: 'aabbccddeeff', want: 'aa:bb:cc:dd:ee:ff' },
];
for (const { input, want } of macCases) {
  test(`parseMac normalises ${input}`, () => assert.equal(parseMac(input), want));
}
for (const bad of ['aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'zz:bb:cc:dd:ee:ff', '']) {
  test(`parseMac refuses '${bad}'`, () => assert.throws(() => parseMac(bad), InvalidInput));
}
test('parseVlan accepts 1..4094 only', () => {
  assert.equal(parseVlan(1), 1);
  assert.equal(parseVlan(4094), 4094);
  for (const bad of [0, 4095, 1.5, -1]) assert.throws(() => parseVlan(bad), InvalidInput);
});
test('parseSwitchPortName refuses shell and CLI metacharacters', () => {
  assert.equal(parseSwitchPortName('Ethernet1/1'), 'Ethernet1/1');
  for (const bad of ['eth0; reboot', 'a b', '', '-x', 'x$y'])
    assert.throws(() => parseSwitchPortName(bad), InvalidInput);
});
