/**
 * The README's main job: `bmnet lab up` builds the lab (OVS switch, bmnet on SQLite, a QEMU PXE node),
 * takes the node through clean → provision → tenant, keeps the API up; `bmnet lab down` removes it all.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freeTcpPort, run, start, stop, until } from '../helpers/sh.ts';

const BMNET = join(import.meta.dirname, '../../bin/bmnet');
let dir = '';
let lab: ReturnType<typeof start> | undefined;
after(async () => {
  if (lab) await stop(lab, 'SIGTERM', 30_000);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('lab up: clean → provision → tenant with real PXE boots, API usable; lab down removes everything', async (t) => {
  dir = await mkdtemp(join(tmpdir(), 'bmnet-lab-'));
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  let err = '';
  lab = start(BMNET, ['lab', 'up', '--dir', dir, '--port', String(port), '--nodes', '1']);
  lab.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  lab.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const child = lab;
  await until(() => out.includes('lab is up') || child.exitCode !== null, { timeoutMs: 240_000, what: 'lab up' });
  t.diagnostic(out.trim());
  assert.match(out, /lab is up/, `lab up failed: ${err}`);
  assert.match(out, /node-1 PXE-booted on cleaning/);
  assert.match(out, /node-1 PXE-booted on provisioning/);
  assert.match(out, /node-1 on the tenant network: its PXE boot got no DHCP answer/);
  const nodes = (await run(BMNET, ['--url', url, 'node', 'list'])).stdout;
  assert.match(nodes, /node-1\s*│\s*tenant/);
  const trace = (await run(BMNET, ['--url', url, 'node', 'trace', 'node-1'])).stdout;
  assert.match(trace, /TFTP done/);
  const namespaces = (await run('ip', ['netns', 'list'])).stdout;
  const pid = child.pid ?? 0;
  assert.match(namespaces, new RegExp(`bmnet-t${pid}-lab-sw`));
  const down = (await run(BMNET, ['lab', 'down', '--dir', dir], { timeoutMs: 90_000 })).stdout;
  assert.match(down, /stopped and removed/);
  await until(() => child.exitCode !== null, { timeoutMs: 30_000, what: 'the lab process to exit' });
  lab = undefined;
  const after = (await run('ip', ['netns', 'list'])).stdout;
  assert.doesNotMatch(after, new RegExp(`bmnet-t${pid}-`), 'the lab left namespaces behind');
  assert.doesNotMatch(after, /bmnet-dhcp-/, 'the DHCP attachments are gone');
});
