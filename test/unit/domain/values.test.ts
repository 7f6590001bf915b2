import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../src/domain/errors.ts';
import { macFromBytes, parseMac, parseSwitchPortName, parseVlan } from '../../../src/domain/values.ts';

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

test('macFromBytes writes the first six bytes as a lower-case, colon-separated MAC', () => {
  assert.equal(macFromBytes(Uint8Array.from([0x00, 0x0c, 0xab, 0xff, 0x10, 0x01, 0x99, 0x99])), '00:0c:ab:ff:10:01');
  for (let i = 0; i < 256; i++) {
    const bytes = Uint8Array.from([i, 255 - i, i ^ 0x5a, 0, 255, i]);
    assert.equal(macFromBytes(bytes), parseMac([...bytes].map((x) => x.toString(16).padStart(2, '0')).join(':')));
  }
});
