/** The HTTP server: Neutron v2.0 at /v2.0, bmnet's own API at /v1 (switches). */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AuthConfig } from '../config/schema.ts';
import { HTTPNotFound } from '../domain/errors.ts';
import type { Caller } from '../domain/model.ts';
import type { Logger } from '../logging.ts';
import type { NodeService } from '../nodes/service.ts';
import { authenticate } from './auth.ts';
import { type BootStatusReader, bootStatusRoutes } from './boot-status.ts';
import { type BootTraceReader, bootTraceRoutes } from './boot-trace.ts';
import type { ApiContext } from './context.ts';
import { neutronError, replyError } from './errors.ts';
import { listExtensions, showExtension } from './neutron/extensions.ts';
import {
  createNetworks,
  deleteNetwork,
  listNetworks,
  NETWORK_FILTERS,
  showNetwork,
  updateNetwork,
} from './neutron/networks.ts';
import {
  createPorts,
  deletePort,
  listPorts,
  PORT_FILTERS,
  PORT_SPECIAL_FILTERS,
  showPort,
  updatePort,
} from './neutron/ports.ts';
import { listSegments, SEGMENT_FILTERS, showSegment } from './neutron/segments.ts';
import {
  createSubnets,
  deleteSubnet,
  listSubnets,
  SUBNET_FILTERS,
  showSubnet,
  updateSubnet,
} from './neutron/subnets.ts';
import { nodeRoutes } from './nodes.ts';
import { type Filterable, type ListQuery, pageOf, parseListQuery, type QueryValues, sqlPageOf } from './query.ts';
import { type SwitchView, switchRoutes } from './switches.ts';
import { type JsonObject, resourceBody } from './wire.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

interface Resource {
  readonly member: string;
  readonly collection: string;
  readonly filters: Readonly<Record<string, Filterable>>;
  readonly special: readonly string[];
  list(ctx: ApiContext, caller: Caller, q: ListQuery): Promise<JsonObject[]>;
  show(ctx: ApiContext, caller: Caller, id: string): Promise<JsonObject>;
  create?(ctx: ApiContext, caller: Caller, bodies: readonly JsonObject[]): Promise<JsonObject[]>;
  update?(ctx: ApiContext, caller: Caller, id: string, body: JsonObject, ifMatch?: string): Promise<JsonObject>;
  remove?(ctx: ApiContext, caller: Caller, id: string, ifMatch?: string): Promise<void>;
}

const RESOURCES: readonly Resource[] = [
  {
    member: 'network',
    collection: 'networks',
    filters: NETWORK_FILTERS,
    special: [],
    list: listNetworks,
    show: showNetwork,
    create: createNetworks,
    update: updateNetwork,
    remove: deleteNetwork,
  },
  {
    member: 'subnet',
    collection: 'subnets',
    filters: SUBNET_FILTERS,
    special: [],
    list: listSubnets,
    show: showSubnet,
    create: createSubnets,
    update: updateSubnet,
    remove: deleteSubnet,
  },
  {
    member: 'port',
    collection: 'ports',
    filters: PORT_FILTERS,
    special: PORT_SPECIAL_FILTERS,
    list: listPorts,
    show: showPort,
    create: createPorts,
    update: updatePort,
    remove: deletePort,
  },
  {
    member: 'segment',
    collection: 'segments',
    filters: SEGMENT_FILTERS,
    special: [],
    list: listSegments,
    show: showSegment,
  },
];

function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

export function buildApi(
  ctx: ApiContext,
  auth: AuthConfig,
  log: Logger,
  bootTrace: BootTraceReader,
  switches: SwitchView | null = null,
  nodes: NodeService | null = null,
  bootStatus: BootStatusReader = () => null,
): FastifyInstance {
  const app = Fastify({
    bodyLimit: ctx.api.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // Neutron accepts a `.json` suffix on every path
    rewriteUrl: (req) => (req.url ?? '/').replace(/\.json(?=\?|$)/, ''),
    genReqId: (req) => {
      const given = req.headers['x-openstack-request-id'];
      return typeof given === 'string' && given.length < 128 ? given : `req-${crypto.randomUUID()}`;
    },
  });

  // Neutron ignores Content-Type: every body is JSON
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.decorateRequest('caller', null as unknown as Caller);
  app.addHook('onRequest', async (req) => {
    req.caller = authenticate(auth, req.headers);
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
  });
  app.setErrorHandler((err, req, reply) => replyError(err, req, reply, log));
  app.setNotFoundHandler((_req, reply) => {
    const e = new HTTPNotFound('The resource could not be found.');
    void reply.code(404).send(neutronError(e.name, e.message));
  });

  app.get('/', async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(req)}/v2.0/`, rel: 'self' }] }],
  }));
  app.get('/v2.0', async (req) => ({
    resources: [...RESOURCES.map((r) => r.collection), 'extensions'].map((name) => ({
      name: name.replace(/s$/, ''),
      collection: name,
      links: [{ href: `${baseUrl(req)}/v2.0/${name}`, rel: 'self' }],
    })),
  }));
  app.get('/v2.0/extensions', async () => ({ extensions: listExtensions() }));
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => ({
    extension: showExtension(req.params.alias),
  }));

  if (switches) switchRoutes(app, ctx.store, switches);
  bootTraceRoutes(app, bootTrace);
  bootStatusRoutes(app, bootStatus);
  if (nodes) nodeRoutes(app, nodes);

  for (const r of RESOURCES) {
    const path = `/v2.0/${r.collection}`;
    app.get(path, async (req) => {
      const q = parseListQuery(req.query as QueryValues, r.filters, r.special, ctx.api.maxPageSize);
      const items = await r.list(ctx, req.caller, q);
      const original = new URLSearchParams(req.url.split('?')[1] ?? '');
      const isCut = r.collection !== 'segments' && sqlPageOf(q) !== undefined;
      const page = pageOf(items, q, (p) => `${baseUrl(req)}${path}?${p.toString()}`, original, isCut);
      return page.links.length > 0
        ? { [r.collection]: page.items, [`${r.collection}_links`]: page.links }
        : { [r.collection]: page.items };
    });
    app.get<{ Params: { id: string } }>(`${path}/:id`, async (req) => {
      const q = parseListQuery(
        { fields: (req.query as QueryValues).fields },
        r.filters,
        r.special,
        ctx.api.maxPageSize,
      );
      const one = await r.show(ctx, req.caller, req.params.id);
      return { [r.member]: q.fields.length ? pageOf([one], q, () => '', new URLSearchParams()).items[0] : one };
    });
    const { create, update, remove } = r;
    if (create) {
      app.post(path, async (req, reply) => {
        const bodies = resourceBody(req.body, r.member, r.collection);
        const isBulk = typeof req.body === 'object' && req.body !== null && r.collection in req.body;
        const made = await create(ctx, req.caller, bodies);
        void reply.code(201);
        return isBulk ? { [r.collection]: made } : { [r.member]: made[0] };
      });
    }
    if (update) {
      app.put<{ Params: { id: string } }>(`${path}/:id`, async (req) => {
        const [body] = resourceBody(req.body, r.member, null);
        const updated = await update(ctx, req.caller, req.params.id, body ?? {}, req.headers['if-match']);
        return { [r.member]: updated };
      });
    }
    if (remove) {
      app.delete<{ Params: { id: string } }>(`${path}/:id`, async (req, reply) => {
        await remove(ctx, req.caller, req.params.id, req.headers['if-match']);
        return reply.code(204).send();
      });
    }
  }
  return app;
}
