/** What every API handler receives: the store, its config slice, and injected clock and ids. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiConfig, NetworkConfig } from '../config/schema.ts';
import { isoSeconds, type Store } from '../store/store.ts';

export interface ApiContext {
  readonly store: Store;
  readonly network: NetworkConfig;
  readonly api: ApiConfig;
  readonly now: () => string;
  readonly newId: () => string;
  readonly randomBytes: (n: number) => Uint8Array;
}

/** The context of a running bmnet: the wall clock, random UUIDs and random bytes. */
export function liveContext(
  store: Store,
  config: { readonly network: NetworkConfig; readonly api: ApiConfig },
): ApiContext {
  return {
    store,
    network: config.network,
    api: config.api,
    now: () => isoSeconds(Date.now()),
    newId: randomUUID,
    randomBytes: (n) => randomBytes(n),
  };
}
