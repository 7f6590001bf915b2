/**
 * A MAC with a port on this network gets that port's address (docs/architecture.md §3, invariant 4: on reservation-only
 * networks nothing else is answered). Unknown MACs continue only when some subnet has a dynamic pool.
 */
import { subnetFor } from '../model.ts';
import type { DhcpStep } from '../step.ts';

export const findReservation: DhcpStep = (req, reply, net) => {
  const reservation = net.reservations.get(req.mac);
  if (!reservation) {
    const candidates = reply.subnet ? [reply.subnet] : net.subnets;
    return candidates.some((s) => s.dynamicPools.length > 0)
      ? { kind: 'continue', reply }
      : { kind: 'drop', reason: 'unknown-client' };
  }
  const subnet = subnetFor(net.subnets, reservation.ip);
  // relayed: the reservation must be on the subnet the relay serves
  if (!subnet || (reply.subnet && reply.subnet.id !== subnet.id)) return { kind: 'drop', reason: 'no-subnet' };
  return { kind: 'continue', reply: { ...reply, reservation, subnet, yiaddr: reservation.ip } };
};
