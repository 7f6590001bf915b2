/** The only switch type the reconciler sees (docs/architecture.md §4). */
import type { ObservedPorts, SwitchOp } from '../domain/switch-plan.ts';
import type { SwitchPortName } from '../domain/values.ts';

export type SwitchIdentity =
  | { readonly kind: 'mac'; readonly value: string }
  | { readonly kind: 'datapath-id'; readonly value: string };

export interface SwitchDriver {
  /** `switch_id` values this device answers to (bridge MAC, OpenFlow datapath_id). */
  identities(): Promise<readonly SwitchIdentity[]>;
  /** Current state of the given ports and LAGs; unknown names come back with `exists: false`. */
  read(ports: readonly SwitchPortName[]): Promise<ObservedPorts>;
  /** Applies one batch, in order. Throws SwitchRejected or SwitchUnreachable. */
  apply(ops: readonly SwitchOp[]): Promise<void>;
  /** The exact commands or transaction `apply(ops)` would send, for dry runs. */
  render(ops: readonly SwitchOp[]): readonly string[];
  close(): Promise<void>;
}
