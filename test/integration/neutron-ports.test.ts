import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';

const LLI = {
  local_link_information: [{ switch_id: '52:54:00:aa:bb:cc', port_id: 'Ethernet1/1', switch_info: 'tor-1' }],
};

describe('Neutron API: subnets and ports', () => {
  let b: TestBmnet;
  let net: Body;
  let sub: Body;
  before(async () => {
    b = await startBmnet();
    net = (await b.call('POST', '/v2.0/networks', { network: { name: 'prov', 'provider:segmentation_id': 100 } })).body
      .network;
  });
  after(() => b.close());

  test('subnet defaults: gateway is the first host, pools are the rest, DHCP on', async () => {
    const r = await b.call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, cidr: '10.20.0.0/24', ip_version: 4 },
    });
    assert.equal(r.status, 201);
    sub = r.body.subnet;
    assert.equal(sub.gateway_ip, '10.20.0.1');
    assert.deepEqual(sub.allocation_pools, [{ start: '10.20.0.2', end: '10.20.0.254' }]);
    assert.equal(sub.enable_dhcp, true);
    assert.deepEqual(sub.host_routes, []);
    assert.equal(sub.segment_id, null);
    assert.deepEqual((await b.call('GET', `/v2.0/networks/${net.id}`)).body.network.subnets, [sub.id]);
  });

  test('subnet validation: overlap, pools outside the cidr, overlapping pools, gateway in a pool, bad cidr', async () => {
    const cases: [Body, number, RegExp][] = [
      [{ cidr: '10.20.0.128/25' }, 400, /overlaps/],
      [{ cidr: '10.21.0.0/24', allocation_pools: [{ start: '10.21.0.10', end: '10.22.0.5' }] }, 400, /spans beyond/],
      [
        {
          cidr: '10.21.0.0/24',
          allocation_pools: [
            { start: '10.21.0.10', end: '10.21.0.20' },
            { start: '10.21.0.15', end: '10.21.0.30' },
          ],
        },
        400,
        /overlapping/,
      ],
      [
        {
          cidr: '10.21.0.0/24',
          gateway_ip: '10.21.0.15',
          allocation_pools: [{ start: '10.21.0.10', end: '10.21.0.20' }],
        },
        409,
        /conflicts/,
      ],
      [{ cidr: '10.21.0.0/33' }, 400, /Invalid CIDR/],
      [{ cidr: '10.21.0.0/24', gateway_ip: '10.99.0.1' }, 400, /not a valid IP for the specified subnet/],
    ];
    for (const [body, status, message] of cases) {
      const r = await b.call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, ...body } });
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(r.body.NeutronError.message, message);
    }
  });

  test('subnet with explicit pool, gateway null, DNS, routes, no DHCP; IPv6 is stored', async () => {
    const n2 = (await b.call('POST', '/v2.0/networks', { network: { name: 'n2' } })).body.network;
    const r = await b.call('POST', '/v2.0/subnets', {
      subnet: {
        network_id: n2.id,
        cidr: '192.168.50.0/24',
        ip_version: 4,
        gateway_ip: null,
        enable_dhcp: false,
        allocation_pools: [{ start: '192.168.50.10', end: '192.168.50.11' }],
        dns_nameservers: ['192.168.50.2'],
        host_routes: [{ destination: '10.0.0.0/8', nexthop: '192.168.50.254' }],
      },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.subnet.gateway_ip, null);
    assert.equal(r.body.subnet.enable_dhcp, false);
    assert.deepEqual(r.body.subnet.dns_nameservers, ['192.168.50.2']);
    const v6 = await b.call('POST', '/v2.0/subnets', {
      subnet: { network_id: n2.id, cidr: 'fd00:50::/64', ip_version: 6 },
    });
    assert.equal(v6.status, 201);
    assert.equal(v6.body.subnet.gateway_ip, 'fd00:50::1');
    // two addresses in the pool: the third port fails with IpAddressGenerationFailure and leaves nothing behind
    const ports = [];
    for (let i = 0; i < 2; i++)
      ports.push((await b.call('POST', '/v2.0/ports', { port: { network_id: n2.id } })).body.port);
    assert.deepEqual(
      ports.map((p) => p.fixed_ips.find((f: Body) => f.subnet_id === r.body.subnet.id).ip_address),
      ['192.168.50.10', '192.168.50.11'],
    );
    const full = await b.call('POST', '/v2.0/ports', { port: { network_id: n2.id, name: 'third' } });
    assert.equal(full.status, 409);
    assert.equal(full.body.NeutronError.type, 'IpAddressGenerationFailure');
    assert.equal((await b.call('GET', '/v2.0/ports?name=third')).body.ports.length, 0);
    const upd = await b.call('PUT', `/v2.0/subnets/${r.body.subnet.id}`, {
      subnet: {
        dns_nameservers: ['192.168.50.3', '192.168.50.2'],
        allocation_pools: [{ start: '192.168.50.10', end: '192.168.50.20' }],
      },
    });
    assert.equal(upd.status, 200);
    assert.deepEqual(upd.body.subnet.dns_nameservers, ['192.168.50.3', '192.168.50.2']);
    const ro = await b.call('PUT', `/v2.0/subnets/${r.body.subnet.id}`, { subnet: { cidr: '10.0.0.0/8' } });
    assert.equal(ro.status, 400);
    const inUse = await b.call('DELETE', `/v2.0/subnets/${r.body.subnet.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.NeutronError.type, 'SubnetInUse');
  });

  test('a baremetal port as Ironic and the CLI create it', async () => {
    const r = await b.call('POST', '/v2.0/ports', {
      port: {
        network_id: net.id,
        name: 'bm-port-1',
        mac_address: '52:54:00:12:34:56',
        fixed_ips: [{ subnet_id: sub.id, ip_address: '10.20.0.20' }],
        'binding:vnic_type': 'baremetal',
        'binding:host_id': 'node-1',
        'binding:profile': LLI,
        extra_dhcp_opts: [
          { opt_name: 'tag:!ipxe,67', opt_value: 'snponly.efi', ip_version: 4 },
          { opt_name: 'tag:ipxe,67', opt_value: 'http://10.20.0.2:8080/boot.ipxe', ip_version: 4 },
          { opt_name: '66', opt_value: '10.20.0.2' },
          { opt_name: '255', opt_value: '10.20.0.2' },
        ],
        device_owner: 'baremetal:none',
        device_id: '1be2c5a8-3c5a-4c1e-9d6e-1a2b3c4d5e6f',
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const p = r.body.port;
    assert.equal(p.mac_address, '52:54:00:12:34:56');
    assert.deepEqual(p.fixed_ips, [{ subnet_id: sub.id, ip_address: '10.20.0.20' }]);
    assert.equal(p['binding:vif_type'], 'unbound');
    assert.equal(p.status, 'DOWN');
    assert.deepEqual(p['binding:profile'], LLI);
    assert.equal(p.extra_dhcp_opts.length, 4);
    assert.ok(p.extra_dhcp_opts.every((o: Body) => o.ip_version === 4));
  });

  test('MAC and IP conflicts: 409 MacAddressInUse and IpAddressAlreadyAllocated', async () => {
    const mac = await b.call('POST', '/v2.0/ports', { port: { network_id: net.id, mac_address: '52:54:00:12:34:56' } });
    assert.equal(mac.status, 409);
    assert.equal(mac.body.NeutronError.type, 'MacAddressInUse');
    assert.match(mac.body.NeutronError.message, /The mac address 52:54:00:12:34:56 is in use/);
    const ip = await b.call('POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ ip_address: '10.20.0.20' }] },
    });
    assert.equal(ip.status, 409);
    assert.equal(ip.body.NeutronError.type, 'IpAddressAlreadyAllocated');
    const outside = await b.call('POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ ip_address: '10.99.0.5' }] },
    });
    assert.equal(outside.body.NeutronError.type, 'InvalidIpForNetwork');
  });

  test('binding:profile shape is checked for baremetal ports, naming the bad field', async () => {
    const cases: [Body, RegExp][] = [
      [
        { local_link_information: [{ switch_id: 'not-a-mac', port_id: 'Ethernet1/1' }] },
        /local_link_information\[0\]\.switch_id/,
      ],
      [
        { local_link_information: [{ switch_id: '52:54:00:aa:bb:cc' }] },
        /local_link_information\[0\]\.port_id is required/,
      ],
      [{ local_link_information: {} }, /local_link_information must be a list/],
      [{ ...LLI, local_group_information: { bond_mode: 'fastest' } }, /bond_mode/],
    ];
    for (const [profile, message] of cases) {
      const r = await b.call('POST', '/v2.0/ports', {
        port: { network_id: net.id, 'binding:vnic_type': 'baremetal', 'binding:profile': profile },
      });
      assert.equal(r.status, 400, JSON.stringify(profile));
      assert.match(r.body.NeutronError.message, message);
    }
    const dp = await b.call('POST', '/v2.0/ports', {
      port: {
        network_id: net.id,
        'binding:vnic_type': 'baremetal',
        'binding:profile': {
          local_link_information: [{ switch_id: '00:00:8e:3a:45:1b:22:4f', port_id: 'eth3' }],
          local_group_information: { id: 'g', name: 'pg0', bond_mode: 4, bond_properties: { bond_min_links: 1 } },
        },
      },
    });
    assert.equal(dp.status, 201, JSON.stringify(dp.body));
    const normal = await b.call('POST', '/v2.0/ports', {
      port: { network_id: net.id, 'binding:profile': { foo: 'bar' } },
    });
    assert.equal(normal.status, 201, 'other vnic types keep a free-form profile');
  });

  test('extra_dhcp_opts: unknown names and malformed values are 400; update merges, null deletes', async () => {
    const bad = await b.call('POST', '/v2.0/ports', {
      port: { network_id: net.id, extra_dhcp_opts: [{ opt_name: 'no-such-option', opt_value: 'x' }] },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.NeutronError.message, /no-such-option/);
    const badValue = await b.call('POST', '/v2.0/ports', {
      port: { network_id: net.id, extra_dhcp_opts: [{ opt_name: '150', opt_value: 'not-an-ip' }] },
    });
    assert.equal(badValue.status, 400);
    const p = (await b.call('GET', '/v2.0/ports?name=bm-port-1')).body.ports[0];
    const r = await b.call('PUT', `/v2.0/ports/${p.id}`, {
      port: {
        extra_dhcp_opts: [
          { opt_name: '66', opt_value: '10.20.0.3' },
          { opt_name: '255', opt_value: null },
          { opt_name: 'bootfile-name', opt_value: 'pxelinux.0' },
        ],
      },
    });
    assert.equal(r.status, 200);
    const opts = Object.fromEntries(r.body.port.extra_dhcp_opts.map((o: Body) => [o.opt_name, o.opt_value]));
    assert.deepEqual(opts, {
      'tag:!ipxe,67': 'snponly.efi',
      'tag:ipxe,67': 'http://10.20.0.2:8080/boot.ipxe',
      '66': '10.20.0.3',
      'bootfile-name': 'pxelinux.0',
    });
  });

  test("Ironic's unbind then MAC reset; a bound port refuses a MAC change with PortBound", async () => {
    const p = (await b.call('GET', '/v2.0/ports?name=bm-port-1')).body.ports[0];
    // the reconciler (not the API) marks a port bound; do what it does
    await b.running.store.transaction((tx) =>
      tx.getPort(p.id).then((cur) => (cur ? tx.updatePort({ ...cur, vifType: 'other', status: 'ACTIVE' }) : undefined)),
    );
    const refused = await b.call('PUT', `/v2.0/ports/${p.id}`, { port: { mac_address: '52:54:00:00:00:99' } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.NeutronError.type, 'PortBound');
    const unbind = await b.call('PUT', `/v2.0/ports/${p.id}`, {
      port: { 'binding:host_id': '', 'binding:profile': {} },
    });
    assert.equal(unbind.body.port['binding:vif_type'], 'unbound');
    assert.equal(unbind.body.port.status, 'DOWN');
    const reset = await b.call('PUT', `/v2.0/ports/${p.id}`, { port: { mac_address: null } });
    assert.equal(reset.status, 200);
    assert.notEqual(reset.body.port.mac_address, '52:54:00:12:34:56');
    assert.match(reset.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    const rebind = await b.call('PUT', `/v2.0/ports/${p.id}`, {
      port: { 'binding:host_id': 'node-1', mac_address: '52:54:00:12:34:56', 'binding:profile': LLI },
    });
    assert.equal(rebind.status, 200);
    assert.equal(rebind.body.port['binding:host_id'], 'node-1');
    const unsetHost = await b.call('PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': null } });
    assert.equal(unsetHost.body.port['binding:host_id'], '');
    await b.call('PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'node-1' } });
  });

  test('fixed_ips update keeps, moves and releases addresses', async () => {
    const p = (await b.call('GET', '/v2.0/ports?name=bm-port-1')).body.ports[0];
    const r = await b.call('PUT', `/v2.0/ports/${p.id}`, {
      port: { fixed_ips: [{ subnet_id: sub.id, ip_address: '10.20.0.30' }] },
    });
    assert.deepEqual(r.body.port.fixed_ips, [{ subnet_id: sub.id, ip_address: '10.20.0.30' }]);
    const reuse = await b.call('POST', '/v2.0/ports', {
      port: { network_id: net.id, name: 'reuse', fixed_ips: [{ ip_address: '10.20.0.20' }] },
    });
    assert.equal(reuse.status, 201, 'the old address was released');
  });

  test('list filters Ironic and the CLI use: network_id + repeated mac_address, host, owner, fixed_ips=ip_address=', async () => {
    const byMac = await b.call(
      'GET',
      `/v2.0/ports?network_id=${net.id}&mac_address=52:54:00:12:34:56&mac_address=52:54:00:00:00:01`,
    );
    assert.deepEqual(
      byMac.body.ports.map((p: Body) => p.name),
      ['bm-port-1'],
    );
    assert.equal((await b.call('GET', '/v2.0/ports?binding%3Ahost_id=node-1')).body.ports.length, 1);
    assert.equal((await b.call('GET', '/v2.0/ports?device_owner=baremetal:none')).body.ports.length, 1);
    const byIp = await b.call('GET', '/v2.0/ports?fixed_ips=ip_address%3D10.20.0.30');
    assert.deepEqual(
      byIp.body.ports.map((p: Body) => p.name),
      ['bm-port-1'],
    );
    const fields = await b.call(
      'GET',
      '/v2.0/ports?fields=id&fields=name&fields=mac_address&fields=fixed_ips&fields=status',
    );
    assert.deepEqual(Object.keys(fields.body.ports[0]).sort(), ['fixed_ips', 'id', 'mac_address', 'name', 'status']);
  });

  test('bulk create is all or nothing', async () => {
    const ok = await b.call('POST', '/v2.0/ports', {
      ports: [
        { network_id: net.id, name: 'bulk-1' },
        { network_id: net.id, name: 'bulk-2' },
      ],
    });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.ports.length, 2);
    assert.notEqual(ok.body.ports[0].fixed_ips[0].ip_address, ok.body.ports[1].fixed_ips[0].ip_address);
    const bad = await b.call('POST', '/v2.0/ports', {
      ports: [
        { network_id: net.id, name: 'bulk-3' },
        { network_id: net.id, name: 'bulk-4', mac_address: '52:54:00:12:34:56' },
      ],
    });
    assert.equal(bad.status, 409);
    assert.equal((await b.call('GET', '/v2.0/ports?name=bulk-3')).body.ports.length, 0);
    const dupInBatch = await b.call('POST', '/v2.0/ports', {
      ports: [
        { network_id: net.id, mac_address: '52:54:00:77:77:77' },
        { network_id: net.id, mac_address: '52:54:00:77:77:77' },
      ],
    });
    assert.equal(dupInBatch.status, 409);
  });

  test('concurrent creates never hand out one address twice', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        b.call('POST', '/v2.0/ports', { port: { network_id: net.id, name: `c${i}` } }),
      ),
    );
    assert.ok(results.every((r) => r.status === 201));
    const ips = results.map((r) => r.body.port.fixed_ips[0].ip_address);
    assert.equal(new Set(ips).size, ips.length);
  });

  test('limit/marker pages walk forward by next links and back by previous links', async () => {
    const all = (await b.call('GET', '/v2.0/ports?sort_key=id')).body.ports.map((p: Body) => p.id);
    const walk = async (start: string, rel: string) => {
      const seen: string[][] = [];
      let next: string | null = start;
      while (next) {
        const page = await b.call('GET', next);
        seen.push(page.body.ports.map((p: Body) => p.id));
        const link = (page.body.ports_links ?? []).find((l: Body) => l.rel === rel);
        next = link ? new URL(link.href).pathname + new URL(link.href).search : null;
      }
      return seen;
    };
    const forward = await walk('/v2.0/ports?limit=7', 'next');
    assert.deepEqual(forward.flat(), all);
    const lastId = all[all.length - 1];
    const backward = await walk(`/v2.0/ports?limit=7&marker=${lastId}&page_reverse=True`, 'previous');
    assert.deepEqual(backward.reverse().flat(), all.slice(0, -1));
  });

  test('read-only and unknown attributes on update are 400', async () => {
    const p = (await b.call('GET', '/v2.0/ports?name=bm-port-1')).body.ports[0];
    assert.equal((await b.call('PUT', `/v2.0/ports/${p.id}`, { port: { network_id: net.id } })).status, 400);
    assert.equal((await b.call('PUT', `/v2.0/ports/${p.id}`, { port: { colour: 'red' } })).status, 400);
    assert.equal(
      (await b.call('PUT', '/v2.0/ports/nope', { port: { name: 'x' } })).body.NeutronError.type,
      'PortNotFound',
    );
  });

  test('deleting a network removes its DHCP ports and subnets', async () => {
    const n = (await b.call('POST', '/v2.0/networks', { network: { name: 'with-dhcp' } })).body.network;
    const s = (await b.call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.30.0.0/24' } })).body
      .subnet;
    await b.call('POST', '/v2.0/ports', { port: { network_id: n.id, device_owner: 'network:dhcp' } });
    assert.equal((await b.call('DELETE', `/v2.0/networks/${n.id}`)).status, 204);
    assert.equal((await b.call('GET', `/v2.0/subnets/${s.id}`)).status, 404);
    assert.equal((await b.call('GET', `/v2.0/ports?network_id=${n.id}`)).body.ports.length, 0);
  });
});
