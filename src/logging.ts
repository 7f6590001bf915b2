/** The logger every module receives (pino: one JSON line per event, secrets redacted). */
import { pino } from 'pino';

export type Logger = pino.Logger;

const REDACT = ['password', 'token', '*.password', '*.token', 'headers["x-auth-token"]', 'req.headers["x-auth-token"]'];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: options.level ?? 'info', redact: { paths: REDACT, censor: '[redacted]' }, base: { name: 'bmnet' } },
    options.destination ?? process.stderr,
  );
}

/** A logger that drops everything (tests and benchmarks that read no logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
