/** `bmnet` command line. */
import { Command } from 'commander';
import { ConfigError, loadConfigFile, parseConfig } from '../config/load.ts';
import { createLogger } from '../logging.ts';
import { probeConfig, serve } from '../main.ts';
import { bootTraceCommands } from './boot-trace.ts';
import { ApiError, type ApiTarget } from './client.ts';
import { labCommands } from './lab.ts';
import { nodeCommands } from './nodes.ts';
import { switchCommands } from './switches.ts';

const program = new Command();
program
  .name('bmnet')
  .description('Network control plane for bare-metal server fleets')
  .version('0.1.0')
  .option('--url <url>', 'bmnet API for client commands', 'http://127.0.0.1:9696')
  .option('--token <token>', 'X-Auth-Token for client commands (auth mode token)');
const target = (): ApiTarget => {
  const o = program.opts<{ url: string; token?: string }>();
  return { url: o.url, token: o.token };
};

program
  .command('serve')
  .description('run bmnet (Neutron v2.0 API on the configured listen address, embedded SQLite by default)')
  .option('-c, --config <file>', 'YAML config file (see bmnet.yaml); without it, built-in defaults')
  .action(async (opts: { config?: string }) => {
    const config = opts.config ? loadConfigFile(opts.config) : parseConfig('');
    const log = createLogger({ level: config.log.level });
    const running = await serve(config, log);
    const shutdown = async (signal: string) => {
      log.info({ signal }, 'stopping');
      await running.stop();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });

program
  .command('check-config')
  .description(
    'read and validate a config file, then exit: 2 with the file, line and key on error; 1 when a --probe fails',
  )
  .argument('<file>', 'YAML config file')
  .option('--probe', 'also open the database and read each switch once (OVSDB or SSH), each within --timeout')
  .option('--timeout <ms>', 'for --probe: how long one database or switch may take', '5000')
  .action(async (file: string, opts: { probe?: boolean; timeout: string }) => {
    const config = loadConfigFile(file);
    process.stdout.write(`${file}: ok\n`);
    if (!opts.probe) return;
    const timeoutMs = Number(opts.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
      throw new Error(`--timeout '${opts.timeout}' is not milliseconds`);
    // switch drivers log their retries; a probe reports each result once, here
    const results = await probeConfig(config, createLogger({ level: 'silent' }), timeoutMs);
    for (const r of results) process.stdout.write(`${r.what}: ${r.isOk ? 'ok' : 'FAILED'}, ${r.detail}\n`);
    if (results.some((r) => !r.isOk)) process.exitCode = 1;
  });

switchCommands(program, target);
nodeCommands(program, target);
labCommands(program);
bootTraceCommands(program, target);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message =
    err instanceof ConfigError || err instanceof ApiError
      ? err.message
      : err instanceof Error
        ? err.message
        : String(err);
  process.stderr.write(`bmnet: ${message}\n`);
  process.exit(2);
});
