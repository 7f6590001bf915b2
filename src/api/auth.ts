/** Who is calling: noauth headers (Neutron-compatible) or static tokens from config. */
import type { AuthConfig } from '../config/schema.ts';
import { HTTPUnauthorized } from '../domain/errors.ts';
import type { Caller } from '../domain/model.ts';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function callerOf(projectId: string, roles: readonly string[]): Caller {
  return { projectId, roles, isAdmin: roles.includes('admin'), isService: roles.includes('service') };
}

export function authenticate(auth: AuthConfig, headers: Headers): Caller {
  if (auth.mode === 'token') {
    const token = header(headers, 'x-auth-token');
    const entry = auth.tokens.find((t) => t.token === token);
    if (!entry) throw new HTTPUnauthorized();
    return callerOf(entry.project, entry.roles);
  }
  // noauth: like Neutron's noauth middleware, the context comes from headers; admin when none are given
  const project = header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id');
  const rolesHeader = header(headers, 'x-roles');
  if (project === undefined && rolesHeader === undefined) return callerOf('admin', ['admin']);
  const roles = (rolesHeader ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  return callerOf(project ?? 'admin', roles);
}
