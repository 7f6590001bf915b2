/** What every API handler receives: the store, its config slice, and injected clock and ids. */
import type { ApiConfig, NetworkConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';

export interface ApiContext {
  readonly store: Store;
  readonly network: NetworkConfig;
  readonly api: ApiConfig;
  readonly now: () => string;
  readonly newId: () => string;
  readonly randomBytes: (n: number) => Uint8Array;
}
