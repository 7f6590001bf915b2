/**
 * An Open vSwitch userspace switch for tests (shared/testbed/README.md): ovsdb-server and ovs-vswitchd run
 * in their own namespace with their own rundir, one bridge with `datapath_type=netdev`, and namespace hosts
 * on veth access ports. OVSDB is a unix socket, reachable from the host.
 *
 * Names carry the creating process id (rundir `/tmp/bmnet-ovs-<pid>-<tag>`, namespaces `bmnet-t<pid>-…`),
 * so `removeStale()` can clean up after a killed run. Everything is ended by pidfile, never by name.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, run, tryRun, until } from './exec.ts';
import { addNamespace, addVeth, deleteNamespace, namespaceName, removeStaleNamespaces, uniqueName } from './netns.ts';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
const RUNDIR_PREFIX = 'bmnet-ovs-';
const INSTALL_HINT = 'apt-get install --no-install-recommends openvswitch-switch ethtool';

/** A namespace host on an access port of the testbed's bridge. */
export interface TestHost {
  readonly name: string;
  readonly namespace: string;
  /** The host's interface inside `namespace`. */
  readonly ifname: string;
  /** The switch port (OVS Port and Interface name) the host is cabled to. */
  readonly port: string;
  /** The host's address without prefix length, when it has one. */
  readonly ip: string | null;
}

export interface OvsTestbed {
  /** Namespace that runs ovsdb-server and ovs-vswitchd, and holds the switch side of every veth. */
  readonly namespace: string;
  readonly rundir: string;
  /** Path of the OVSDB unix socket. */
  readonly dbSocket: string;
  /** `unix:<dbSocket>`, as a driver or ovs-vsctl takes it. */
  readonly remote: string;
  readonly bridge: string;
  /** `ovs-vsctl --db=<remote> …` — for tests only, to check or change the switch by hand; returns stdout trimmed. */
  vsctl(...args: string[]): Promise<string>;
  /** `ovs-appctl -t <ovs-vswitchd ctl socket> …` (bond/show, lacp/show); returns stdout trimmed. */
  appctl(...args: string[]): Promise<string>;
  /**
   * A namespace host with a veth to the bridge. `tag` makes the switch port an access port; without it the
   * port is added with no VLAN settings (Open vSwitch's trunk-all) — set it before sending traffic.
   */
  addHost(opts: { name: string; cidr?: string; tag?: number }): Promise<TestHost>;
  /**
   * A cable inside the switch: a veth pair in the switch namespace with `port` on the bridge (access port when
   * `tag` is given) and `peer` free, e.g. for a second bridge acting as a LACP partner.
   */
  addLink(opts?: { tag?: number }): Promise<{ readonly port: string; readonly peer: string }>;
  /** Whether `from` gets an ICMP echo reply from `ip` (one probe, 1 s). */
  ping(from: TestHost, ip: string): Promise<boolean>;
  /** Stops ovsdb-server (the switch's management plane goes down; forwarding goes on). */
  stopOvsdb(): Promise<void>;
  /** Starts ovsdb-server again on the same database file and socket. */
  startOvsdb(): Promise<void>;
  isOvsdbRunning(): boolean;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) ovsdb-server: a switch that accepts connections but does not answer. */
  pauseOvsdb(): Promise<void>;
  resumeOvsdb(): Promise<void>;
  /** Freezes or thaws ovs-vswitchd: the database takes changes, the forwarding plane does not apply them. */
  pauseVswitchd(): Promise<void>;
  resumeVswitchd(): Promise<void>;
  /** Ends the daemons by pidfile, removes the namespaces and the rundir. Idempotent. */
  destroy(): Promise<void>;
}

async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether `pid` is a live process whose command line mentions `marker` (guards against reused pids). */
async function isOurs(pid: number, marker: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(marker);
  } catch {
    return false;
  }
}

