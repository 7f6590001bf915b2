import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseLagName, fallbackLagName } from '../../../src/domain/lag-name.ts';

const choose: { name: string; template: string; used: string[]; want: string }[] = [
  { name: 'the first number on a switch with no LAG', template: 'bond{n}', used: [], want: 'bond1' },
  { name: 'the next number after the taken ones', template: 'bond{n}', used: ['bond1', 'bond2'], want: 'bond3' },
  { name: 'a gap is filled first', template: 'bond{n}', used: ['bond1', 'bond3'], want: 'bond2' },
  {
    name: 'names of another template do not count',
    template: 'Port-Channel{n}',
    used: ['bond1'],
    want: 'Port-Channel1',
  },
  { name: 'the number may sit inside the name', template: 'ae{n}.0', used: ['ae1.0'], want: 'ae2.0' },
];
for (const c of choose) {
  test(`chooseLagName: ${c.name}`, () => {
    assert.equal(chooseLagName(c.template, new Set(c.used)), c.want);
  });
}

const fallback: { name: string; key: string; want: string }[] = [
  { name: 'a plain key is prefixed with lag-', key: 'pg0', want: 'lag-pg0' },
  { name: 'characters outside the allowed set become -', key: 'node 1#pg0', want: 'lag-node-1-pg0' },
  { name: 'the allowed punctuation is kept', key: 'a/b.c_d:e-f', want: 'lag-a/b.c_d:e-f' },
  { name: 'a long key is cut to 60 characters', key: 'x'.repeat(100), want: `lag-${'x'.repeat(56)}` },
];
for (const c of fallback) {
  test(`fallbackLagName: ${c.name}`, () => {
    assert.equal(fallbackLagName(c.key), c.want);
  });
}
