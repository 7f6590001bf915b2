/** The `switches` section: each ToR switch, its driver and connection, typed and checked against the profile table. */
import { resolve } from 'node:path';
import { InvalidInput } from '../domain/errors.ts';
import { parseVlan } from '../domain/values.ts';
import { PROFILE_NAMES, PROFILES, type ProfileName } from '../switch/ssh/profiles/index.ts';
import type { NetworkConfig, SshOptions, SwitchConfig, SwitchConnection, UnboundPolicy } from './schema.ts';
import type { At } from './yaml-at.ts';

/** `ssh.options` every profile reads (the ovs profile adds its own: see the profile table). */
export const COMMON_SSH_OPTIONS = ['enable_secret', 'host_key_sha256', 'save', 'idle_close_ms'] as const;

/** An OpenSSH SHA256 fingerprint as `ssh-keygen -lf` prints it (base64 without padding). */
const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

export function readSwitches(at: At, network: NetworkConfig, base: string): SwitchConfig[] {
  const names = new Set<string>();
  return at.items().map((s) => {
    s.keys([
      'name',
      'identities',
      'physnets',
      'driver',
      'ovsdb',
      'ssh',
      'protected_ports',
      'unbound',
      'max_sessions',
      'batch_window_ms',
      'drift',
      'lag_name_template',
    ]);
    const name = s.get('name').string();
    if (names.has(name)) s.get('name').fail(`switch '${name}' is listed twice`);
    names.add(name);
    const physnets = s.get('physnets').strings();
    for (const [i, p] of physnets.entries()) {
      if (!network.physnets.has(p)) s.get('physnets').items()[i]?.fail(`'${p}' is not one of network.physnets`);
    }
    const driver = s.get('driver').oneOf(['ovsdb', 'ssh']);
    const unbound = readUnbound(s.get('unbound'));
    if (unbound.kind === 'shutdown' && driver === 'ovsdb') {
      s.get('unbound').fail('Open vSwitch cannot shut a port over OVSDB: use a quarantine VLAN, {vlan: N}');
    }
    const connection = driver === 'ovsdb' ? readOvsdb(s.get('ovsdb')) : readSsh(s.get('ssh'), base, unbound);
    return {
      name,
      identities: s
        .get('identities')
        .strings()
        .map((i) => i.toLowerCase()),
      physnets,
      connection,
      protectedPorts: s.get('protected_ports').strings(),
      unbound,
      maxSessions: s.get('max_sessions').int(2, 1, 64),
      batchWindowMs: s.get('batch_window_ms').int(20, 0, 10_000),
      drift: s.get('drift').oneOf(['repair', 'report'], 'repair'),
      lagNameTemplate: lagTemplate(s.get('lag_name_template'), connection),
    };
  });
}

function readUnbound(u: At): UnboundPolicy {
  u.keys(['vlan', 'shutdown']);
  if (u.get('shutdown').bool(false)) return { kind: 'shutdown' };
  if (!u.get('vlan').isPresent) return u.fail('needs {vlan: N} (a quarantine VLAN other than 1) or {shutdown: true}');
  const vlan = u.get('vlan').int(undefined, 1, 4094);
  if (vlan === 1) u.get('vlan').fail('VLAN 1 is the switch default VLAN: pick a quarantine VLAN, or shutdown: true');
  return { kind: 'vlan', vlan };
}

function readOvsdb(o: At): SwitchConnection {
  o.keys(['remote', 'bridge']);
  if (!o.isPresent) o.fail('driver ovsdb needs ovsdb: {remote, bridge}');
  const remote = o.get('remote').string();
  if (!/^(unix:.+|tcp:[^:]+:\d+)$/.test(remote)) o.get('remote').fail(`'${remote}' is not unix:PATH or tcp:HOST:PORT`);
  return { driver: 'ovsdb', remote, bridge: o.get('bridge').string() };
}

function readSsh(h: At, base: string, unbound: UnboundPolicy): SwitchConnection {
  h.keys(['host', 'port', 'username', 'key_file', 'password', 'profile', 'options']);
  if (!h.isPresent) h.fail('driver ssh needs ssh: {host, username, profile, key_file or password}');
  const keyFile = h.get('key_file').optionalString();
  const password = h.get('password').optionalString();
  if (keyFile === null && password === null) h.fail('needs key_file or password');
  const profile = h.get('profile').oneOf(PROFILE_NAMES);
  const options = readSshOptions(h.get('options'), profile, unbound);
  return {
    driver: 'ssh',
    host: h.get('host').string(),
    port: h.get('port').int(22, 1, 65535),
    username: h.get('username').string(),
    keyFile: keyFile === null ? null : resolve(base, keyFile),
    password,
    profile,
    options,
  };
}

function readSshOptions(o: At, profile: ProfileName, unbound: UnboundPolicy): SshOptions {
  const entry = PROFILES[profile];
  o.keys([...COMMON_SSH_OPTIONS, ...entry.options]);
  const hostKey = o.get('host_key_sha256').optionalString();
  if (hostKey !== null && !FINGERPRINT_RE.test(hostKey)) {
    o.get('host_key_sha256').fail(`'${hostKey}' is not an OpenSSH fingerprint SHA256:… (ssh-keygen -lf KEY.pub)`);
  }
  const save = o.get('save').bool(false);
  if (save && !entry.supports.save) {
    o.get('save').fail(`the ${profile} profile has no separate save: its changes persist as they apply`);
  }
  const options: SshOptions = {
    enableSecret: o.get('enable_secret').optionalString(),
    hostKeySha256: hostKey,
    save,
    idleCloseMs: o.get('idle_close_ms').int(60_000, 0, 86_400_000),
    ovs: {
      dbSocket: o.get('db_socket').string('/run/openvswitch/db.sock'),
      bridge: o.get('bridge').string('br0'),
      rundir: o.get('rundir').string('/run/openvswitch'),
    },
  };
  // the profile checks what it interpolates into commands (socket path, bridge name): ask it now, not at start-up
  try {
    entry.build({ ovs: options.ovs, quarantineVlan: unbound.kind === 'vlan' ? parseVlan(unbound.vlan) : null });
  } catch (err) {
    if (err instanceof InvalidInput) o.fail(err.detail);
    throw err;
  }
  return options;
}

function lagTemplate(at: At, connection: SwitchConnection): string {
  const fallback = connection.driver === 'ovsdb' ? 'bond{n}' : PROFILES[connection.profile].lagNameTemplate;
  const t = at.string(fallback);
  if (!t.includes('{n}')) at.fail(`'${t}' has no {n} for the LAG number`);
  return t;
}
