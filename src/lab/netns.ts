/**
 * Network namespaces as test hosts. Names carry the creating process id (`bmnet-t<pid>-…`) so a later
 * run can remove what a killed run left behind (`removeStaleNamespaces`).
 */
import { isAlive, run, tryRun } from './exec.ts';

let counter = 0;

/** A unique short name: `bt<pid36><n><tag>` fits Linux's 15-character interface names. */
export function uniqueName(tag: string): string {
  counter += 1;
  const name = `bt${process.pid.toString(36)}${counter.toString(36)}${tag}`;
  if (name.length > 15) throw new Error(`name ${name} is longer than 15 characters; use a shorter tag`);
  return name;
}

/** Namespace name for this process: `bmnet-t<pid>-<tag>`. */
export function namespaceName(tag: string): string {
  return `bmnet-t${process.pid}-${tag}`;
}

export async function addNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNamespace(name: string): Promise<void> {
  await tryRun('ip', ['netns', 'pids', name]).then(async (r) => {
    for (const pid of r.stdout.split(/\s+/).filter(Boolean)) {
      // processes a test started inside its namespace (clients, servers)
      await tryRun('kill', ['-9', pid]);
    }
  });
  await tryRun('ip', ['netns', 'del', name]);
}

/** Removes `bmnet-t<pid>-*` namespaces whose creating process is gone. */
export async function removeStaleNamespaces(): Promise<void> {
  const { stdout } = await tryRun('ip', ['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const m = /^bmnet-t(\d+)-\S+/.exec(line.trim());
    if (m?.[1] && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) await deleteNamespace(m[0]);
  }
}

/** Runs a program inside a namespace. */
export function inNamespace(ns: string, cmd: string, args: readonly string[], timeoutMs?: number) {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], { timeoutMs });
}

/**
 * A veth pair: `a` in namespace `nsA` with optional address `cidr`, `b` in `nsB` (or the host when null).
 * Transmit checksum offload is turned off on `a` so UDP replies reach firmware clients (testbed pitfall 2).
 */
export async function addVeth(opts: {
  a: string;
  nsA: string;
  b: string;
  nsB: string | null;
  cidr?: string;
  mac?: string;
}): Promise<void> {
  const bSide = opts.nsB === null ? ['peer', 'name', opts.b] : ['peer', 'name', opts.b, 'netns', opts.nsB];
  await run('ip', [
    'link',
    'add',
    opts.a,
    'netns',
    opts.nsA,
    ...(opts.mac ? ['address', opts.mac] : []),
    'type',
    'veth',
    ...bSide,
  ]);
  await tryRun('ip', ['netns', 'exec', opts.nsA, 'ethtool', '-K', opts.a, 'tx', 'off']);
  if (opts.cidr) await run('ip', ['-n', opts.nsA, 'addr', 'add', opts.cidr, 'dev', opts.a]);
  await run('ip', ['-n', opts.nsA, 'link', 'set', opts.a, 'up']);
  await run('ip', [...(opts.nsB === null ? [] : ['-n', opts.nsB]), 'link', 'set', opts.b, 'up']);
}