/** Ends the daemon named by a pidfile (TERM, then KILL after a deadline) if it is ours. */
async function stopByPidfile(pidfile: string, marker: string): Promise<void> {
  const pid = await readPid(pidfile);
  if (pid === null || !(await isOurs(pid, marker))) return;
  process.kill(pid, 'SIGCONT'); // a paused daemon would not act on SIGTERM
  process.kill(pid, 'SIGTERM');
  try {
    await until(() => !isAlive(pid), { timeoutMs: 5000, what: `pid ${pid} to exit` });
  } catch {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await until(() => !isAlive(pid), { timeoutMs: 5000, what: `pid ${pid} to exit after SIGKILL` });
  }
}

async function requirePeers(): Promise<void> {
  for (const cmd of ['ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovsdb-tool', 'ethtool']) {
    const r = await tryRun('sh', ['-c', `command -v ${cmd}`]);
    if (r.code !== 0) throw new Error(`${cmd} is missing: ${INSTALL_HINT}`);
  }
  if (!existsSync(SCHEMA)) throw new Error(`${SCHEMA} is missing: ${INSTALL_HINT}`);
}

/**
 * The config (YAML) that puts bmnet in charge of this switch as the ToR `tor1` of `physnet1` (provider VLANs
 * 1000-1999), with the bridge as the physnet's attachment bridge for DHCP and boot: the lab and the tests that
 * run the whole chain on one switch share it.
 */
export function torConfigYaml(
  ovs: OvsTestbed,
  o: { readonly quarantineVlan: number; readonly batchWindowMs: number },
): string {
  return `network:
  physnets:
    physnet1:
      vlan_ranges: ["1000:1999"]
      bridge: {name: ${ovs.bridge}, ovsdb: "${ovs.remote}", netns: ${ovs.namespace}}
switches:
  - name: tor1
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    unbound: {vlan: ${o.quarantineVlan}}
    batch_window_ms: ${o.batchWindowMs}`;
}

/** Removes testbeds left by killed runs: daemons (by pidfile), namespaces and rundirs whose pid is dead. */
export async function removeStale(): Promise<void> {
  const entries = await readdir('/tmp').catch(() => [] as string[]);
  for (const entry of entries) {
    const m = /^bmnet-ovs-(\d+)-/.exec(entry);
    if (!m?.[1]) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    const dir = join('/tmp', entry);
    await stopByPidfile(join(dir, 'ovs-vswitchd.pid'), dir);
    await stopByPidfile(join(dir, 'ovsdb-server.pid'), dir);
    await rm(dir, { recursive: true, force: true });
  }
  await removeStaleNamespaces();
}

/**
 * Starts a switch: namespace, rundir, database, ovsdb-server (`punix:<rundir>/db.sock`), ovs-vswitchd and a
 * netdev bridge. Call `destroy()` in `t.after`.
 */
