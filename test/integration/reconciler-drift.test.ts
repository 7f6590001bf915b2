/** `drift: report`: a change made by hand is found by the periodic resync and reported, not repaired. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { until } from '../helpers/sh.ts';

let ovs: OvsTestbed;
let b: TestBmnet;
let nic: TestHost;
before(async () => {
  await removeStale();
  ovs = await startOvs({ tag: 'dr' });
  nic = await ovs.addHost({ name: 'nic', tag: 995 });
  b = await startBmnet(`switches:
  - name: tor1
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    unbound: {vlan: 995}
    drift: report
    batch_window_ms: 5
reconciler: {resync_seconds: 1}
`);
});
after(async () => {
  await b?.close();
  await ovs?.destroy();
});

test('drift is reported in the switch health and left alone; the next real change repairs it', async () => {
  const net = (await b.call('POST', '/v2.0/networks', { network: { name: 'prov', 'provider:segmentation_id': 100 } }))
    .body.network;
  const bind = async () =>
    (
      await b.call('POST', '/v2.0/ports', {
        port: {
          network_id: net.id,
          'binding:vnic_type': 'baremetal',
          'binding:host_id': 'n1',
          'binding:profile': { local_link_information: [{ switch_info: 'tor1', port_id: nic.port }] },
        },
      })
    ).body.port as Body;
  const p = await bind();
  await until(async () => (await b.call('GET', `/v2.0/ports/${p.id}`)).body.port.status === 'ACTIVE', {
    timeoutMs: 10_000,
    what: 'ACTIVE',
  });
  await ovs.vsctl('set', 'port', nic.port, 'tag=321');
  const health = await until(
    async () => {
      const s = (await b.call('GET', '/v1/switches/tor1')).body.switch;
      return s.drift.includes(nic.port) ? s : null;
    },
    { timeoutMs: 10_000, what: 'drift reported' },
  );
  assert.deepEqual(health.drift, [nic.port]);
  assert.equal(await ovs.vsctl('get', 'port', nic.port, 'tag'), '321', 'reported, not repaired');
  await b.call('POST', '/v1/switches/tor1/resync');
  await until(async () => (await ovs.vsctl('get', 'port', nic.port, 'tag')) === '100', {
    timeoutMs: 10_000,
    what: 'repaired on request',
  });
});
