/**
 * What a switch can configure, and the part of a plan it cannot. Planning refuses an op the switch's driver
 * lacks instead of sending it (docs/ssh-driver.md: Junos renders no trunk or LAG ops): the ports it names are
 * left as they are, and the Neutron ports placed on them end `binding_failed` with the reason.
 */
import { portsOfOp, type SwitchOp, type SwitchPlan } from './switch-plan.ts';
import type { SwitchPortName } from './values.ts';

export interface SwitchCapabilities {
  /** Tagged VLANs: `add-tagged`, `remove-tagged`. */
  readonly trunk: boolean;
  /** Port channels: `set-lag`, `delete-lag`. */
  readonly lag: boolean;
}

export const ALL_CAPABILITIES: SwitchCapabilities = { trunk: true, lag: true };

export interface CapablePlan {
  /** The ops the switch can take; none names a refused port. */
  readonly plan: SwitchPlan;
  /** Each port (or LAG) left out, with why. */
  readonly refused: ReadonlyMap<SwitchPortName, string>;
}

function lacking(op: SwitchOp, can: SwitchCapabilities): string | null {
  switch (op.kind) {
    case 'add-tagged':
      return can.trunk ? null : 'add tagged VLANs to';
    case 'remove-tagged':
      return can.trunk ? null : 'remove tagged VLANs from';
    case 'set-lag':
      return can.lag ? null : 'configure the LAG';
    case 'delete-lag':
      return can.lag ? null : 'delete the LAG';
    case 'set-access':
    case 'set-enabled':
      return null;
  }
}

/**
 * Leaves out of `plan` every op naming a port that some op the switch cannot take names: a port is changed
 * whole or not at all (its removals and additions go together, invariant 2), and a LAG with its members.
 */
export function refuseUnsupported(plan: SwitchPlan, can: SwitchCapabilities, switchLabel: string): CapablePlan {
  const refused = new Map<SwitchPortName, string>();
  for (const op of [...plan.removals, ...plan.additions]) {
    const what = lacking(op, can);
    if (what === null) continue;
    const target = op.kind === 'set-lag' || op.kind === 'delete-lag' ? op.lag : op.port;
    for (const p of portsOfOp(op)) {
      if (!refused.has(p)) refused.set(p, `${switchLabel} cannot ${what} ${target}: left unchanged`);
    }
  }
  if (refused.size === 0) return { plan, refused };
  const keeps = (op: SwitchOp) => !portsOfOp(op).some((p) => refused.has(p));
  return { plan: { removals: plan.removals.filter(keeps), additions: plan.additions.filter(keeps) }, refused };
}
