/**
 * The ssh driver's batching against one-session-per-change (how networking-generic-switch drives a switch):
 *   sudo $(scripts/node-runtime.sh) bench/ssh-batching.ts [--moves 200]
 * A real sshd on loopback whose shell runs ovs-vsctl against the Open vSwitch testbed (the `ovs` profile).
 * `--moves` switch ports are moved from the quarantine VLAN to VLAN 100 and back: once as one batch over a
 * warm session, once as one login and one command per port. Prints `key=value` lines and the ratio.
 */
import { parseArgs } from 'node:util';
import type { SwitchOp } from '../src/domain/switch-plan.ts';
import { parseVlan, type SwitchPortName } from '../src/domain/values.ts';
import { silentLogger } from '../src/logging.ts';
import { SshDriver } from '../src/switch/ssh/driver.ts';
import { ovsProfile } from '../src/switch/ssh/profiles/ovs-linux.ts';
import { SshTransport } from '../src/switch/ssh/transport.ts';
import { type OvsTestbed, removeStale, startOvs } from '../test/helpers/ovs-testbed.ts';
import { removeStaleSshd, startSshd, type TestSshd } from '../test/helpers/sshd.ts';

const { values } = parseArgs({ options: { moves: { type: 'string', default: '200' } } });
const moves = Number(values.moves);
const Q = parseVlan(999);

let ovs: OvsTestbed | undefined;
let sshd: TestSshd | undefined;
try {
  await removeStale();
  await removeStaleSshd();
  ovs = await startOvs({ tag: 'sshb' });
  sshd = await startSshd({ tag: 'sshb' });
  const testbed = ovs;
  const server = sshd;
  await testbed.vsctl('add-br', 'peers', '--', 'set', 'bridge', 'peers', 'datapath_type=netdev');
  const ports: SwitchPortName[] = [];
  const args: string[] = [];
  for (let i = 0; i < moves; i++) {
    const p = `sp${i}`;
    ports.push(p as SwitchPortName);
    args.push(
      '--',
      'add-port',
      testbed.bridge,
      p,
      `tag=${Q}`,
      '--',
      'set',
      'interface',
      p,
      'type=patch',
      `options:peer=sq${i}`,
    );
    args.push(
      '--',
      'add-port',
      'peers',
      `sq${i}`,
      '--',
      'set',
      'interface',
      `sq${i}`,
      'type=patch',
      `options:peer=${p}`,
    );
  }
  await testbed.vsctl(...args);
  const profile = ovsProfile({
    dbSocket: testbed.dbSocket,
    bridge: testbed.bridge,
    rundir: testbed.rundir,
    quarantineVlan: Q,
  });
  const driver = (maxSessions: number, idleCloseMs: number) => {
    const transport = new SshTransport(
      {
        switchName: 'tor',
        host: server.host,
        port: server.port,
        username: server.username,
        auth: { kind: 'key-file', path: server.keyFile },
        enableSecret: null,
        hostKeySha256: server.hostKeySha256,
      },
      profile,
      { maxSessions, connectTimeoutMs: 10_000, commandTimeoutMs: 60_000, idleCloseMs },
      silentLogger(),
    );
    return {
      transport,
      driver: new SshDriver(
        profile,
        transport,
        { switchName: 'tor', identities: [], isSaveEnabled: false, secrets: [] },
        silentLogger(),
      ),
    };
  };
  const to = (vlan: number): SwitchOp[] => ports.map((port) => ({ kind: 'set-access', port, vlan: parseVlan(vlan) }));

  const batched = driver(2, 30_000);
  let t = performance.now();
  await batched.driver.apply(to(100));
  await batched.driver.apply(to(Q));
  const batchedMs = performance.now() - t;
  const batchedLogins = batched.transport.stats().opened;
  await batched.driver.close();

  const single = driver(1, 0);
  t = performance.now();
  for (const op of to(100)) await single.driver.apply([op]);
  for (const op of to(Q)) await single.driver.apply([op]);
  const singleMs = performance.now() - t;
  const singleLogins = single.transport.stats().opened;
  await single.driver.close();

  const line = (k: string, f: Record<string, string | number>) =>
    process.stdout.write(
      `${k} ${Object.entries(f)
        .map(([a, b]) => `${a}=${b}`)
        .join(' ')}\n`,
    );
  line('ssh-batched', { moves: moves * 2, seconds: (batchedMs / 1000).toFixed(2), logins: batchedLogins });
  line('ssh-per-change', { moves: moves * 2, seconds: (singleMs / 1000).toFixed(2), logins: singleLogins });
  line('ssh-ratio', { per_change_over_batched: (singleMs / batchedMs).toFixed(1) });
} finally {
  await sshd?.destroy();
  await ovs?.destroy();
}
