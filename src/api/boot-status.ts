/** bmnet v1: the boot role's listeners — per network, whether TFTP and HTTP serve, and why not. Admin/service only. */
import type { FastifyInstance } from 'fastify';
import type { BootListenerStatus, BootProtocolStatus } from '../boot/service.ts';
import { PolicyNotAuthorized } from '../domain/errors.ts';
import { mayUsePrivileged } from '../domain/policy.ts';

/** The boot role's mode and listeners; null: the boot role is off. */
export type BootStatusReader = () => {
  readonly mode: string;
  readonly listeners: readonly BootListenerStatus[];
} | null;

interface ProtocolJson {
  readonly state: BootProtocolStatus['state'];
  readonly address: string | null;
  readonly error: string | null;
  readonly since: string | null;
}

/** The `boot` object of `GET /v1/boot/status`. */
export interface BootStatusJson {
  readonly mode: string;
  readonly listeners: readonly {
    readonly network_id: string | null;
    readonly namespace: string | null;
    readonly helper_pid: number | null;
    readonly tftp: ProtocolJson | null;
    readonly http: ProtocolJson | null;
  }[];
}

function protocolToWire(p: BootProtocolStatus | null): ProtocolJson | null {
  if (p === null) return null;
  return {
    state: p.state,
    address: p.address,
    error: p.error,
    since: p.sinceMs === null ? null : new Date(p.sinceMs).toISOString(),
  };
}

export function bootStatusRoutes(app: FastifyInstance, read: BootStatusReader): void {
  app.addHook('preHandler', async (req) => {
    if (req.url.startsWith('/v1/boot/status') && !mayUsePrivileged(req.caller))
      throw new PolicyNotAuthorized('get_boot_status');
  });
  app.get('/v1/boot/status', async (): Promise<{ boot: BootStatusJson }> => {
    const status = read();
    return {
      boot: {
        mode: status?.mode ?? 'off',
        listeners: (status?.listeners ?? []).map((l) => ({
          network_id: l.networkId,
          namespace: l.namespace,
          helper_pid: l.helperPid,
          tftp: protocolToWire(l.tftp),
          http: protocolToWire(l.http),
        })),
      },
    };
  });
}
