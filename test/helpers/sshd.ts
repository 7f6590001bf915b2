/**
 * A real OpenSSH server on 127.0.0.1 for tests: a random free port, a generated host key and client key,
 * its own config, pidfile and log in a temp dir (`/tmp/bmnet-sshd-<pid>-<tag>`). Root logs in with the
 * client key. Stopped by its PID; `removeStaleSshd()` ends what a killed run left.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { freeTcpPort, isAlive, run, start, stop, tryRun, until } from './sh.ts';

const SSHD = '/usr/sbin/sshd';
const DIR_PREFIX = 'bmnet-sshd-';
const INSTALL_HINT = 'apt-get install --no-install-recommends openssh-server openssh-client';

export interface TestSshd {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Path of the client's private key (authorized for `username`). */
  readonly keyFile: string;
  /** The server's host key fingerprint as `ssh-keygen -lf` prints it (`SHA256:…`). */
  readonly hostKeySha256: string;
  /** sshd's log (LogLevel VERBOSE: one "Accepted publickey" line per login). */
  readonly logFile: string;
  /** Logins sshd accepted so far. */
  acceptedLogins(): Promise<number>;
  /** Stops sshd by PID (it may be started again with `restart`). */
  stop(): Promise<void>;
  /** Starts sshd again on the same port and keys. */
  restart(): Promise<void>;
  /** Stops sshd and removes its directory. Idempotent. */
  destroy(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Removes directories (and their sshd, by pidfile) left by test processes that are gone. */
export async function removeStaleSshd(): Promise<void> {
  for (const entry of await readdir('/tmp').catch(() => [] as string[])) {
    const m = /^bmnet-sshd-(\d+)-/.exec(entry);
    if (!m?.[1]) continue;
    const owner = Number(m[1]);
    if (owner === process.pid || isAlive(owner)) continue;
    const dir = join('/tmp', entry);
    const pid = Number.parseInt(await readFile(join(dir, 'sshd.pid'), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(dir)) process.kill(pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  }
}

export async function startSshd(opts: { tag: string }): Promise<TestSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: ${INSTALL_HINT}`);
  const dir = `/tmp/${DIR_PREFIX}${process.pid}-${opts.tag}`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Privilege separation directory that Debian's sshd requires.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  const keyFile = join(dir, 'client_ed25519');
  const logFile = join(dir, 'sshd.log');
  const config = join(dir, 'sshd_config');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${keyFile}.pub`, 'utf8'), { mode: 0o600 });
  const fingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`])).stdout.split(' ')[1];
  if (!fingerprint?.startsWith('SHA256:')) throw new Error(`ssh-keygen printed no SHA256 fingerprint for ${hostKey}`);
  const port = await freeTcpPort();
  await writeFile(
    config,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      'MaxSessions 20',
      'MaxStartups 50',
      '',
    ].join('\n'),
  );

  let child: ChildProcess | null = null;
  const launch = async () => {
    // -D: stay in the foreground (we own the PID); -E: log to our file.
    child = start(SSHD, ['-D', '-f', config, '-E', logFile]);
    const c = child;
    await until(async () => c.exitCode === null && (await accepts(port)), { timeoutMs: 10_000, what: 'sshd' }).catch(
      async (err) => {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        throw new Error(`sshd did not start: ${log.trim()}`, { cause: err });
      },
    );
  };
  const halt = async () => {
    if (child !== null) {
      // its per-connection processes too: a switch that goes down drops every open session
      if (child.pid !== undefined) await tryRun('pkill', ['-TERM', '-P', String(child.pid)]);
      await stop(child);
    }
    child = null;
  };
  await launch();

  return {
    host: '127.0.0.1',
    port,
    username: 'root',
    keyFile,
    hostKeySha256: fingerprint,
    logFile,
    async acceptedLogins() {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      return log.split('\n').filter((l) => l.includes('Accepted publickey')).length;
    },
    stop: halt,
    restart: launch,
    async destroy() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
