/** Composition root: builds every adapter from Config and runs the roles. The only file naming concrete adapters. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api/context.js';
import { buildApi } from './api/server.js';
import type { Config } from './config/schema.js';
import { createLogger, type Logger } from './logging.js';
import { openSqliteStore } from './store/sqlite.js';
import { isoSeconds, type Store } from './store/store.js';

export interface Running {
  readonly store: Store;
  readonly api: FastifyInstance;
  /** The API's bound address (the port is real even when config said 0). */
  readonly url: string;
  stop(): Promise<void>;
}

export async function openStore(config: Config): Promise<Store> {
  if (config.database.kind === 'postgres') {
    throw new Error('database: PostgreSQL is not available yet in this build; use sqlite:FILE');
  }
  return openSqliteStore(config.database.path);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export async function serve(config: Config, log: Logger = createLogger({ level: config.log.level })): Promise<Running> {
  const store = await openStore(config);
  const ctx: ApiContext = {
    store,
    network: config.network,
    api: config.api,
    now: () => isoSeconds(Date.now()),
    newId: randomUUID,
    randomBytes: (n) => randomBytes(n),
  };
  const api = buildApi(ctx, config.auth, log);
  if (config.auth.mode === 'noauth' && !isLoopback(config.listen.host)) {
    log.warn(
      { listen: config.listen.host },
      'auth mode noauth on a non-loopback address: anyone who reaches it is admin',
    );
  }
  const url = await api.listen({ host: config.listen.host, port: config.listen.port });
  log.info({ url, database: config.database.kind }, 'bmnet API listening');
  return {
    store,
    api,
    url,
    async stop() {
      await api.close();
      await store.close();
    },
  };
}
