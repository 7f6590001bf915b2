import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBool, toExtraDhcpOpts } from '../../../src/api/wire.ts';
import { HTTPBadRequest } from '../../../src/domain/errors.ts';

test('extra_dhcp_opts parse: names trimmed, numbers as strings, null kept as a deletion, ip_version 4 by default', () => {
  assert.deepEqual(
    toExtraDhcpOpts([
      { opt_name: ' 67 ', opt_value: 'b' },
      { opt_name: '66', opt_value: null },
      { opt_name: '13', opt_value: 512, ip_version: '6' },
    ]),
    [
      { optName: '67', optValue: 'b', ipVersion: 4 },
      { optName: '66', optValue: null, ipVersion: 4 },
      { optName: '13', optValue: '512', ipVersion: 6 },
    ],
  );
  assert.deepEqual(toExtraDhcpOpts(null), []);
});

test('booleans convert the way Neutron does', () => {
  for (const t of [true, 'true', 'True', '1', 1]) assert.equal(toBool('x', t), true);
  for (const f of [false, 'false', 'FALSE', '0', 0]) assert.equal(toBool('x', f), false);
  assert.throws(() => toBool('admin_state_up', 'maybe'), HTTPBadRequest);
});
