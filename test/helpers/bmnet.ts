/** Starts bmnet in-process on loopback with a fresh SQLite file, and talks to its API over real HTTP. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logging.ts';
import { type Running, serve } from '../../src/main.ts';
import { until } from './sh.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into Neutron JSON responses
export type Body = any;

export interface TestBmnet {
  readonly url: string;
  readonly running: Running;
  readonly dir: string;
  /** JSON request; returns status and parsed body (null when empty). */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Body }>;
  /** GET a Neutron port (admin view). */
  port(id: string): Promise<Body>;
  /** Waits until a port is ACTIVE (the switch confirmed its binding); returns it. */
  waitPortActive(id: string, timeoutMs?: number): Promise<Body>;
  /** Creates a bare-metal port on `networkId` bound to host `node-1` over these links. */
  bindPort(networkId: string, links: Body[], extraProfile?: Body): Promise<Body>;
  close(): Promise<void>;
}

/** A JSON request to the bmnet at `url` that must succeed (2xx, else the assertion names the answer); its body. */
export async function callOk(url: string, method: string, path: string, body?: unknown): Promise<Body> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** `extraYaml` is appended to a config with listen 127.0.0.1:0 and a temp database. */
export async function startBmnet(extraYaml = ''): Promise<TestBmnet> {
  const dir = mkdtempSync(join(tmpdir(), 'bmnet-test-'));
  const yaml = `listen: 127.0.0.1:0\ndatabase: sqlite:${join(dir, 'bmnet.db')}\nlog: {level: silent}\n${extraYaml}`;
  const running = await serve(parseConfig(yaml), silentLogger());
  const url = running.url;
  const call: TestBmnet['call'] = async (method, path, body, headers = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const port = async (id: string): Promise<Body> => (await call('GET', `/v2.0/ports/${id}`)).body.port;
  return {
    url,
    running,
    dir,
    call,
    port,
    async waitPortActive(id, timeoutMs = 20_000) {
      return until(
        async () => {
          const p = await port(id);
          return p.status === 'ACTIVE' ? p : null;
        },
        { timeoutMs, what: `port ${id} ACTIVE` },
      );
    },
    async bindPort(networkId, links, extraProfile = {}) {
      const r = await call('POST', '/v2.0/ports', {
        port: {
          network_id: networkId,
          'binding:vnic_type': 'baremetal',
          'binding:host_id': 'node-1',
          'binding:profile': { local_link_information: links, ...extraProfile },
          device_owner: 'baremetal:none',
        },
      });
      if (r.status !== 201) throw new Error(`port create failed: ${JSON.stringify(r.body)}`);
      return r.body.port;
    },
    async close() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
