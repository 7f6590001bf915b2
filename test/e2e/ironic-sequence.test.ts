/**
 * Ironic's neutron network interface, replayed request by request (shared/reference/openstack-cli.md
 * "Ironic's Neutron calls, in order") against bmnet with a real Open vSwitch:
 * cleaning, VIF attach, deploy (unbind + MAC reset, provisioning, switch to tenant), undeploy.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { type OvsTestbed, removeStale, startOvs, type TestHost } from '../helpers/ovs-testbed.ts';
import { until } from '../helpers/sh.ts';

const Q = 996;
const NODE = '5a3c1e0b-9b7e-4b55-8f3e-2f1c0e9d8a71';
const MAC = '52:54:00:00:00:01';
let ovs: OvsTestbed;
let b: TestBmnet;
let nic: TestHost;
let dpid: string;
let lli: Body;

before(async () => {
  await removeStale();
  ovs = await startOvs({ tag: 'ir' });
  nic = await ovs.addHost({ name: 'nic', tag: Q });
  dpid = (await ovs.vsctl('get', 'bridge', ovs.bridge, 'datapath_id')).replace(/"/g, '');
  lli = { local_link_information: [{ switch_id: dpid, port_id: nic.port, switch_info: 'tor-1' }] };
  b = await startBmnet(`switches:
  - name: tor-1
    identities: ["${dpid}"]
    physnets: [physnet1]
    driver: ovsdb
    ovsdb: {remote: "${ovs.remote}", bridge: ${ovs.bridge}}
    unbound: {vlan: ${Q}}
    batch_window_ms: 5
`);
  for (const [name, vlan] of [
    ['cleaning', 50],
    ['provisioning', 100],
    ['tenant', 200],
  ] as const) {
    const n = (await b.call('POST', '/v2.0/networks', { network: { name, 'provider:segmentation_id': vlan } })).body
      .network;
    await b.call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: `10.${vlan}.0.0/24` } });
  }
});
after(async () => {
  await b?.close();
  await ovs?.destroy();
});

/** openstacksdk find_network: GET by name → 404 → list by name (client-side match). */
async function findNetwork(nameOrId: string): Promise<Body> {
  const direct = await b.call('GET', `/v2.0/networks/${nameOrId}`);
  if (direct.status === 200) return direct.body.network;
  assert.equal(direct.status, 404);
  const list = (await b.call('GET', `/v2.0/networks?name=${nameOrId}`)).body.networks;
  assert.equal(list.length, 1);
  return list[0];
}

/** Ironic's wait_for_port_status: ACTIVE, or fail fast on binding_failed. */
async function waitForActive(id: string): Promise<void> {
  const p = await until(
    async () => {
      const port = (await b.call('GET', `/v2.0/ports/${id}`)).body.port;
      return port.status === 'ACTIVE' || port['binding:vif_type'] === 'binding_failed' ? port : null;
    },
    { timeoutMs: 15_000, what: `port ${id} ACTIVE` },
  );
  if (p.status !== 'ACTIVE') throw new Error(`binding_failed: ${JSON.stringify(p['binding:vif_details'])}`);
}

