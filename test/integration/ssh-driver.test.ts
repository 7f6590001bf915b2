/**
 * The `ssh` driver with the `ovs` profile end to end: a real sshd on loopback whose shell runs ovs-vsctl
 * against the OVS testbed switch; results checked with ovs-vsctl and with pings between namespace hosts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SwitchRejected, SwitchUnreachable } from '../../src/domain/errors.ts';
import { parseSwitchPortName, parseVlan, type SwitchPortName } from '../../src/domain/values.ts';
import { silentLogger } from '../../src/logging.ts';
import { SshDriver } from '../../src/switch/ssh/driver.ts';
import { ovsProfile } from '../../src/switch/ssh/profiles/ovs-linux.ts';
import { SshTransport } from '../../src/switch/ssh/transport.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { isRoot, until } from '../helpers/sh.ts';
import { removeStaleSshd, startSshd, type TestSshd } from '../helpers/sshd.ts';

const QUARANTINE = parseVlan(4000);
const skip = isRoot() ? false : 'needs root (namespaces, OVS, sshd)';

let ovs: OvsTestbed;
let sshd: TestSshd;

function makeDriver(opts: { maxSessions?: number; idleCloseMs?: number; hostKeySha256?: string } = {}) {
  const profile = ovsProfile({
    dbSocket: ovs.dbSocket,
    bridge: ovs.bridge,
    rundir: ovs.rundir,
    quarantineVlan: QUARANTINE,
  });
  const transport = new SshTransport(
    {
      switchName: 'tor-ssh',
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      auth: { kind: 'key-file', path: sshd.keyFile },
      enableSecret: null,
      hostKeySha256: opts.hostKeySha256 ?? sshd.hostKeySha256,
    },
    profile,
    {
      maxSessions: opts.maxSessions ?? 2,
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 15_000,
      idleCloseMs: opts.idleCloseMs ?? 30_000,
    },
    silentLogger(),
  );
  const driver = new SshDriver(
    profile,
    transport,
    { switchName: 'tor-ssh', identities: [], isSaveEnabled: false, secrets: [] },
    silentLogger(),
  );
  return { driver, transport };
}

const port = (h: TestHost): SwitchPortName => parseSwitchPortName(h.port);

before(async () => {
  if (skip) return;
  await removeStale();
  await removeStaleSshd();
  ovs = await startOvs({ tag: 'sshd' });
  sshd = await startSshd({ tag: 'drv' });
});

after(async () => {
  if (skip) return;
  await sshd?.destroy();
  await ovs?.destroy();
});

test('set-access over SSH moves a host between VLANs, seen by ovs-vsctl and by ping', { skip }, async () => {
  const { driver } = makeDriver();
  try {
    const node = await ovs.addHost({ name: 'node', cidr: '10.61.0.2/24', tag: QUARANTINE });
    const conductor = await ovs.addHost({ name: 'cond', cidr: '10.61.0.1/24', tag: 100 });
    const tenant = await ovs.addHost({ name: 'tenant', cidr: '10.61.0.3/24', tag: 200 });
    assert.equal(await ovs.ping(node, '10.61.0.1'), false);

    await driver.apply([{ kind: 'set-access', port: port(node), vlan: parseVlan(100) }]);
    assert.equal(await ovs.vsctl('get', 'port', node.port, 'tag'), '100');
    await until(() => ovs.ping(node, '10.61.0.1'), { timeoutMs: 10_000, what: 'node to reach the conductor' });

    await driver.apply([{ kind: 'set-access', port: port(node), vlan: parseVlan(200) }]);
    await until(() => ovs.ping(node, '10.61.0.3'), { timeoutMs: 10_000, what: 'node to reach the tenant host' });
    assert.equal(await ovs.ping(node, '10.61.0.1'), false);

    const seen = (await driver.read([port(node), port(tenant), port(conductor)])).get(port(node));
    assert.deepEqual(seen, {
      name: node.port,
      exists: true,
      untagged: 200,
      tagged: [],
      isEnabled: true,
      lag: null,
      memberOf: null,
    });
  } finally {
    await driver.close();
  }
});

test('tagged VLANs are added and removed on top of the untagged one', { skip }, async () => {
  const { driver } = makeDriver();
  try {
    const h = await ovs.addHost({ name: 'trunk', tag: QUARANTINE });
    const p = port(h);
    await driver.apply([
      { kind: 'set-access', port: p, vlan: parseVlan(110) },
      { kind: 'add-tagged', port: p, vlans: [parseVlan(120), parseVlan(130)] },
    ]);
    assert.equal(await ovs.vsctl('get', 'port', h.port, 'vlan_mode'), 'native-untagged');
    let seen = (await driver.read([p])).get(p);
    assert.equal(seen?.untagged, 110);
    assert.deepEqual(seen?.tagged, [120, 130]);

    await driver.apply([{ kind: 'remove-tagged', port: p, vlans: [parseVlan(120), parseVlan(130)] }]);
    seen = (await driver.read([p])).get(p);
    assert.equal(seen?.untagged, 110);
    assert.deepEqual(seen?.tagged, []);
    // Never trunk-all: the untagged VLAN stays in trunks.
    assert.equal(await ovs.vsctl('get', 'port', h.port, 'trunks'), '[110]');
  } finally {
    await driver.close();
  }
});

test('set-lag makes one OVS bond whose members carry the VLAN; it grows, shrinks and goes', { skip }, async () => {
  const { driver } = makeDriver();
  try {
    const a = await ovs.addHost({ name: 'lag-a', cidr: '10.63.0.2/24', tag: QUARANTINE });
    const b = await ovs.addHost({ name: 'lag-b', tag: QUARANTINE });
    const c = await ovs.addHost({ name: 'lag-c', tag: QUARANTINE });
    const peer = await ovs.addHost({ name: 'lag-peer', cidr: '10.63.0.1/24', tag: 160 });
    const lag = parseSwitchPortName(`bond${process.pid % 1000}`);
    const settings = { mode: 'lacp', lacpRate: 'fast' } as const;
    await driver.apply([
      { kind: 'set-lag', lag, members: [port(a), port(b)], settings },
      { kind: 'set-access', port: lag, vlan: parseVlan(140) },
    ]);
    assert.equal(await ovs.vsctl('get', 'port', lag, 'tag'), '140');
    assert.equal(await ovs.vsctl('get', 'port', lag, 'lacp'), 'active');
    let seen = await driver.read([lag, port(a)]);
    assert.deepEqual(seen.get(lag)?.lag, { members: [port(a), port(b)].sort(), settings });
    assert.equal(seen.get(lag)?.untagged, 140);
    assert.equal(seen.get(port(a))?.memberOf, lag);

    // Grow: c's interface joins the bond, which keeps its VLAN.
    await driver.apply([{ kind: 'set-lag', lag, members: [port(a), port(b), port(c)], settings }]);
    seen = await driver.read([lag, port(c)]);
    assert.deepEqual(seen.get(lag)?.lag?.members, [port(a), port(b), port(c)].sort());
    assert.equal(seen.get(lag)?.untagged, 140);
    assert.equal(seen.get(port(c))?.memberOf, lag);

    // Shrink: c leaves as a plain port on the quarantine VLAN, and takes a VLAN of its own in the same batch.
    await driver.apply([
      { kind: 'set-lag', lag, members: [port(a), port(b)], settings },
      { kind: 'set-access', port: port(c), vlan: parseVlan(150) },
    ]);
    seen = await driver.read([lag, port(c)]);
    assert.deepEqual(seen.get(lag)?.lag?.members, [port(a), port(b)].sort());
    assert.equal(seen.get(port(c))?.untagged, 150);
    assert.equal(seen.get(port(c))?.memberOf, null);

    // Delete: the members are plain ports again; a gets a VLAN in the same batch and reaches its peer.
    await driver.apply([
      { kind: 'delete-lag', lag },
      { kind: 'set-access', port: port(a), vlan: parseVlan(160) },
    ]);
    seen = await driver.read([lag, port(a), port(b)]);
    assert.equal(seen.get(lag)?.exists, false);
    assert.equal(seen.get(port(a))?.untagged, 160);
    assert.equal(seen.get(port(b))?.untagged, QUARANTINE);
    await until(() => ovs.ping(a, '10.63.0.1'), { timeoutMs: 10_000, what: 'a former member to reach its peer' });
    assert.ok(peer);
  } finally {
    await driver.close();
  }
});

test('set-enabled turns a port off and on', { skip }, async () => {
  const { driver } = makeDriver();
  try {
    const h = await ovs.addHost({ name: 'admin', cidr: '10.62.0.2/24', tag: 150 });
    const peer = await ovs.addHost({ name: 'admin-peer', cidr: '10.62.0.1/24', tag: 150 });
    await until(() => ovs.ping(h, '10.62.0.1'), { timeoutMs: 10_000, what: 'first ping' });
    await driver.apply([{ kind: 'set-enabled', port: port(h), isEnabled: false }]);
    assert.equal((await driver.read([port(h)])).get(port(h))?.isEnabled, false);
    assert.equal(await ovs.ping(h, '10.62.0.1'), false);
    await driver.apply([{ kind: 'set-enabled', port: port(h), isEnabled: true }]);
    assert.equal((await driver.read([port(h)])).get(port(h))?.isEnabled, true);
    await until(() => ovs.ping(h, '10.62.0.1'), { timeoutMs: 10_000, what: 'ping after enabling' });
    assert.ok(peer);
  } finally {
    await driver.close();
  }
});

test('a command the switch refuses is SwitchRejected with the command and output; nothing of the batch applies', {
  skip,
}, async () => {
  const { driver } = makeDriver();
  try {
    const h = await ovs.addHost({ name: 'reject', tag: QUARANTINE });
    const missing = parseSwitchPortName('nosuchport0');
    const err = await driver
      .apply([
        { kind: 'set-access', port: port(h), vlan: parseVlan(160) },
        { kind: 'set-access', port: missing, vlan: parseVlan(160) },
      ])
      .then(
        () => assert.fail('apply should have been rejected'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof SwitchRejected, String(err));
    assert.equal(err.switchName, 'tor-ssh');
    assert.match(err.command, /set port nosuchport0 vlan_mode=access tag=160/);
    assert.match(err.output, /no row "nosuchport0" in table Port/);
    // One OVSDB transaction: the valid half did not apply either.
    assert.equal(await ovs.vsctl('get', 'port', h.port, 'tag'), String(QUARANTINE));
  } finally {
    await driver.close();
  }
});

test('many ports in one batch use one SSH session, and later batches reuse it', { skip }, async () => {
  const { driver, transport } = makeDriver({ maxSessions: 2 });
  try {
    const hosts: TestHost[] = [];
    for (let i = 0; i < 8; i += 1) hosts.push(await ovs.addHost({ name: `many${i}`, tag: QUARANTINE }));
    const loginsBefore = await sshd.acceptedLogins();
    await driver.apply(hosts.map((h, i) => ({ kind: 'set-access', port: port(h), vlan: parseVlan(300 + i) })));
    await driver.apply(hosts.map((h) => ({ kind: 'add-tagged', port: port(h), vlans: [parseVlan(399)] })));
    const seen = await driver.read(hosts.map(port));
    hosts.forEach((h, i) => {
      assert.equal(seen.get(port(h))?.untagged, 300 + i);
    });
    assert.equal(transport.stats().opened, 1);
    assert.equal((await sshd.acceptedLogins()) - loginsBefore, 1);
  } finally {
    await driver.close();
  }
});

test('sshd stopped: apply fails with SwitchUnreachable, and works again when sshd is back', { skip }, async () => {
  const h = await ovs.addHost({ name: 'down', tag: QUARANTINE });
  await sshd.stop();
  const { driver } = makeDriver();
  try {
    await assert.rejects(
      driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(170) }]),
      (err: unknown) => err instanceof SwitchUnreachable && err.switchName === 'tor-ssh',
    );
    await sshd.restart();
    await driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(170) }]);
    assert.equal(await ovs.vsctl('get', 'port', h.port, 'tag'), '170');
  } finally {
    await driver.close();
  }
});

test('concurrent batches share at most maxSessions sessions and all apply', { skip }, async () => {
  const { driver, transport } = makeDriver({ maxSessions: 2 });
  try {
    const hosts: TestHost[] = [];
    for (let i = 0; i < 6; i += 1) hosts.push(await ovs.addHost({ name: `conc${i}`, tag: QUARANTINE }));
    await Promise.all(
      hosts.map((h, i) => driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(500 + i) }])),
    );
    for (const [i, h] of hosts.entries()) assert.equal(await ovs.vsctl('get', 'port', h.port, 'tag'), String(500 + i));
    assert.ok(transport.stats().opened <= 2, `opened ${transport.stats().opened} sessions`);
  } finally {
    await driver.close();
  }
});

test('an idle session is closed after idleCloseMs; the next batch opens a new one', { skip }, async () => {
  const { driver, transport } = makeDriver({ idleCloseMs: 200 });
  try {
    const h = await ovs.addHost({ name: 'idle', tag: QUARANTINE });
    await driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(180) }]);
    await until(() => transport.stats().open === 0, { timeoutMs: 5000, what: 'the idle session to close' });
    await driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(181) }]);
    assert.equal(await ovs.vsctl('get', 'port', h.port, 'tag'), '181');
    assert.equal(transport.stats().opened, 2);
  } finally {
    await driver.close();
  }
});

test('idleCloseMs 0 opens one session per batch (the networking-generic-switch way)', { skip }, async () => {
  const { driver, transport } = makeDriver({ maxSessions: 1, idleCloseMs: 0 });
  try {
    const h = await ovs.addHost({ name: 'perchg', tag: QUARANTINE });
    await driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(182) }]);
    await driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(183) }]);
    assert.equal(await ovs.vsctl('get', 'port', h.port, 'tag'), '183');
    assert.deepEqual(transport.stats(), { opened: 2, open: 0, idle: 0 });
  } finally {
    await driver.close();
  }
});

test('a switch presenting another host key is SwitchUnreachable and gets no commands', { skip }, async () => {
  const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  const { driver } = makeDriver({ hostKeySha256: wrong });
  try {
    const h = await ovs.addHost({ name: 'hostkey', tag: QUARANTINE });
    await assert.rejects(
      driver.apply([{ kind: 'set-access', port: port(h), vlan: parseVlan(190) }]),
      (err: unknown) => err instanceof SwitchUnreachable && err.message.includes(`host key is not ${wrong}`),
    );
    assert.equal(await ovs.vsctl('get', 'port', h.port, 'tag'), String(QUARANTINE));
  } finally {
    await driver.close();
  }
});

test('a command with no prompt within commandTimeoutMs is SwitchUnreachable and the session is dropped', {
  skip,
}, async () => {
  const profile = ovsProfile({
    dbSocket: ovs.dbSocket,
    bridge: ovs.bridge,
    rundir: ovs.rundir,
    quarantineVlan: QUARANTINE,
  });
  const transport = new SshTransport(
    {
      switchName: 'tor-ssh',
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      auth: { kind: 'key-file', path: sshd.keyFile },
      enableSecret: null,
      hostKeySha256: sshd.hostKeySha256,
    },
    profile,
    { maxSessions: 1, connectTimeoutMs: 10_000, commandTimeoutMs: 300, idleCloseMs: 30_000 },
    silentLogger(),
  );
  try {
    await assert.rejects(
      transport.withSession((s) => s.run('sleep 30')),
      (err: unknown) =>
        err instanceof SwitchUnreachable && /no prompt within 300 ms after 'sleep 30'/.test(err.message),
    );
    assert.equal(transport.stats().open, 0);
    const reply = await transport.withSession((s) => s.run('echo still-here'));
    assert.equal(reply.output, 'still-here');
  } finally {
    await transport.close();
  }
});

test('a password question during set-up (enable, sudo) is answered with the enable secret', { skip }, async () => {
  // A shell stand-in for `enable`: `read -s -p 'Password: '` asks the way switches do.
  const setup = {
    prompt: /[#$] ?$/,
    errors: [/command not found/],
    pager: null,
    setup: ['stty -echo'],
    enable: ["read -r -s -p 'Password: ' BMNET_ENABLE"],
  };
  const target = (enableSecret: string | null) => ({
    switchName: 'tor-ssh',
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    auth: { kind: 'key-file', path: sshd.keyFile } as const,
    enableSecret,
    hostKeySha256: sshd.hostKeySha256,
  });
  const options = { maxSessions: 1, connectTimeoutMs: 10_000, commandTimeoutMs: 5_000, idleCloseMs: 30_000 };
  const withSecret = new SshTransport(target('en-secret'), setup, options, silentLogger());
  try {
    const reply = await withSecret.withSession((s) => s.run('[ "$BMNET_ENABLE" = en-secret ] && echo enabled'));
    assert.equal(reply.output, 'enabled');
  } finally {
    await withSecret.close();
  }
  const without = new SshTransport(target(null), setup, options, silentLogger());
  try {
    await assert.rejects(
      without.withSession((s) => s.run('true')),
      (err: unknown) =>
        err instanceof SwitchUnreachable && err.message.includes('asked for a password and none is configured'),
    );
  } finally {
    await without.close();
  }
});
