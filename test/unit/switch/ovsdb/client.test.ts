import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../../src/domain/errors.ts';
import { parseOvsdbRemote } from '../../../../src/switch/ovsdb/client.ts';

const remotes = [
  { input: 'unix:/run/openvswitch/db.sock', want: { kind: 'unix', path: '/run/openvswitch/db.sock' } },
  { input: 'tcp:127.0.0.1:6640', want: { kind: 'tcp', host: '127.0.0.1', port: 6640 } },
  { input: 'tcp:tor1.example:6640', want: { kind: 'tcp', host: 'tor1.example', port: 6640 } },
  { input: 'tcp:[::1]:6641', want: { kind: 'tcp', host: '::1', port: 6641 } },
];
for (const { input, want } of remotes) {
  test(`parseOvsdbRemote reads ${input}`, () => assert.deepEqual(parseOvsdbRemote(input), want));
}
for (const bad of [
  'unix:',
  'tcp:1.2.3.4',
  'tcp:1.2.3.4:0',
  'tcp:1.2.3.4:70000',
  'ssl:1.2.3.4:6640',
  'ptcp:6640',
  '/run/db.sock',
]) {
  test(`parseOvsdbRemote refuses '${bad}'`, () => assert.throws(() => parseOvsdbRemote(bad), InvalidInput));
}
