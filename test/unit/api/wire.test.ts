import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeExtraDhcpOpts, toBool, toExtraDhcpOpts } from '../../../src/api/wire.js';
import { HTTPBadRequest } from '../../../src/domain/errors.js';

test("extra_dhcp_opts merge: same name and version replaces, null deletes, others stay (Neutron's update)", () => {
  const current = [
    { optName: '67', optValue: 'a', ipVersion: 4 as const },
    { optName: '66', optValue: '10.0.0.1', ipVersion: 4 as const },
    { optName: '59', optValue: 'tftp://x', ipVersion: 6 as const },
  ];
  const changes = toExtraDhcpOpts([
    { opt_name: '67', opt_value: 'b' },
    { opt_name: '66', opt_value: null },
    { opt_name: '150', opt_value: '10.0.0.2', ip_version: 4 },
  ]);
  assert.deepEqual(mergeExtraDhcpOpts(current, changes), [
    { optName: '67', optValue: 'b', ipVersion: 4 },
    { optName: '59', optValue: 'tftp://x', ipVersion: 6 },
    { optName: '150', optValue: '10.0.0.2', ipVersion: 4 },
  ]);
});

test('booleans convert the way Neutron does', () => {
  for (const t of [true, 'true', 'True', '1', 1]) assert.equal(toBool('x', t), true);
  for (const f of [false, 'false', 'FALSE', '0', 0]) assert.equal(toBool('x', f), false);
  assert.throws(() => toBool('admin_state_up', 'maybe'), HTTPBadRequest);
});
