/**
 * A DHCP socket inside a network namespace, served by this process (docs/architecture.md §8). Node cannot bind to a
 * device, but a socket belongs to the namespace it was created in: a short-lived helper started with
 * `ip netns exec NS` creates and binds it and hands it over the IPC channel (about 0.5 MiB per
 * namespace instead of a process each, shared/reference/deps.md). Broadcast replies need a route for
 * 255.255.255.255 in the namespace (`ip route add 255.255.255.255/32 dev IF`): the caller adds it with
 * the attachment.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:dgram';
import { DhcpSocketUnavailable } from '../domain/errors.ts';

/** Runs in the namespace (plain CommonJS, no project imports, so it starts in milliseconds). */
const HELPER = `
const dgram = require('node:dgram');
const [address, port] = [process.argv[1], Number(process.argv[2])];
const s = dgram.createSocket({ type: 'udp4' });
s.once('error', (err) => { process.send({ ok: false, error: String(err.message) }, () => process.exit(1)); });
s.bind({ address, port, exclusive: true }, () => {
  s.setBroadcast(true);
  process.send({ ok: true }, s, () => process.exit(0));
});
`;

/** Binds a UDP socket (default 0.0.0.0:67, broadcast on) in `namespace` and returns it to this process. */
export function openNamespaceSocket(
  namespace: string,
  options: { address?: string; port?: number; timeoutMs?: number } = {},
): Promise<Socket> {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      process.execPath,
      '-e',
      HELPER,
      options.address ?? '0.0.0.0',
      String(options.port ?? 67),
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<Socket>((resolve, reject) => {
    let isSettled = false;
    const settle = (fn: () => void): boolean => {
      if (isSettled) return false;
      isSettled = true;
      clearTimeout(timer);
      fn();
      return true;
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new DhcpSocketUnavailable(namespace, 'the helper did not answer in time')));
    }, options.timeoutMs ?? 10_000);
    child.on('message', (msg: unknown, handle: unknown) => {
      const m = msg as { ok?: boolean; error?: string };
      if (m.ok && handle) {
        // a socket that arrives after we gave up is closed, or it would hold its namespace alive
        if (!settle(() => resolve(handle as Socket))) (handle as Socket).close();
      } else settle(() => reject(new DhcpSocketUnavailable(namespace, m.error ?? 'no socket in the answer')));
    });
    // 'close', not 'exit': it comes after the IPC channel delivered the helper's last message
    child.on('close', (code) => {
      settle(() => reject(new DhcpSocketUnavailable(namespace, `helper exited with ${code}: ${stderr.trim()}`)));
    });
    child.on('error', (err) => {
      settle(() => reject(new DhcpSocketUnavailable(namespace, err.message)));
    });
  });
}
