/** Segments (read-only here): what Ironic reads to learn a subnet's physnet. */
import { SegmentNotFound } from '../../domain/errors.ts';
import type { Caller } from '../../domain/model.ts';
import { canSeeNetwork, mayUsePrivileged } from '../../domain/policy.ts';
import type { ApiContext } from '../context.ts';
import type { Filterable, ListQuery } from '../query.ts';
import { type JsonObject, segmentToWire } from '../wire.ts';

export const SEGMENT_FILTERS: Readonly<Record<string, Filterable>> = {
  id: { kind: 'string', column: 'id' },
  network_id: { kind: 'string', column: 'network_id' },
  name: { kind: 'string', column: 'name' },
  network_type: { kind: 'string', column: 'network_type' },
  physical_network: { kind: 'string', column: 'physical_network' },
  segmentation_id: { kind: 'int', column: 'segmentation_id' },
  description: { kind: 'string', column: 'description' },
};

export async function listSegments(ctx: ApiContext, caller: Caller, q: ListQuery): Promise<JsonObject[]> {
  const visible = mayUsePrivileged(caller) ? null : { projectId: caller.projectId };
  return (await ctx.store.listSegments(q.sql, visible)).map(segmentToWire);
}

export async function showSegment(ctx: ApiContext, caller: Caller, id: string): Promise<JsonObject> {
  const s = await ctx.store.getSegment(id);
  if (!s) throw new SegmentNotFound(id);
  if (!mayUsePrivileged(caller)) {
    const ns = await ctx.store.getNetwork(s.networkId);
    if (!ns || !canSeeNetwork(caller, ns.network)) throw new SegmentNotFound(id);
  }
  return segmentToWire(s);
}