export async function startOvs(opts: { tag: string; bridge?: string }): Promise<OvsTestbed> {
  await requirePeers();
  const namespace = namespaceName(`${opts.tag}-sw`);
  const rundir = `/tmp/${RUNDIR_PREFIX}${process.pid}-${opts.tag}`;
  const dbFile = join(rundir, 'conf.db');
  const dbSocket = join(rundir, 'db.sock');
  const remote = `unix:${dbSocket}`;
  const bridge = opts.bridge ?? 'tor1';
  const hostNamespaces: string[] = [];
  const ovsEnv = ['env', `OVS_RUNDIR=${rundir}`, `OVS_DBDIR=${rundir}`, `OVS_LOGDIR=${rundir}`];
  const vswitchdPidfile = join(rundir, 'ovs-vswitchd.pid');
  const ovsdbPidfile = join(rundir, 'ovsdb-server.pid');
  let isDestroyed = false;

  const vsctl = async (...args: string[]) =>
    (await run('ovs-vsctl', [`--db=${remote}`, '--timeout=10', ...args])).stdout.trim();

  const startOvsdb = async () => {
    await run('ip', [
      'netns',
      'exec',
      namespace,
      ...ovsEnv,
      'ovsdb-server',
      dbFile,
      `--remote=punix:${dbSocket}`,
      `--pidfile=${ovsdbPidfile}`,
      `--log-file=${join(rundir, 'ovsdb-server.log')}`,
      `--unixctl=${join(rundir, 'ovsdb-server.ctl')}`,
      '-vconsole:off',
      '--detach',
      '--no-chdir',
    ]);
    await until(() => existsSync(dbSocket), { timeoutMs: 10_000, what: 'the OVSDB socket' });
  };

  const signalDaemon = async (pidfile: string, signal: NodeJS.Signals) => {
    const pid = await readPid(pidfile);
    if (pid === null || !(await isOurs(pid, rundir))) throw new Error(`${pidfile} names no running daemon`);
    process.kill(pid, signal);
  };

  const destroy = async () => {
    if (isDestroyed) return;
    isDestroyed = true;
    await stopByPidfile(vswitchdPidfile, rundir);
    await stopByPidfile(ovsdbPidfile, rundir);
    for (const ns of hostNamespaces) await deleteNamespace(ns);
    await deleteNamespace(namespace);
    await rm(rundir, { recursive: true, force: true });
  };

  try {
    await rm(rundir, { recursive: true, force: true });
    await mkdir(rundir, { recursive: true });
    await addNamespace(namespace);
    await run('ovsdb-tool', ['create', dbFile, SCHEMA]);
    await startOvsdb();
    await vsctl('--no-wait', 'init');
    await run('ip', [
      'netns',
      'exec',
      namespace,
      ...ovsEnv,
      'ovs-vswitchd',
      remote,
      `--pidfile=${vswitchdPidfile}`,
      `--log-file=${join(rundir, 'ovs-vswitchd.log')}`,
      `--unixctl=${join(rundir, 'ovs-vswitchd.ctl')}`,
      '-vconsole:off',
      '--detach',
      '--no-chdir',
    ]);
    await vsctl('add-br', bridge, '--', 'set', 'bridge', bridge, 'datapath_type=netdev');
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    namespace,
    rundir,
    dbSocket,
    remote,
    bridge,
    vsctl,
    async appctl(...args: string[]) {
      return (await run('ovs-appctl', ['-t', join(rundir, 'ovs-vswitchd.ctl'), ...args])).stdout.trim();
    },
    async addHost(host) {
      const hostNamespace = namespaceName(`${opts.tag}-${host.name}`);
      const port = uniqueName('p');
      const ifname = 'eth0';
      hostNamespaces.push(hostNamespace);
      await addNamespace(hostNamespace);
      await addVeth({ a: ifname, nsA: hostNamespace, b: port, nsB: namespace, cidr: host.cidr });
      const vlan = host.tag === undefined ? [] : ['--', 'set', 'port', port, `tag=${host.tag}`, 'vlan_mode=access'];
      await vsctl('add-port', bridge, port, ...vlan);
      return { name: host.name, namespace: hostNamespace, ifname, port, ip: host.cidr?.split('/')[0] ?? null };
    },
    async addLink(link) {
      const port = uniqueName('l');
      const peer = uniqueName('r');
      await addVeth({ a: port, nsA: namespace, b: peer, nsB: namespace });
      await tryRun('ip', ['netns', 'exec', namespace, 'ethtool', '-K', peer, 'tx', 'off']);
      const vlan = link?.tag === undefined ? [] : ['--', 'set', 'port', port, `tag=${link.tag}`, 'vlan_mode=access'];
      await vsctl('add-port', bridge, port, ...vlan);
      return { port, peer };
    },
    async ping(from, ip) {
      const r = await tryRun('ip', ['netns', 'exec', from.namespace, 'ping', '-n', '-q', '-c', '1', '-W', '1', ip]);
      return r.code === 0;
    },
    async stopOvsdb() {
      await stopByPidfile(ovsdbPidfile, rundir);
      await rm(dbSocket, { force: true });
    },
    startOvsdb,
    pauseOvsdb: () => signalDaemon(ovsdbPidfile, 'SIGSTOP'),
    resumeOvsdb: () => signalDaemon(ovsdbPidfile, 'SIGCONT'),
    pauseVswitchd: () => signalDaemon(vswitchdPidfile, 'SIGSTOP'),
    resumeVswitchd: () => signalDaemon(vswitchdPidfile, 'SIGCONT'),
    isOvsdbRunning() {
      return existsSync(dbSocket);
    },
    destroy,
  };
}