/** add_<x>_network: stale ports, POST, GET + PUT binding, wait, DHCP options. Returns the port id. */
async function addServiceNetwork(name: string): Promise<string> {
  const net = await findNetwork(name);
  for (const stale of (await b.call('GET', `/v2.0/ports?network_id=${net.id}&mac_address=${MAC}`)).body.ports) {
    await b.call('DELETE', `/v2.0/ports/${stale.id}`);
  }
  const created = await b.call('POST', '/v2.0/ports', {
    port: { network_id: net.id, admin_state_up: true, 'binding:vnic_type': 'baremetal', device_id: NODE },
  });
  assert.equal(created.status, 201);
  const id = created.body.port.id;
  assert.equal((await b.call('GET', `/v2.0/ports/${id}`)).status, 200);
  const put = await b.call('PUT', `/v2.0/ports/${id}`, {
    port: { 'binding:host_id': NODE, device_owner: 'baremetal:none', mac_address: MAC, 'binding:profile': lli },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await waitForActive(id);
  const opts = await b.call('PUT', `/v2.0/ports/${id}`, {
    port: {
      extra_dhcp_opts: [
        { opt_name: 'tag:!ipxe,67', opt_value: 'snponly.efi', ip_version: 4 },
        { opt_name: 'tag:ipxe,67', opt_value: 'http://127.0.0.1:8088/boot.ipxe', ip_version: 4 },
        { opt_name: '66', opt_value: '10.100.0.2', ip_version: 4 },
        { opt_name: '150', opt_value: '10.100.0.2', ip_version: 4 },
        { opt_name: '255', opt_value: '10.100.0.2', ip_version: 4 },
      ],
    },
  });
  assert.equal(opts.status, 200);
  assert.equal(opts.body.port.status, 'ACTIVE', 'DHCP options do not disturb the binding');
  return id;
}

async function removeServiceNetwork(name: string): Promise<void> {
  const net = await findNetwork(name);
  for (const p of (await b.call('GET', `/v2.0/ports?mac_address=${MAC}&network_id=${net.id}`)).body.ports) {
    const r = await b.call('DELETE', `/v2.0/ports/${p.id}`);
    assert.ok(r.status === 204 || r.status === 404);
  }
}

const tag = async () => Number(await ovs.vsctl('get', 'port', nic.port, 'tag'));
let vif: string;

test('provide → automated cleaning: the NIC is on the cleaning VLAN while cleaning, quarantined after', async () => {
  await addServiceNetwork('cleaning');
  assert.equal(await tag(), 50);
  await removeServiceNetwork('cleaning');
  await until(async () => (await tag()) === Q, { timeoutMs: 10_000, what: 'quarantine after cleaning' });
});

test('vif attach: the tenant port gets the node MAC', async () => {
  const tenant = await findNetwork('tenant');
  vif = (await b.call('POST', '/v2.0/ports', { port: { name: 'vif', network_id: tenant.id, admin_state_up: true } }))
    .body.port.id;
  const r = await b.call('PUT', `/v2.0/ports/${vif}`, { port: { mac_address: MAC } });
  assert.equal(r.status, 200);
});

test('deploy: unbind and MAC reset in two PUTs, provisioning, then switch to the tenant network', async () => {
  assert.equal(
    (await b.call('PUT', `/v2.0/ports/${vif}`, { port: { 'binding:host_id': '', 'binding:profile': {} } })).status,
    200,
  );
  const reset = await b.call('PUT', `/v2.0/ports/${vif}`, { port: { mac_address: null } });
  assert.equal(reset.status, 200);
  assert.notEqual(reset.body.port.mac_address, MAC);
  await addServiceNetwork('provisioning');
  assert.equal(await tag(), 100);
  // switch_to_tenant_network: remove_provisioning_network, then configure_tenant_networks
  await removeServiceNetwork('provisioning');
  const bind = await b.call('PUT', `/v2.0/ports/${vif}`, {
    port: { 'binding:vnic_type': 'baremetal', 'binding:host_id': NODE, mac_address: MAC, 'binding:profile': lli },
  });
  assert.equal(bind.status, 200, JSON.stringify(bind.body));
  await waitForActive(vif);
  assert.equal(await tag(), 200);
  const p = (await b.call('GET', `/v2.0/ports/${vif}`)).body.port;
  assert.equal(p['binding:vif_type'], 'other');
});

test('a MAC change on the bound tenant port is refused (PortBound), as Ironic expects', async () => {
  const r = await b.call('PUT', `/v2.0/ports/${vif}`, { port: { mac_address: '52:54:00:00:00:02' } });
  assert.equal(r.status, 409);
  assert.equal(r.body.NeutronError.type, 'PortBound');
});

test('undeploy: unbind twice (idempotent), no leftover provisioning port, cleaning again', async () => {
  for (let i = 0; i < 2; i++) {
    assert.equal(
      (await b.call('PUT', `/v2.0/ports/${vif}`, { port: { 'binding:host_id': '', 'binding:profile': {} } })).status,
      200,
    );
    assert.equal((await b.call('PUT', `/v2.0/ports/${vif}`, { port: { mac_address: null } })).status, 200);
  }
  const prov = await findNetwork('provisioning');
  assert.equal((await b.call('GET', `/v2.0/ports?mac_address=${MAC}&network_id=${prov.id}`)).body.ports.length, 0);
  await until(async () => (await tag()) === Q, { timeoutMs: 10_000, what: 'quarantine after unbind' });
  await addServiceNetwork('cleaning');
  assert.equal(await tag(), 50);
  await removeServiceNetwork('cleaning');
  assert.equal((await b.call('DELETE', `/v2.0/ports/${vif}`)).status, 204);
  assert.equal((await b.call('DELETE', `/v2.0/ports/${vif}`)).status, 404, 'a second delete is a 404 Ironic tolerates');
});

test('a binding the switch cannot honour fails fast (binding_failed), so Ironic does not poll for 17 minutes', async () => {
  const net = await findNetwork('provisioning');
  const p = (
    await b.call('POST', '/v2.0/ports', {
      port: { network_id: net.id, 'binding:vnic_type': 'baremetal', device_id: NODE },
    })
  ).body.port;
  await b.call('PUT', `/v2.0/ports/${p.id}`, {
    port: {
      'binding:host_id': NODE,
      mac_address: MAC,
      'binding:profile': { local_link_information: [{ switch_id: '52:54:00:ff:ff:ff', port_id: 'Ethernet1/1' }] },
    },
  });
  await assert.rejects(waitForActive(p.id), /binding_failed/);
});
