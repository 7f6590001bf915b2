/**
 * When a node's network operation ends (docs/architecture.md §5 step 5): the operation waits for every port it
 * created or re-bound to be ACTIVE, and fails at the first port the switch refused (binding_failed, with the
 * reason the reconciler recorded), when one of its ports is deleted meanwhile, or at its deadline.
 */
import type { Port } from './model.ts';

/** What the operation reads of each of its ports. */
export type OperationPort = Pick<Port, 'id' | 'status' | 'vifType' | 'vifDetails'>;

export interface OperationProgress {
  readonly total: number;
  readonly active: number;
  /** Ports of the operation that no longer exist. */
  readonly missing: number;
  /** `port ID: reason` of the first port that failed to bind, or null. */
  readonly failure: string | null;
}

export type OperationEnd =
  | { readonly state: 'running' }
  | { readonly state: 'succeeded' }
  | { readonly state: 'failed'; readonly error: string };

/** Progress of an operation over `portIds`, from those of its ports that still exist. */
export function operationProgress(portIds: readonly string[], ports: readonly OperationPort[]): OperationProgress {
  const failed = ports.find((p) => p.vifType === 'binding_failed');
  return {
    total: portIds.length,
    active: ports.filter((p) => p.status === 'ACTIVE').length,
    missing: portIds.length - ports.length,
    failure: failed ? `port ${failed.id}: ${String(failed.vifDetails.reason ?? 'binding failed')}` : null,
  };
}

/** The moment (ms since the epoch) an operation created at `createdAt` times out. */
export function operationDeadline(createdAt: string, timeoutSeconds: number): number {
  return Date.parse(createdAt) + timeoutSeconds * 1000;
}

/**
 * Whether the operation ends now, in this order: a failed port, a deleted port, every port ACTIVE, the
 * deadline passed (strictly after it); otherwise it is still running.
 */
export function decideOperationEnd(
  portIds: readonly string[],
  ports: readonly OperationPort[],
  now: number,
  deadline: number,
): OperationEnd {
  const p = operationProgress(portIds, ports);
  if (p.failure !== null) return { state: 'failed', error: p.failure };
  if (p.missing > 0) return { state: 'failed', error: `${p.missing} port(s) of the operation were deleted meanwhile` };
  if (p.active === p.total) return { state: 'succeeded' };
  if (now > deadline) return { state: 'failed', error: `timed out: ${p.active} of ${p.total} ports ACTIVE` };
  return { state: 'running' };
}
