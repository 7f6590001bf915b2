/**
 * The Linux side of a DHCP attachment (docs/architecture.md §8): the OVS internal port's device is moved from the
 * namespace ovs-vswitchd runs in into the attachment's own namespace and given the DHCP port's MAC and
 * address, plus a route for 255.255.255.255 so broadcast replies leave through it (reference/deps.md).
 * iproute2 does the work: there is no netlink library among our dependencies.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** `ip` failed; the message carries the command and its stderr. */
export class IpCommandFailed extends Error {}

async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', [...args], { timeout: 10_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new IpCommandFailed(`ip ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

const inNetns = (netns: string | null): string[] => (netns === null ? [] : ['-n', netns]);

export async function listNamespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** Deletes a namespace (its devices go with it); absent is fine. */
export async function deleteNamespace(namespace: string): Promise<void> {
  if ((await listNamespaces()).includes(namespace)) await ip(['netns', 'del', namespace]);
}

async function hasLink(netns: string | null, device: string): Promise<boolean> {
  try {
    await ip([...inNetns(netns), 'link', 'show', 'dev', device]);
    return true;
  } catch {
    return false; // absent, not an error: the caller waits for it
  }
}

export interface NamespaceSetup {
  readonly namespace: string;
  readonly device: string;
  /** Namespace the device appears in (where ovs-vswitchd runs); null: this process's. */
  readonly fromNetns: string | null;
  readonly mac: string;
  /** `a.b.c.d/n` */
  readonly address: string;
  readonly mtu: number;
  readonly timeoutMs?: number;
}

/** Creates the namespace and moves `device` into it, configured and up. */
export async function setUpNamespace(s: NamespaceSetup): Promise<void> {
  const deadline = Date.now() + (s.timeoutMs ?? 10_000);
  while (!(await hasLink(s.fromNetns, s.device))) {
    if (Date.now() > deadline) {
      throw new IpCommandFailed(`device ${s.device} did not appear in ${s.fromNetns ?? 'this namespace'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await ip(['netns', 'add', s.namespace]);
  await ip([...inNetns(s.fromNetns), 'link', 'set', 'dev', s.device, 'netns', s.namespace]);
  const n = ['-n', s.namespace];
  await ip([...n, 'link', 'set', 'dev', 'lo', 'up']);
  await ip([...n, 'link', 'set', 'dev', s.device, 'address', s.mac, 'mtu', String(s.mtu)]);
  await ip([...n, 'addr', 'add', s.address, 'dev', s.device]);
  await ip([...n, 'link', 'set', 'dev', s.device, 'up']);
  await ip([...n, 'route', 'add', '255.255.255.255/32', 'dev', s.device]);
}
