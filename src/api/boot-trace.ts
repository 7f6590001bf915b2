/** bmnet v1: the boot trace of a MAC (docs/architecture.md §2) — every DHCP exchange and TFTP/HTTP request, oldest first. Admin/service only. */
import type { FastifyInstance } from 'fastify';
import { type StoredTraceEvent, traceSource } from '../domain/boot-trace.ts';
import { InvalidInput, PolicyNotAuthorized } from '../domain/errors.ts';
import { mayUsePrivileged } from '../domain/policy.ts';
import { type Mac, parseMac } from '../domain/values.ts';

/** Reads the newest `limit` events of a MAC, oldest first. */
export type BootTraceReader = (mac: Mac, limit: number) => Promise<StoredTraceEvent[]>;

const MAX_LIMIT = 1000;

/** One event of `GET /v1/boot-trace` as sent; the CLI reads the same shape. */
export type BootTraceJson = ReturnType<typeof traceToWire>;

function traceToWire(e: StoredTraceEvent) {
  return {
    id: e.id,
    at: new Date(e.atMs).toISOString(),
    source: traceSource(e.messageType),
    network_id: e.networkId,
    mac_address: e.mac,
    xid: `0x${e.xid.toString(16).padStart(8, '0')}`,
    message_type: e.messageType,
    client_arch: e.arch,
    user_class: e.userClass,
    vendor_class: e.vendorClass,
    answer: e.answer,
    drop_reason: e.dropReason,
    ip_address: e.address,
    bootfile: e.bootfile,
    relay: e.relay,
    relay_agent_info: e.relayAgentInfo,
    detail: e.detail,
  };
}

export function bootTraceRoutes(app: FastifyInstance, read: BootTraceReader): void {
  app.addHook('preHandler', async (req) => {
    if (req.url.startsWith('/v1/boot-trace') && !mayUsePrivileged(req.caller))
      throw new PolicyNotAuthorized('get_boot_trace');
  });
  app.get<{ Querystring: { mac?: string; limit?: string } }>('/v1/boot-trace', async (req) => {
    const mac = parseMac(req.query.mac ?? '');
    const limit = req.query.limit === undefined ? 200 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidInput(`limit '${req.query.limit}' is not a whole number from 1 to ${MAX_LIMIT}`);
    }
    return { boot_trace: (await read(mac, limit)).map(traceToWire) };
  });
}
