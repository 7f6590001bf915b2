/**
 * The real `openstack` CLI (Debian python3-openstackclient) against bmnet on loopback without Keystone,
 * as in shared/reference/openstack-cli.md. Each step checks bmnet's state afterwards, not only the exit code.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';
import { run, tryRun } from '../helpers/sh.ts';

const OPENSTACK = '/usr/bin/openstack';

describe('openstack CLI against bmnet', () => {
  let b: TestBmnet;
  const os = async (...args: string[]) => {
    const r = await run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', b.url, ...args], { timeoutMs: 60_000 });
    return r.stdout;
  };
  const osJson = async (...args: string[]): Promise<Body> => JSON.parse(await os(...args, '-f', 'json'));
  const port = async (name: string): Promise<Body> => (await b.call('GET', `/v2.0/ports?name=${name}`)).body.ports[0];

  before(async () => {
    assert.ok(existsSync(OPENSTACK), 'the openstack CLI is missing: apt-get install python3-openstackclient');
    b = await startBmnet();
  });
  after(() => b.close());

  test('extension list --network', async () => {
    const out = await osJson('extension', 'list', '--network');
    const aliases = out.map((e: Body) => e.Alias);
    assert.ok(aliases.includes('binding') && aliases.includes('extra_dhcp_opt') && aliases.includes('provider'));
  });

  test('network create with provider attributes; --external; plain tenant network', async () => {
    const n = await osJson(
      'network',
      'create',
      '--provider-network-type',
      'vlan',
      '--provider-physical-network',
      'physnet1',
      '--provider-segment',
      '100',
      '--share',
      'provisioning',
    );
    assert.equal(n['provider:segmentation_id'], 100);
    const stored = (await b.call('GET', `/v2.0/networks/${n.id}`)).body.network;
    assert.equal(stored.shared, true);
    assert.equal(stored['provider:network_type'], 'vlan');
    await os(
      'network',
      'create',
      '--external',
      '--provider-network-type',
      'vlan',
      '--provider-segment',
      '101',
      'public',
    );
    assert.equal((await b.call('GET', '/v2.0/networks?name=public')).body.networks[0]['router:external'], true);
    await os('network', 'create', 'tenant-a');
    const t = (await b.call('GET', '/v2.0/networks?name=tenant-a')).body.networks[0];
    assert.equal(t['provider:segmentation_id'], 1000, 'drawn from the physnet range');
    const list = await osJson(
      'network',
      'list',
      '--provider-network-type',
      'vlan',
      '--provider-segment',
      '100',
      '--share',
    );
    assert.deepEqual(
      list.map((x: Body) => x.Name),
      ['provisioning'],
    );
  });

  test('subnet create with pool, gateway, DNS and no DHCP; server defaults; --gateway none', async () => {
    await os(
      'subnet',
      'create',
      '--network',
      'provisioning',
      '--subnet-range',
      '10.20.0.0/24',
      '--allocation-pool',
      'start=10.20.0.10,end=10.20.0.100',
      '--gateway',
      '10.20.0.1',
      '--dns-nameserver',
      '10.20.0.2',
      '--no-dhcp',
      'prov-subnet',
    );
    const s = (await b.call('GET', '/v2.0/subnets?name=prov-subnet')).body.subnets[0];
    assert.deepEqual(s.allocation_pools, [{ start: '10.20.0.10', end: '10.20.0.100' }]);
    assert.equal(s.enable_dhcp, false);
    assert.deepEqual(s.dns_nameservers, ['10.20.0.2']);
    await os('subnet', 'create', '--network', 'tenant-a', '--subnet-range', '192.168.50.0/24', 'tenant-subnet');
    const t = (await b.call('GET', '/v2.0/subnets?name=tenant-subnet')).body.subnets[0];
    assert.equal(t.gateway_ip, '192.168.50.1');
    assert.equal(t.enable_dhcp, true);
    await os(
      'subnet',
      'create',
      '--network',
      'public',
      '--subnet-range',
      '172.31.0.0/24',
      '--gateway',
      'none',
      '--dhcp',
      'public-subnet',
    );
    assert.equal((await b.call('GET', '/v2.0/subnets?name=public-subnet')).body.subnets[0].gateway_ip, null);
    await os(
      'subnet',
      'set',
      '--dns-nameserver',
      '10.20.0.3',
      '--allocation-pool',
      'start=10.20.0.150,end=10.20.0.160',
      'prov-subnet',
    );
    const after = (await b.call('GET', '/v2.0/subnets?name=prov-subnet')).body.subnets[0];
    assert.deepEqual([...after.dns_nameservers].sort(), ['10.20.0.2', '10.20.0.3']);
    assert.equal(after.allocation_pools.length, 2);
    const shown = await osJson('subnet', 'show', 'prov-subnet');
    assert.equal(shown.cidr, '10.20.0.0/24');
    const listed = await osJson('subnet', 'list', '--network', 'provisioning');
    assert.deepEqual(
      listed.map((x: Body) => x.Name),
      ['prov-subnet'],
    );
  });

  test('port create --vnic-type baremetal --host --binding-profile --extra-dhcp-option', async () => {
    const profile = JSON.stringify({
      local_link_information: [{ switch_id: '52:54:00:aa:bb:cc', port_id: 'Ethernet1/1', switch_info: 'tor-1' }],
    });
    await os(
      'port',
      'create',
      '--network',
      'provisioning',
      '--mac-address',
      '52:54:00:12:34:56',
      '--fixed-ip',
      'subnet=prov-subnet,ip-address=10.20.0.20',
      '--vnic-type',
      'baremetal',
      '--host',
      'node-1',
      '--binding-profile',
      profile,
      '--extra-dhcp-option',
      'name=bootfile-name,value=pxelinux.0',
      '--extra-dhcp-option',
      'name=tftp-server,value=10.20.0.2',
      '--device-owner',
      'baremetal:none',
      '--device',
      '1be2c5a8-3c5a-4c1e-9d6e-1a2b3c4d5e6f',
      'bm-port-1',
    );
    const p = await port('bm-port-1');
    assert.equal(p.mac_address, '52:54:00:12:34:56');
    assert.equal(p.fixed_ips[0].ip_address, '10.20.0.20');
    assert.equal(p['binding:vnic_type'], 'baremetal');
    assert.equal(p['binding:host_id'], 'node-1');
    assert.deepEqual(p['binding:profile'], JSON.parse(profile));
    assert.deepEqual(p.extra_dhcp_opts.map((o: Body) => `${o.opt_name}=${o.opt_value}`).sort(), [
      'bootfile-name=pxelinux.0',
      'tftp-server=10.20.0.2',
    ]);
    assert.equal(p.device_owner, 'baremetal:none');
    assert.equal(p.status, 'DOWN');
  });

  test('a bad binding profile and a duplicate MAC fail with the NeutronError message on stderr', async () => {
    const bad = await tryRun(
      OPENSTACK,
      [
        '--os-auth-type',
        'none',
        '--os-endpoint',
        b.url,
        'port',
        'create',
        '--network',
        'provisioning',
        '--vnic-type',
        'baremetal',
        '--binding-profile',
        '{"local_link_information":[{"switch_id":"zz","port_id":"e1"}]}',
        'bad-port',
      ],
      60_000,
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /switch_id 'zz'/);
    const dup = await tryRun(
      OPENSTACK,
      [
        '--os-auth-type',
        'none',
        '--os-endpoint',
        b.url,
        'port',
        'create',
        '--network',
        'provisioning',
        '--mac-address',
        '52:54:00:12:34:56',
        'dup',
      ],
      60_000,
    );
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /The mac address 52:54:00:12:34:56 is in use/);
    assert.equal((await b.call('GET', '/v2.0/ports?name=dup')).body.ports.length, 0);
  });

  test('port set / unset of binding and DHCP attributes', async () => {
    await os('port', 'set', '--host', 'node-1b', 'bm-port-1');
    assert.equal((await port('bm-port-1'))['binding:host_id'], 'node-1b');
    await os(
      'port',
      'set',
      '--extra-dhcp-option',
      'name=bootfile-name,value=ipxe.efi',
      '--extra-dhcp-option',
      'name=server-ip-address,value=10.20.0.2',
      'bm-port-1',
    );
    const opts = Object.fromEntries(
      (await port('bm-port-1')).extra_dhcp_opts.map((o: Body) => [o.opt_name, o.opt_value]),
    );
    assert.deepEqual(opts, {
      'bootfile-name': 'ipxe.efi',
      'tftp-server': '10.20.0.2',
      'server-ip-address': '10.20.0.2',
    });
    await os('port', 'set', '--binding-profile', 'extra=1', 'bm-port-1');
    assert.equal((await port('bm-port-1'))['binding:profile'].extra, '1');
    await os('port', 'unset', '--binding-profile', 'extra', 'bm-port-1');
    assert.equal((await port('bm-port-1'))['binding:profile'].extra, undefined);
    await os('port', 'set', '--vnic-type', 'normal', '--name', 'renamed-port', 'bm-port-1');
    assert.equal((await port('renamed-port'))['binding:vnic_type'], 'normal');
    await os('port', 'set', '--no-fixed-ip', '--fixed-ip', 'subnet=prov-subnet,ip-address=10.20.0.30', 'renamed-port');
    assert.deepEqual(
      (await port('renamed-port')).fixed_ips.map((f: Body) => f.ip_address),
      ['10.20.0.30'],
    );
    await os('port', 'unset', '--host', 'renamed-port');
    assert.equal((await port('renamed-port'))['binding:host_id'], '');
    await os('port', 'set', '--no-binding-profile', 'renamed-port');
    assert.deepEqual((await port('renamed-port'))['binding:profile'], {});
  });

  test('port list with --network, --mac-address, --long, -f json; show; delete', async () => {
    await os('port', 'create', '--network', 'tenant-a', 'tenant-port');
    const byNet = await osJson('port', 'list', '--network', 'provisioning');
    assert.deepEqual(
      byNet.map((x: Body) => x.Name),
      ['renamed-port'],
    );
    const byMac = await osJson('port', 'list', '--mac-address', '52:54:00:12:34:56');
    assert.equal(byMac.length, 1);
    const long = await osJson('port', 'list', '--long');
    assert.equal(long.length, 2);
    assert.ok('Device Owner' in long[0]);
    const shown = await osJson('port', 'show', 'renamed-port');
    assert.equal(shown.mac_address, '52:54:00:12:34:56');
    await os('port', 'delete', 'renamed-port', 'tenant-port');
    assert.equal((await b.call('GET', '/v2.0/ports')).body.ports.length, 0);
  });

  test('subnet and network delete', async () => {
    await os('subnet', 'delete', 'prov-subnet');
    assert.equal((await b.call('GET', '/v2.0/subnets?name=prov-subnet')).body.subnets.length, 0);
    await os('network', 'set', '--name', 'provisioning-net', '--no-share', 'provisioning');
    const n = (await b.call('GET', '/v2.0/networks?name=provisioning-net')).body.networks[0];
    assert.equal(n.shared, false);
    await os('network', 'delete', 'provisioning-net', 'public', 'tenant-a');
    assert.equal((await b.call('GET', '/v2.0/networks')).body.networks.length, 0);
  });

  test('static token mode (admin_token plugin, no version discovery)', async () => {
    const t = await startBmnet(
      'auth:\n  mode: token\n  tokens:\n    - {token: admin-secret, project: admin, roles: [admin]}\n',
    );
    try {
      const r = await run(
        OPENSTACK,
        [
          '--os-auth-type',
          'admin_token',
          '--os-token',
          'admin-secret',
          '--os-endpoint',
          t.url,
          'network',
          'create',
          'tok',
          '-f',
          'json',
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(JSON.parse(r.stdout).name, 'tok');
      const wrong = await tryRun(
        OPENSTACK,
        ['--os-auth-type', 'admin_token', '--os-token', 'wrong', '--os-endpoint', t.url, 'network', 'list'],
        60_000,
      );
      assert.notEqual(wrong.code, 0);
    } finally {
      await t.close();
    }
  });
});
