/**
 * Starts bmnet's TFTP server alone, for the peer benchmark (bench/tftp.sh):
 *   $(scripts/node-runtime.sh) bench/tftp-server.ts --listen HOST:PORT --root DIR [--max-block-size N] [--max-window-size N]
 * Runs in the foreground until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { startTftpServer } from '../src/boot/tftp/server.ts';
import { silentLogger } from '../src/logging.ts';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:6969' },
    root: { type: 'string' },
    'max-block-size': { type: 'string', default: '1468' },
    'max-window-size': { type: 'string', default: '64' },
  },
});

const m = /^(.*):(\d+)$/.exec(values.listen);
if (m === null || values.root === undefined) {
  process.stderr.write('usage: tftp-server.ts --listen HOST:PORT --root DIR\n');
  process.exit(2);
}
const server = await startTftpServer({
  listen: { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port: Number(m[2]) },
  root: values.root,
  logger: silentLogger(),
  registry: new Registry(),
  limits: { maxBlockSize: Number(values['max-block-size']), maxWindowSize: Number(values['max-window-size']) },
});
process.stderr.write(`tftp-server: listening on ${server.address.address}:${server.address.port}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0));
  });
}
