/** Who may see and set what: Neutron's default policy for the parts bmnet serves. Pure. */
import { NetworkNotFound, PolicyNotAuthorized } from './errors.ts';
import type { Caller, Network } from './model.ts';

/** `provider:*` and `binding:*` (but `binding:vnic_type`) belong to the admin and service roles. */
export function mayUsePrivileged(caller: Caller): boolean {
  return caller.isAdmin || caller.isService;
}

/** Admins and the service role (Ironic's service credentials) see every project's resources. */
export function seesAll(caller: Caller): boolean {
  return caller.isAdmin || caller.isService;
}

export function canSeeNetwork(caller: Caller, n: Network): boolean {
  return seesAll(caller) || n.shared || n.projectId === caller.projectId;
}

export function canSeeOwned(caller: Caller, projectId: string): boolean {
  return seesAll(caller) || projectId === caller.projectId;
}

/** Ports may be put on own networks and shared ones; others' networks look absent (404, not 403). */
export function assertCanUseNetwork(caller: Caller, n: Network): void {
  if (!canSeeNetwork(caller, n)) throw new NetworkNotFound(n.id);
}

/** Refuses privileged attributes a caller may not set. */
export function assertMaySet(caller: Caller, action: string, attributes: readonly string[]): void {
  if (mayUsePrivileged(caller)) return;
  const privileged = attributes.find(
    (a) => a.startsWith('provider:') || (a.startsWith('binding:') && a !== 'binding:vnic_type'),
  );
  if (privileged) throw new PolicyNotAuthorized(`${action}:${privileged}`);
}

/** Only admins act for another project. */
export function owningProject(caller: Caller, requested: string | undefined): string {
  if (requested === undefined || requested === caller.projectId) return caller.projectId;
  if (!caller.isAdmin) throw new PolicyNotAuthorized('create:tenant_id');
  return requested;
}

/** bmnet acting on its own behalf (node moves, DHCP ports): an admin of the admin project. */
export const SYSTEM_CALLER: Caller = { projectId: 'admin', roles: ['admin'], isAdmin: true, isService: false };
