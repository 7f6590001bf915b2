/** Invariant 2 (docs/architecture.md §3): the switch confirms the old VLANs are gone before anything new is added. */
import { type DesiredPort, type ObservedPorts, portsOfOp, type SwitchOp, type UnboundDefault } from './switch-plan.ts';
import type { SwitchPortName } from './values.ts';

/**
 * The ports touched by `removals` that, read back, still carry an untagged VLAN that is neither the
 * unbound default nor the one they should carry, and are enabled.
 */
export function unconfirmedRemovals(
  removals: readonly SwitchOp[],
  desired: ReadonlyMap<SwitchPortName, DesiredPort>,
  observed: ObservedPorts,
  unbound: UnboundDefault,
): SwitchPortName[] {
  return [...new Set(removals.flatMap(portsOfOp))].filter((p) => {
    const o = observed.get(p);
    const d = desired.get(p);
    if (!o?.exists || !d || o.untagged === null || !o.isEnabled) return false;
    if (unbound.kind === 'vlan' && o.untagged === unbound.vlan) return false;
    if (d.kind !== 'default' && d.kind !== 'lag-member' && o.untagged === d.vlan) return false;
    return true;
  });
}
