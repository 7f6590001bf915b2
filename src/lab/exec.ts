/** Running real programs (commands with arguments, no shell) and waiting for conditions: tests and the lab. */
import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs a program; rejects with its stderr on a non-zero exit. */
export async function run(cmd: string, args: readonly string[], options: { timeoutMs?: number; input?: string } = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, [...args], {
      timeout: options.timeoutMs ?? 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Like `run` but never rejects; returns the exit code. */
export async function tryRun(cmd: string, args: readonly string[], timeoutMs = 30_000) {
  try {
    const r = await run(cmd, args, { timeoutMs });
    return { code: 0, ...r };
  } catch (err) {
    const cause = (err as { cause?: { code?: number; stdout?: string; stderr?: string } }).cause;
    return {
      code: typeof cause?.code === 'number' ? cause.code : 1,
      stdout: cause?.stdout ?? '',
      stderr: cause?.stderr ?? '',
    };
  }
}

/** Starts a long-running program; the caller stops it with `stop(child)`. */
export function start(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Ends a child we started (by its PID) and waits for it to exit. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function until<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Whether a process with this PID is alive (for cleaning leftovers of killed runs). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for servers a test starts). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free TCP port on 127.0.0.1');
  return address.port;
}
