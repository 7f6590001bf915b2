import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBmnet, type TestBmnet } from '../helpers/bmnet.ts';

const PHYSNETS = `network:
  physnets:
    physnet1: {vlan_ranges: ["1000:1001"]}
    physnet2: {vlan_ranges: ["2000:2000"]}
`;

describe('Neutron API: versions, extensions, networks', () => {
  let b: TestBmnet;
  before(async () => {
    b = await startBmnet(PHYSNETS);
  });
  after(() => b.close());

  test('GET / is the version document the openstack CLI needs (self link)', async () => {
    const r = await b.call('GET', '/');
    assert.equal(r.status, 200);
    assert.equal(r.body.versions[0].id, 'v2.0');
    assert.equal(r.body.versions[0].links[0].rel, 'self');
  });

  test('GET /v2.0/ lists the collections', async () => {
    const r = await b.call('GET', '/v2.0/');
    assert.equal(r.status, 200);
    assert.ok(r.body.resources.some((x: { collection: string }) => x.collection === 'ports'));
  });

  test('extensions list holds what bmnet implements; unknown alias is a 404 NeutronError', async () => {
    const r = await b.call('GET', '/v2.0/extensions');
    const aliases = r.body.extensions.map((e: { alias: string }) => e.alias);
    for (const a of [
      'provider',
      'binding',
      'extra_dhcp_opt',
      'standard-attr-description',
      'standard-attr-timestamp',
      'standard-attr-revisions',
      'project-id',
      'external-net',
      'filter-validation',
      'fields',
      'pagination',
      'sorting',
    ]) {
      assert.ok(aliases.includes(a), a);
    }
    const one = await b.call('GET', '/v2.0/extensions/binding');
    assert.equal(one.body.extension.name, 'Port Binding');
    const none = await b.call('GET', '/v2.0/extensions/tag-ports-during-bulk-creation');
    assert.equal(none.status, 404);
    assert.equal(none.body.NeutronError.type, 'ExtensionNotFound');
  });

  test('a provider VLAN network is created as asked, with the Neutron shape', async () => {
    const r = await b.call('POST', '/v2.0/networks', {
      network: {
        name: 'provisioning',
        'provider:network_type': 'vlan',
        'provider:physical_network': 'physnet1',
        'provider:segmentation_id': '100',
        shared: true,
      },
    });
    assert.equal(r.status, 201);
    const n = r.body.network;
    assert.equal(n['provider:segmentation_id'], 100);
    assert.equal(n['provider:physical_network'], 'physnet1');
    assert.equal(n.shared, true);
    assert.equal(n.status, 'ACTIVE');
    assert.equal(n.mtu, 1500);
    assert.equal(n.revision_number, 1);
    assert.equal(n.project_id, n.tenant_id);
    assert.match(n.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(n.subnets, []);
  });

  test('the same VLAN on the same physnet is refused with VlanIdInUse; another physnet may use it', async () => {
    const dup = await b.call('POST', '/v2.0/networks', {
      network: {
        'provider:network_type': 'vlan',
        'provider:physical_network': 'physnet1',
        'provider:segmentation_id': 100,
      },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.NeutronError.type, 'VlanIdInUse');
    const other = await b.call('POST', '/v2.0/networks', {
      network: {
        'provider:network_type': 'vlan',
        'provider:physical_network': 'physnet2',
        'provider:segmentation_id': 100,
      },
    });
    assert.equal(other.status, 201);
  });

  test('networks without provider attributes draw VLANs from the default physnet until none is left (503)', async () => {
    const a = await b.call('POST', '/v2.0/networks', { network: { name: 'tenant-a' } });
    const c = await b.call('POST', '/v2.0/networks', { network: { name: 'tenant-b' } });
    assert.deepEqual(
      [a.body.network['provider:segmentation_id'], c.body.network['provider:segmentation_id']],
      [1000, 1001],
    );
    const full = await b.call('POST', '/v2.0/networks', { network: { name: 'tenant-c' } });
    assert.equal(full.status, 503);
    assert.equal(full.body.NeutronError.type, 'NoNetworkAvailable');
    const names = (await b.call('GET', '/v2.0/networks?name=tenant-c')).body.networks;
    assert.equal(names.length, 0, 'nothing half-written');
  });

  test('concurrent creates never take one VLAN twice', async () => {
    const c = await startBmnet('network:\n  physnets:\n    p: {vlan_ranges: ["3000:3029"]}\n');
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => c.call('POST', '/v2.0/networks', { network: { name: `n${i}` } })),
      );
      const vlans = results.map((r) => r.body.network['provider:segmentation_id']);
      assert.equal(new Set(vlans).size, 30);
      assert.equal((await c.call('POST', '/v2.0/networks', { network: { name: 'one-too-many' } })).status, 503);
    } finally {
      await c.close();
    }
  });

  test('flat networks: one per physnet, no segmentation id', async () => {
    const f = await b.call('POST', '/v2.0/networks', {
      network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' },
    });
    assert.equal(f.status, 201);
    assert.equal(f.body.network['provider:segmentation_id'], null);
    const again = await b.call('POST', '/v2.0/networks', {
      network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' },
    });
    assert.equal(again.body.NeutronError.type, 'FlatNetworkInUse');
    const bad = await b.call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } });
    assert.equal(bad.status, 400);
    const badNet = await b.call('POST', '/v2.0/networks', { network: { 'provider:physical_network': 'nope' } });
    assert.equal(badNet.status, 400);
    assert.match(badNet.body.NeutronError.message, /nope/);
  });

  test('GET by name is a 404 NeutronError, so openstacksdk falls back to ?name=', async () => {
    const r = await b.call('GET', '/v2.0/networks/provisioning');
    assert.equal(r.status, 404);
    assert.equal(r.body.NeutronError.type, 'NetworkNotFound');
    const byName = await b.call('GET', '/v2.0/networks?name=provisioning');
    assert.equal(byName.body.networks.length, 1);
  });

  test('filters: repeated key is any-of, different keys are all-of; unknown filter is 400', async () => {
    const r = await b.call('GET', '/v2.0/networks?name=tenant-a&name=tenant-b');
    assert.deepEqual(r.body.networks.map((n: { name: string }) => n.name).sort(), ['tenant-a', 'tenant-b']);
    const both = await b.call(
      'GET',
      '/v2.0/networks?shared=True&provider%3Anetwork_type=vlan&provider%3Asegmentation_id=100',
    );
    assert.deepEqual(
      both.body.networks.map((n: { name: string }) => n.name),
      ['provisioning'],
    );
    const bad = await b.call('GET', '/v2.0/networks?colour=red');
    assert.equal(bad.status, 400);
    assert.match(bad.body.NeutronError.message, /colour/);
  });

  test('fields, sorting and limit/marker pagination with links', async () => {
    const f = await b.call('GET', '/v2.0/networks?fields=id&fields=name&fields=security_group_ids');
    for (const n of f.body.networks) assert.deepEqual(Object.keys(n).sort(), ['id', 'name']);
    const sorted = await b.call('GET', '/v2.0/networks?sort_key=name&sort_dir=desc');
    const names = sorted.body.networks.map((n: { name: string }) => n.name);
    assert.deepEqual(names, [...names].sort().reverse());
    const all = (await b.call('GET', '/v2.0/networks?sort_key=id&sort_dir=asc')).body.networks.map(
      (n: { id: string }) => n.id,
    );
    const seen: string[] = [];
    let next: string | null = '/v2.0/networks?limit=2';
    while (next) {
      const page = await b.call('GET', next);
      seen.push(...page.body.networks.map((n: { id: string }) => n.id));
      const link = (page.body.networks_links ?? []).find((l: { rel: string }) => l.rel === 'next');
      next = link ? new URL(link.href).pathname + new URL(link.href).search : null;
    }
    assert.deepEqual(seen, all);
    const badSort = await b.call('GET', '/v2.0/networks?sort_key=colour');
    assert.equal(badSort.status, 400);
  });

  test('update with If-Match: matching revision passes, a stale one is 412', async () => {
    const id = (await b.call('GET', '/v2.0/networks?name=tenant-a')).body.networks[0].id;
    const ok = await b.call(
      'PUT',
      `/v2.0/networks/${id}`,
      { network: { name: 'tenant-a2' } },
      { 'if-match': 'revision_number=1' },
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.body.network.revision_number, 2);
    const stale = await b.call(
      'PUT',
      `/v2.0/networks/${id}`,
      { network: { name: 'x' } },
      { 'if-match': 'revision_number=1' },
    );
    assert.equal(stale.status, 412);
    assert.equal((await b.call('GET', `/v2.0/networks/${id}`)).body.network.name, 'tenant-a2');
  });

  test('bad bodies: unknown attribute, malformed JSON, wrong types, missing member, too large', async () => {
    const unknown = await b.call('POST', '/v2.0/networks', { network: { name: 'x', colour: 'red' } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.NeutronError.message, /Unrecognized attribute\(s\) 'colour'/);
    const malformed = await b.call('POST', '/v2.0/networks', '{"network": {');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.NeutronError.type, 'MalformedRequestBody');
    const wrongType = await b.call('POST', '/v2.0/networks', { network: { admin_state_up: 'maybe' } });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.body.NeutronError.message, /admin_state_up/);
    const noMember = await b.call('POST', '/v2.0/networks', { net: {} });
    assert.equal(noMember.status, 400);
    const big = await b.call('POST', '/v2.0/networks', { network: { name: 'x'.repeat(2 * 1024 * 1024) } });
    assert.equal(big.status, 413);
    assert.ok(big.body.NeutronError);
  });

  test('.json suffix is accepted', async () => {
    const r = await b.call('GET', '/v2.0/networks.json?name=provisioning');
    assert.equal(r.body.networks.length, 1);
  });

  test('segments: GET by id and list by network', async () => {
    const n = (await b.call('GET', '/v2.0/networks?name=provisioning')).body.networks[0];
    const segs = await b.call('GET', `/v2.0/segments?network_id=${n.id}`);
    assert.equal(segs.body.segments.length, 1);
    const seg = await b.call('GET', `/v2.0/segments/${segs.body.segments[0].id}`);
    assert.equal(seg.body.segment.segmentation_id, 100);
    assert.equal(seg.body.segment.physical_network, 'physnet1');
    assert.equal((await b.call('GET', '/v2.0/segments/nope')).status, 404);
  });

  test('delete: 204, then 404; network with ports is 409 NetworkInUse', async () => {
    const n = (
      await b.call('POST', '/v2.0/networks', {
        network: { name: 'short-lived', 'provider:network_type': 'vlan', 'provider:segmentation_id': 300 },
      })
    ).body.network;
    const port = (await b.call('POST', '/v2.0/ports', { port: { network_id: n.id } })).body.port;
    const inUse = await b.call('DELETE', `/v2.0/networks/${n.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.NeutronError.type, 'NetworkInUse');
    assert.equal((await b.call('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
    assert.equal((await b.call('DELETE', `/v2.0/networks/${n.id}`)).status, 204);
    assert.equal((await b.call('GET', `/v2.0/networks/${n.id}`)).status, 404);
    const reuse = await b.call('POST', '/v2.0/networks', {
      network: { 'provider:network_type': 'vlan', 'provider:segmentation_id': 300 },
    });
    assert.equal(reuse.status, 201, 'the VLAN is free again');
  });

  test('every write leaves one change event in the outbox', async () => {
    const before = await b.running.store.eventsAfter(0, 100000);
    await b.call('POST', '/v2.0/networks', { network: { name: 'evented', 'provider:segmentation_id': 301 } });
    await b.call('POST', '/v2.0/networks', { network: { name: 'x', colour: 'red' } });
    const afterEvents = await b.running.store.eventsAfter(before.at(-1)?.id ?? 0);
    assert.deepEqual(
      afterEvents.map((e) => e.kind),
      ['network.created'],
    );
  });
});
