/** Starts bmnet in-process on loopback with a fresh SQLite file, and talks to its API over real HTTP. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logging.js';
import { type Running, serve } from '../../src/main.js';

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
  close(): Promise<void>;
}

/** `extraYaml` is appended to a config with listen 127.0.0.1:0 and a temp database. */
export async function startBmnet(extraYaml = ''): Promise<TestBmnet> {
  const dir = mkdtempSync(join(tmpdir(), 'bmnet-test-'));
  const yaml = `listen: 127.0.0.1:0\ndatabase: sqlite:${join(dir, 'bmnet.db')}\nlog: {level: silent}\n${extraYaml}`;
  const running = await serve(parseConfig(yaml), silentLogger());
  const url = running.url;
  return {
    url,
    running,
    dir,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
