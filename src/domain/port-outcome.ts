/**
 * What a reconcile run records on one managed port (docs/architecture.md §3 invariant 1, §5 step 5): ACTIVE once its switch ports are
 * confirmed and DHCP serves it, binding_failed / DOWN with the reason otherwise.
 */
import type { PortStatus, VifType } from './model.ts';

export interface PortOutcome {
  readonly vifType: VifType;
  readonly status: PortStatus;
  readonly details: Readonly<Record<string, unknown>>;
}

/** How this run on the port's switch ended: no failure, the switch refused (SwitchRejected), or anything else. */
export type RunFailure =
  | { readonly kind: 'none' }
  | { readonly kind: 'rejected'; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

export interface PortOutcomeFacts {
  /** Set when binding could not place the port; the reason it gives. */
  readonly failedReason: string | undefined;
  /** Set when this run's switch cannot configure one of the port's switch ports (docs/ssh-driver.md); why. */
  readonly refusedReason?: string | undefined;
  readonly isUnmanaged: boolean;
  /** Every switch port the binding places the port on is confirmed in sync. */
  readonly isEveryPlacementInSync: boolean;
  /** The port has a placement on the switch of this run. */
  readonly touchesThisSwitch: boolean;
  /** false when DHCP is known not to serve the port yet; undefined when nothing is waited for. */
  readonly isDhcpServing: boolean | undefined;
  readonly currentVifType: VifType;
  readonly failure: RunFailure;
}

const ACTIVE_L2: PortOutcome = { vifType: 'other', status: 'ACTIVE', details: { connectivity: 'l2' } };

/** The outcome to record, or null to leave the port as it is (another switch's run decides). */
export function decidePortOutcome(f: PortOutcomeFacts): PortOutcome | null {
  if (f.failedReason !== undefined)
    return { vifType: 'binding_failed', status: 'DOWN', details: { reason: f.failedReason } };
  if (f.refusedReason !== undefined)
    return { vifType: 'binding_failed', status: 'DOWN', details: { reason: f.refusedReason } };
  if (f.isUnmanaged) return ACTIVE_L2;
  if (f.isEveryPlacementInSync) {
    return f.isDhcpServing === false
      ? {
          vifType: 'other',
          status: 'DOWN',
          details: { connectivity: 'l2', reason: 'waiting for DHCP to serve the port' },
        }
      : ACTIVE_L2;
  }
  if (!f.touchesThisSwitch) return null;
  switch (f.failure.kind) {
    case 'none':
      return null;
    case 'rejected':
      return { vifType: 'binding_failed', status: 'DOWN', details: { reason: f.failure.message } };
    case 'other':
      // unreachable is not a refusal: a port that never failed stays unbound while the switch is retried
      return {
        vifType: f.currentVifType === 'binding_failed' ? 'binding_failed' : 'unbound',
        status: 'DOWN',
        details: { reason: f.failure.message },
      };
  }
}
