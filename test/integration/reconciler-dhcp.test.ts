/**
 * ACTIVE means ready: a bare-metal port on a network with DHCP turns ACTIVE only when its switch
 * port carries the VLAN and bmnet's DHCP attachment serves its reservation — so the node's first DHCP
 * request right after ACTIVE gets its address (Ironic needs no port_setup_delay).
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost, torConfigYaml } from '../helpers/ovs-testbed.ts';
import { run, tryRun, until } from '../helpers/sh.ts';

const Q = 994;
let ovs: OvsTestbed;
let b: TestBmnet;
let node: TestHost;
let dir = '';

before(async () => {
  await removeStale();
  dir = await mkdtemp(join(tmpdir(), 'bmnet-rd-'));
  ovs = await startOvs({ tag: 'rd' });
  node = await ovs.addHost({ name: 'node', tag: Q });
  b = await startBmnet(`${torConfigYaml(ovs, { quarantineVlan: Q, batchWindowMs: 5 })}
dhcp: {mode: attach}
boot: {mode: off}
`);
});
after(async () => {
  await b?.close();
  await ovs?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the first DHCP request after ACTIVE gets the reserved address', async () => {
  const mac = /link\/ether ([0-9a-f:]{17})/.exec(
    (await run('ip', ['-n', node.namespace, '-o', 'link', 'show', node.ifname])).stdout,
  )?.[1];
  assert.ok(mac);
  const net = (await b.call('POST', '/v2.0/networks', { network: { name: 'prov', 'provider:segmentation_id': 100 } }))
    .body.network;
  await b.call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.71.0.0/24' } });
  const port = (
    await b.call('POST', '/v2.0/ports', {
      port: {
        network_id: net.id,
        mac_address: mac,
        'binding:vnic_type': 'baremetal',
        'binding:host_id': 'node-1',
        'binding:profile': { local_link_information: [{ switch_info: 'tor1', port_id: node.port }] },
      },
    })
  ).body.port;
  const active = await b.waitPortActive(port.id);
  assert.equal(active['binding:vif_type'], 'other');
  // one try, no retries: the address must be served already
  const env = join(dir, 'bound.env');
  const script = join(dir, 'hook.sh');
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${env}\nexit 0\n`);
  await chmod(script, 0o755);
  const r = await tryRun(
    'ip',
    [
      'netns',
      'exec',
      node.namespace,
      'busybox',
      'udhcpc',
      '-f',
      '-q',
      '-n',
      '-i',
      node.ifname,
      '-s',
      script,
      '-t',
      '1',
      '-T',
      '3',
    ],
    30_000,
  );
  assert.equal(r.code, 0, `udhcpc got no lease right after ACTIVE: ${r.stderr}`);
  assert.match(
    await readFile(env, 'utf8'),
    new RegExp(`^ip=${port.fixed_ips[0].ip_address.replace(/\./g, '\\.')}$`, 'm'),
  );
  await until(async () => (await b.port(port.id)).status === 'ACTIVE', { timeoutMs: 1000, what: 'still ACTIVE' });
});
