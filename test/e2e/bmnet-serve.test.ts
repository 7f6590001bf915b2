/** `bmnet` as an operator runs it: the README's serve command, `--help`, and config errors before anything starts. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freeTcpPort, run, start, stop, tryRun, until } from '../helpers/sh.ts';

const BMNET = join(import.meta.dirname, '../../bin/bmnet');
const dir = mkdtempSync(join(tmpdir(), 'bmnet-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('bmnet --help lists serve; serve --help describes --config', async () => {
  const top = await run(BMNET, ['--help']);
  assert.match(top.stdout, /serve/);
  const serve = await run(BMNET, ['serve', '--help']);
  assert.match(serve.stdout, /--config <file>/);
});

test('bmnet serve on SQLite answers the Neutron API, keeps data across a restart, and stops on SIGTERM', async () => {
  const port = await freeTcpPort();
  const config = join(dir, 'bmnet.yaml');
  writeFileSync(config, `listen: 127.0.0.1:${port}\ndatabase: sqlite:./state.db\nlog: {level: warn}\n`);
  const url = `http://127.0.0.1:${port}`;
  let child = start(BMNET, ['serve', '--config', config]);
  await until(() => fetch(`${url}/`).then((r) => r.ok), { timeoutMs: 20_000, what: 'bmnet to listen' });
  const created = await fetch(`${url}/v2.0/networks`, {
    method: 'POST',
    body: JSON.stringify({ network: { name: 'kept' } }),
  });
  assert.equal(created.status, 201);
  await stop(child);
  assert.equal(child.exitCode, 0);
  child = start(BMNET, ['serve', '--config', config]);
  try {
    await until(() => fetch(`${url}/`).then((r) => r.ok), { timeoutMs: 20_000, what: 'bmnet to listen again' });
    const list = (await (await fetch(`${url}/v2.0/networks?name=kept`)).json()) as { networks: unknown[] };
    assert.equal(list.networks.length, 1);
  } finally {
    await stop(child);
  }
});

test('a config error names the file, line and key, and exits non-zero before listening', async () => {
  const config = join(dir, 'bad.yaml');
  writeFileSync(config, 'listen: 127.0.0.1:9\nnetwork:\n  physnets:\n    physnet1: {vlan_ranges: ["10:x"]}\n');
  const r = await tryRun(BMNET, ['serve', '--config', config]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.yaml:4: network\.physnets\.physnet1\.vlan_ranges\[0\]: VLAN range '10:x'/);
});
