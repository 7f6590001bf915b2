import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../../src/config/load.ts';

test('defaults: loopback listen, SQLite file, noauth, physnet1 with 1000:1999', () => {
  const c = parseConfig('');
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 9696 });
  assert.equal(c.database.kind, 'sqlite');
  assert.equal(c.auth.mode, 'noauth');
  assert.deepEqual(c.network.physnets.get('physnet1')?.vlanRanges, [{ first: 1000, last: 1999 }]);
  assert.ok(Object.isFrozen(c));
});

test('the config contract example parses', () => {
  const c = parseConfig(`
listen: 127.0.0.1:9696
database: sqlite:./bmnet.db
auth:
  mode: token
  tokens:
    - {token: admin-secret, project: admin, roles: [admin]}
network:
  base_mac: "fa:16:3e:00:00:00"
  default_physnet: physnet1
  physnets:
    physnet1:
      vlan_ranges: ["1000:1999"]
      bridge: {name: br-physnet1, ovsdb: "unix:/run/openvswitch/db.sock"}
switches:
  - name: tor1
    identities: ["00:00:8e:3a:45:1b:22:4f", "8e:3a:45:1b:22:4f"]
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "unix:/run/openvswitch/db.sock", bridge: tor1}
    protected_ports: [uplink0]
    unbound: {vlan: 999}
  - name: tor2
    physnets: [physnet1]
    driver: ssh
    ssh: {host: 127.0.0.1, port: 2222, username: bmnet, key_file: ./tor2.key, profile: ovs}
    unbound: {shutdown: true}
dhcp:
  mode: attach
  relay_listen: 0.0.0.0:67
  lease_seconds: 86400
boot:
  attach: all
  tftp: {listen: "0.0.0.0:69", root: /var/lib/bmnet/tftp}
  http: {listen: "0.0.0.0:8080", root: /var/lib/bmnet/http}
`);
  assert.equal(c.switches.length, 2);
  assert.equal(c.boot.mode, 'attach', 'with dhcp.mode attach, boot.attach serves on the attachments');
  assert.equal(c.switches[0]?.connection.driver, 'ovsdb');
  assert.deepEqual(c.switches[1]?.unbound, { kind: 'shutdown' });
  assert.equal(c.auth.mode === 'token' && c.auth.tokens[0]?.token, 'admin-secret');
});

const errors: [string, RegExp][] = [
  ['listen: nowhere', /^\(inline\):1: listen: 'nowhere' is not HOST:PORT/],
  ['colour: red', /:1: colour: unknown key/],
  [
    'network:\n  physnets:\n    p1: {vlan_ranges: ["5:2"]}',
    /:3: network\.physnets\.p1\.vlan_ranges\[0\]: VLAN range '5:2' ends before it starts/,
  ],
  ['network:\n  default_physnet: nope', /network\.default_physnet: 'nope' is not one of network\.physnets/],
  ['auth: {mode: token}', /auth\.tokens: mode token needs at least one token/],
  ['database: mysql://x', /database: 'mysql:\/\/x' is not sqlite:FILE/],
  [
    'switches:\n  - {name: t, physnets: [physnet1], driver: ovsdb, ovsdb: {remote: "unix:/x", bridge: b}, unbound: {vlan: 1}}',
    /switches\[0\]\.unbound\.vlan: VLAN 1 is the switch default/,
  ],
  ['a: [', /YAML/],
];
for (const [text, message] of errors) {
  test(`config error names line and key: ${message.source}`, () => {
    assert.throws(
      () => parseConfig(text),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
    );
  });
}

test('switch keys: drift, LAG names per vendor, batch window; ovsdb cannot shut ports', () => {
  const c = parseConfig(`switches:
  - {name: a, physnets: [physnet1], driver: ovsdb, ovsdb: {remote: "unix:/x", bridge: b}, unbound: {vlan: 9}, drift: report}
  - {name: e, physnets: [physnet1], driver: ssh, ssh: {host: h, username: u, password: p, profile: arista-eos}, unbound: {shutdown: true}, batch_window_ms: 50}
  - {name: j, physnets: [physnet1], driver: ssh, ssh: {host: h, username: u, password: p, profile: juniper-junos}, unbound: {vlan: 9}, lag_name_template: "ae{n}"}
`);
  assert.deepEqual(
    c.switches.map((s) => [s.name, s.drift, s.lagNameTemplate, s.batchWindowMs]),
    [
      ['a', 'report', 'bond{n}', 20],
      ['e', 'repair', 'Port-Channel{n}', 50],
      ['j', 'repair', 'ae{n}', 20],
    ],
  );
  assert.throws(
    () =>
      parseConfig(
        'switches:\n  - {name: a, physnets: [physnet1], driver: ovsdb, ovsdb: {remote: "unix:/x", bridge: b}, unbound: {shutdown: true}}',
      ),
    /Open vSwitch cannot shut a port over OVSDB/,
  );
  assert.throws(
    () =>
      parseConfig(
        'switches:\n  - {name: a, physnets: [physnet1], driver: ovsdb, ovsdb: {remote: "unix:/x", bridge: b}, unbound: {vlan: 9}, lag_name_template: bond}',
      ),
    /has no \{n\}/,
  );
});
