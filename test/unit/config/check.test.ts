/**
 * What `bmnet check-config` must report before `serve` would fail on it: each case is a config an operator
 * wrote, and the error must name the file, the line and the key.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfigFile, parseConfig } from '../../../src/config/load.ts';
import { COMMON_SSH_OPTIONS } from '../../../src/config/switches.ts';
import { PROFILE_NAMES, PROFILES } from '../../../src/switch/ssh/profiles/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'bmnet-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'tftp'));
writeFileSync(join(dir, 'not-a-folder'), 'x');

let n = 0;
function fileWith(text: string): string {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function failsWith(text: string, message: RegExp): void {
  const file = fileWith(text);
  assert.throws(
    () => loadConfigFile(file),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.ok(err.message.startsWith(file), `names the file: ${err.message}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

const ssh = (extra: string) =>
  `switches:\n  - name: t\n    physnets: [physnet1]\n    driver: ssh\n    unbound: {vlan: 9}\n    ssh:\n      host: h\n      username: u\n      password: p\n${extra}`;

const attachBoot = (boot: string) => `dhcp:\n  mode: attach\nboot:\n${boot}`;

const cases: [string, string, RegExp][] = [
  [
    'a TFTP root that does not exist',
    attachBoot('  tftp:\n    root: ./nope\n'),
    /:5: boot\.tftp\.root: the TFTP root .*nope does not exist/,
  ],
  [
    'a boot.http section whose default root does not exist',
    attachBoot('  tftp:\n    root: ./tftp\n  http:\n    listen: 127.0.0.1:8080\n'),
    /:6: boot\.http: the HTTP root \/var\/lib\/bmnet\/http does not exist/,
  ],
  [
    'a root that is a file',
    attachBoot('  tftp: {root: ./not-a-folder}\n'),
    /boot\.tftp\.root: the TFTP root .* is not a folder/,
  ],
  [
    'ssh.profile that is not a profile',
    ssh('      profile: arista\n'),
    /:10: switches\[0\]\.ssh\.profile: must be one of ovs, .*arista-eos.* \(got 'arista'\)/,
  ],
  [
    'ssh.options.idle_close_ms with a unit',
    ssh('      profile: arista-eos\n      options:\n        idle_close_ms: "1m"\n'),
    /:12: switches\[0\]\.ssh\.options\.idle_close_ms: must be an integer/,
  ],
  [
    'an ssh option the profile does not read',
    ssh('      profile: arista-eos\n      options: {db_socket: /run/x.sock}\n'),
    /:11: switches\[0\]\.ssh\.options\.db_socket: unknown key/,
  ],
  [
    'a host key that is not a fingerprint',
    ssh('      profile: sonic\n      options: {host_key_sha256: "ab:cd"}\n'),
    /ssh\.options\.host_key_sha256: 'ab:cd' is not an OpenSSH fingerprint/,
  ],
  [
    'save on a profile without a save command',
    ssh('      profile: ovs\n      options: {save: true}\n'),
    /ssh\.options\.save: the ovs profile has no separate save/,
  ],
  [
    'an ovs bridge name the profile cannot use',
    ssh('      profile: ovs\n      options: {bridge: "br0; reboot"}\n'),
    /ssh\.options: 'br0; reboot' is not a usable bridge name/,
  ],
  ['database postgres://', 'database: postgres://bmnet@db/bmnet\n', /:1: database: PostgreSQL is not implemented/],
  [
    'a SQLite file in a folder that does not exist',
    'database: sqlite:./no/such/bmnet.db\n',
    /:1: database: the folder of the SQLite file .* does not exist/,
  ],
  ['relay mode on 0.0.0.0', 'dhcp:\n  mode: relay\n', /:2: dhcp\.mode: mode relay needs relay_listen/],
  [
    'an inverted dynamic pool',
    'dhcp:\n  dynamic_pools:\n    inspection: ["10.0.0.50-10.0.0.10"]\n',
    /:3: dhcp\.dynamic_pools\.inspection\[0\]: '10\.0\.0\.50-10\.0\.0\.10' starts after it ends/,
  ],
  [
    'a TFTP server that is not an IP',
    'nodes:\n  boot:\n    tftp_server: not-an-ip\n',
    /:3: nodes\.boot\.tftp_server: 'not-an-ip' is not an IPv4 address/,
  ],
  [
    'an empty network name for a stage',
    'nodes:\n  networks:\n    cleaning: ""\n',
    /:3: nodes\.networks\.cleaning: is empty/,
  ],
  ['a YAML syntax error', 'listen: 127.0.0.1:9696\nauth:\n  mode: [noauth\n', /:4: YAML: /],
  ['an empty file', '', /: the file is empty/],
  ['a file of comments only', '# nothing yet\n', /: the file is empty/],
];

for (const [what, text, message] of cases) {
  test(`check-config reports ${what}, naming file, line and key`, () => failsWith(text, message));
}

test('a boot section that names only TFTP serves TFTP and no HTTP', () => {
  const c = loadConfigFile(fileWith(attachBoot('  tftp:\n    root: ./tftp\n')));
  assert.equal(c.boot.mode, 'attach');
  assert.equal(c.boot.tftp?.root, join(dir, 'tftp'));
  assert.equal(c.boot.http, null);
});

test('a config that passes names no missing root: boot off looks at no root', () => {
  const c = loadConfigFile(fileWith('boot:\n  mode: off\n  tftp: {root: ./nope}\n'));
  assert.equal(c.boot.mode, 'off');
});

test('ssh options are typed: defaults, save, idle close, the ovs keys only for ovs', () => {
  const c = parseConfig(
    ssh(
      '      profile: ovs\n      options: {db_socket: /run/sw/db.sock, bridge: br1, rundir: /run/sw, idle_close_ms: 0}\n',
    ),
  );
  const conn = c.switches[0]?.connection;
  assert.ok(conn?.driver === 'ssh');
  assert.equal(conn.profile, 'ovs');
  assert.deepEqual(conn.options, {
    enableSecret: null,
    hostKeySha256: null,
    save: false,
    idleCloseMs: 0,
    ovs: { dbSocket: '/run/sw/db.sock', bridge: 'br1', rundir: '/run/sw' },
  });
  const eos = parseConfig(ssh('      profile: arista-eos\n      options: {save: true, enable_secret: s3}\n'));
  const e = eos.switches[0]?.connection;
  assert.ok(e?.driver === 'ssh');
  assert.equal(e.options.save, true);
  assert.equal(e.options.enableSecret, 's3');
  assert.equal(e.options.idleCloseMs, 60_000);
});

test('every profile in the table is accepted by ssh.profile and gives its LAG name template', () => {
  for (const name of PROFILE_NAMES) {
    const c = parseConfig(ssh(`      profile: ${name}\n`));
    assert.equal(c.switches[0]?.lagNameTemplate, PROFILES[name].lagNameTemplate, name);
  }
});

test('bmnet.yaml documents every key the loader accepts, and passes check-config', () => {
  const root = join(import.meta.dirname, '../../..');
  const sources = ['load.ts', 'switches.ts'].map((f) => readFileSync(join(root, 'src/config', f), 'utf8')).join('\n');
  const lists = [...sources.matchAll(/\.keys\(\[([^\]]*)\]/g)].map((m) => m[1] ?? '');
  const keys = new Set(lists.flatMap((l) => [...l.matchAll(/'([a-z_]+)'/g)].map((m) => m[1] ?? '')));
  for (const k of COMMON_SSH_OPTIONS) keys.add(k);
  for (const p of Object.values(PROFILES)) for (const k of p.options) keys.add(k);
  assert.ok(keys.size > 50, `read the loader's key lists (${keys.size} keys)`);
  const doc = readFileSync(join(root, 'bmnet.yaml'), 'utf8');
  const missing = [...keys].filter((k) => !new RegExp(`(^|[\\s{,#-])${k}:`, 'm').test(doc));
  assert.deepEqual(missing, []);
  assert.equal(loadConfigFile(join(root, 'bmnet.yaml')).listen.port, 9696);
});
