import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BootTraceEntry, nodeScript, toDhcpTraceEvent } from '../../../src/boot/service.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { traceSource } from '../../../src/domain/boot-trace.ts';
import type { Node } from '../../../src/domain/node.ts';
import { parseMac } from '../../../src/domain/values.ts';

const node: Node = {
  id: '7d1c0e1e-0000-4000-8000-000000000001',
  name: 'n1',
  nics: [
    { mac: '52:54:00:00:00:01', localLinkInformation: [], physicalNetwork: null, isPxeEnabled: false },
    { mac: '52:54:00:00:00:02', localLinkInformation: [], physicalNetwork: null, isPxeEnabled: true },
  ],
  portGroups: [],
  boot: { mode: 'bios', pxeFile: 'undionly.kpxe', ipxeScript: 'ipxe/n1.ipxe', tftpServer: null },
  stage: 'cleaning',
  targetStage: 'provisioning',
  lastError: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  revisionNumber: 1,
};
const findNode = async (name: string) => (name === node.name || name === node.id ? node : null);

test("a node's script names its PXE NIC and the stage it is moving to", async () => {
  const script = await nodeScript(
    findNode,
    { kind: 'chain', url: '{http}/s/{stage}.ipxe' },
    'n1',
    'http://10.0.0.2:8080',
  );
  assert.match(script ?? '', /^set bmnet_mac 52:54:00:00:00:02$/m);
  assert.match(script ?? '', /^set bmnet_stage provisioning$/m);
  assert.match(script ?? '', /^chain http:\/\/10\.0\.0\.2:8080\/s\/provisioning\.ipxe$/m);
  assert.equal(await nodeScript(findNode, { kind: 'chain', url: 'x' }, 'n9', 'http://h'), null);
});

const entry: BootTraceEntry = {
  atMs: 1000,
  protocol: 'tftp',
  kind: 'completed',
  networkId: 'net-1',
  client: '10.0.0.50',
  file: 'ipxe/n1.ipxe',
  method: 'RRQ',
  bytes: 120,
  detail: null,
};

test('a DHCP message type reads back as source dhcp', () => {
  assert.equal(traceSource('discover'), 'dhcp');
  assert.equal(traceSource('ack'), 'dhcp');
});

for (const { name, e, want, detail } of [
  { name: 'TFTP request', e: { ...entry, kind: 'request' as const, bytes: null }, want: 'TFTP RRQ', detail: null },
  { name: 'TFTP completed', e: entry, want: 'TFTP done', detail: '120 bytes' },
  {
    name: 'TFTP failed',
    e: { ...entry, kind: 'failed' as const, detail: 'timeout' },
    want: 'TFTP failed',
    detail: '120 bytes; timeout',
  },
  {
    name: 'HTTP GET',
    e: { ...entry, protocol: 'http' as const, kind: 'request' as const, method: 'GET', bytes: null },
    want: 'HTTP GET',
    detail: null,
  },
  {
    name: 'HTTP refused',
    e: { ...entry, protocol: 'http' as const, kind: 'refused' as const, bytes: null, detail: '404 Not Found' },
    want: 'HTTP refused',
    detail: '404 Not Found',
  },
]) {
  test(`a ${name} is stored in the boot trace as '${want}'`, () => {
    const row = toDhcpTraceEvent(e, parseMac('52:54:00:00:00:02'), 'net-1');
    assert.equal(row.messageType, want);
    assert.equal(row.detail, detail);
    assert.equal(traceSource(row.messageType), e.protocol);
    assert.ok(row.messageType.length <= 16); // boot_trace.message_type is varchar(16)
    assert.equal(row.bootfile, 'ipxe/n1.ipxe');
    assert.equal(row.address, '10.0.0.50');
  });
}

test('boot config: off by default, a chain or a kernel script, not both', () => {
  const c = parseConfig('boot: {}\n');
  assert.equal(c.boot.mode, 'off');
  assert.deepEqual(c.boot.script, {
    kind: 'kernel',
    kernelUrl: '{http}/vmlinuz',
    initrdUrls: ['{http}/initrd.gz'],
    kernelArgs: ['initrd=initrd.gz'],
  });
  const chain = parseConfig('dhcp: {mode: attach}\nboot: {mode: both, tftp: {}, script: {chain: "{http}/x.ipxe"}}\n');
  assert.deepEqual([chain.boot.mode, chain.boot.script], ['both', { kind: 'chain', url: '{http}/x.ipxe' }]);
  assert.throws(() => parseConfig('boot: {script: {chain: a, kernel: b}}\n'), /boot\.script: has either chain/);
  assert.throws(() => parseConfig('boot: {mode: sometimes}\n'), /boot\.mode: must be one of off, attach, listen, both/);
  assert.throws(() => parseConfig('boot: {mode: attach}\n'), /boot\.mode: 'attach' .* needs dhcp\.mode attach/);
  assert.throws(
    () => parseConfig('dhcp: {mode: attach}\nboot: {mode: attach}\n'),
    /:2: boot\.mode: 'attach' needs boot\.tftp or boot\.http/,
  );
  assert.equal(parseConfig('dhcp: {mode: attach}\nboot: {mode: attach, http: {}}\n').boot.mode, 'attach');
});

test('a boot section naming only TFTP serves TFTP and no HTTP', () => {
  const c = parseConfig('dhcp: {mode: attach}\nboot: {tftp: {root: /srv/tftp}}\n');
  assert.equal(c.boot.mode, 'attach');
  assert.deepEqual(c.boot.tftp, { listen: { host: '0.0.0.0', port: 69 }, root: '/srv/tftp' });
  assert.equal(c.boot.http, null);
  assert.equal(parseConfig('dhcp: {mode: attach}\n').boot.mode, 'off', 'nothing to serve: boot is off');
});
