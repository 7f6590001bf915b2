/** bmnet v1: switches with health, desired vs observed per switch port, and dry runs. */
import type { FastifyInstance } from 'fastify';
import { HTTPNotFound, PolicyNotAuthorized } from '../domain/errors.ts';
import { mayUsePrivileged } from '../domain/policy.ts';
import type { DryRun, SwitchHealth } from '../reconciler/reconciler.ts';
import type { Store } from '../store/store.ts';

/** What the API needs of the reconciler. */
export interface SwitchView {
  health(): SwitchHealth[];
  dryRun(switchName: string): Promise<DryRun | null>;
  poke(switchName?: string): void;
}

class SwitchNotFound extends HTTPNotFound {
  constructor(name: string) {
    super(`Switch ${name} could not be found.`);
  }
}

export function switchRoutes(app: FastifyInstance, store: Store, view: SwitchView): void {
  app.addHook('preHandler', async (req) => {
    if (req.url.startsWith('/v1/switches') && !mayUsePrivileged(req.caller))
      throw new PolicyNotAuthorized('get_switches');
  });
  const describe = async (h: SwitchHealth) => ({
    ...h,
    ports: (await store.switchPorts(h.name)).map((p) => ({
      port: p.port,
      desired: p.desired,
      observed: p.observed,
      in_sync: p.isInSync,
      updated_at: p.updatedAt,
    })),
  });
  app.get('/v1/switches', async () => ({ switches: await Promise.all(view.health().map(describe)) }));
  app.get<{ Params: { name: string } }>('/v1/switches/:name', async (req) => {
    const h = view.health().find((s) => s.name === req.params.name);
    if (!h) throw new SwitchNotFound(req.params.name);
    return { switch: await describe(h) };
  });
  app.get<{ Params: { name: string } }>('/v1/switches/:name/dry-run', async (req) => {
    const r = await view.dryRun(req.params.name);
    if (!r) throw new SwitchNotFound(req.params.name);
    return {
      dry_run: {
        removals: r.plan.removals,
        additions: r.plan.additions,
        commands: { removals: r.removals, additions: r.additions },
        refused: r.refused,
      },
    };
  });
  app.post<{ Params: { name: string } }>('/v1/switches/:name/resync', async (req, reply) => {
    if (!view.health().some((s) => s.name === req.params.name)) throw new SwitchNotFound(req.params.name);
    view.poke(req.params.name);
    return reply.code(202).send({ resync: req.params.name });
  });
}
