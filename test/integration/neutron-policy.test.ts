import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Body, startBmnet, type TestBmnet } from '../helpers/bmnet.ts';

const TOKENS = `auth:
  mode: token
  tokens:
    - {token: admin-secret, project: admin, roles: [admin]}
    - {token: ironic-secret, project: service, roles: [service]}
    - {token: alice-secret, project: alice, roles: [member]}
    - {token: bob-secret, project: bob, roles: [member]}
`;

describe('Neutron API: auth modes and policy', () => {
  let b: TestBmnet;
  const as = (token: string) => ({ 'x-auth-token': token });
  let shared: Body;
  let alicesNet: Body;
  before(async () => {
    b = await startBmnet(TOKENS);
    shared = (await b.call('POST', '/v2.0/networks', { network: { name: 'shared', shared: true } }, as('admin-secret')))
      .body.network;
  });
  after(() => b.close());

  test('token mode: a missing or unknown token is 401', async () => {
    assert.equal((await b.call('GET', '/v2.0/networks')).status, 401);
    assert.equal((await b.call('GET', '/v2.0/networks', undefined, as('nope'))).status, 401);
  });

  test('a member creates a network in its project and does not see provider attributes', async () => {
    const r = await b.call('POST', '/v2.0/networks', { network: { name: 'alice-net' } }, as('alice-secret'));
    assert.equal(r.status, 201);
    alicesNet = r.body.network;
    assert.equal(alicesNet.project_id, 'alice');
    assert.equal(alicesNet['provider:segmentation_id'], undefined);
    const refused = await b.call(
      'POST',
      '/v2.0/networks',
      { network: { 'provider:segmentation_id': 5 } },
      as('alice-secret'),
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal(
      (await b.call('POST', '/v2.0/networks', { network: { shared: true } }, as('alice-secret'))).status,
      403,
    );
  });

  test("others' resources are 404 (not 403); shared networks are visible to all", async () => {
    assert.equal((await b.call('GET', `/v2.0/networks/${alicesNet.id}`, undefined, as('bob-secret'))).status, 404);
    const bobSees = (await b.call('GET', '/v2.0/networks', undefined, as('bob-secret'))).body.networks.map(
      (n: Body) => n.name,
    );
    assert.deepEqual(bobSees, ['shared']);
    const onAlices = await b.call('POST', '/v2.0/ports', { port: { network_id: alicesNet.id } }, as('bob-secret'));
    assert.equal(onAlices.status, 404);
    assert.equal(onAlices.body.NeutronError.type, 'NetworkNotFound');
    const onShared = await b.call(
      'POST',
      '/v2.0/ports',
      { port: { network_id: shared.id, name: 'bobs' } },
      as('bob-secret'),
    );
    assert.equal(onShared.status, 201);
    assert.equal(
      (await b.call('GET', `/v2.0/ports/${onShared.body.port.id}`, undefined, as('alice-secret'))).status,
      404,
    );
    assert.equal((await b.call('DELETE', `/v2.0/networks/${alicesNet.id}`, undefined, as('bob-secret'))).status, 404);
  });

  test('binding:* except vnic_type belongs to admin and service roles (Ironic sets the profile as service)', async () => {
    const member = await b.call(
      'POST',
      '/v2.0/ports',
      { port: { network_id: shared.id, 'binding:host_id': 'node-1' } },
      as('alice-secret'),
    );
    assert.equal(member.status, 403);
    const vnic = await b.call(
      'POST',
      '/v2.0/ports',
      { port: { network_id: shared.id, 'binding:vnic_type': 'baremetal', name: 'vif' } },
      as('alice-secret'),
    );
    assert.equal(vnic.status, 201);
    assert.equal(vnic.body.port['binding:host_id'], undefined, 'hidden from a member');
    const svc = await b.call(
      'PUT',
      `/v2.0/ports/${vnic.body.port.id}`,
      {
        port: {
          'binding:host_id': 'node-1',
          'binding:profile': { local_link_information: [{ switch_id: '52:54:00:aa:bb:cc', port_id: 'eth1' }] },
        },
      },
      as('ironic-secret'),
    );
    assert.equal(svc.status, 200, JSON.stringify(svc.body));
    assert.equal(svc.body.port['binding:host_id'], 'node-1');
    assert.equal(svc.body.port['binding:vif_type'], 'unbound');
  });
});

describe('noauth mode', () => {
  let b: TestBmnet;
  before(async () => {
    b = await startBmnet();
  });
  after(() => b.close());

  test('without headers the caller is admin; X-Project-Id and X-Roles set a member context', async () => {
    const admin = await b.call('POST', '/v2.0/networks', { network: { name: 'a', 'provider:segmentation_id': 10 } });
    assert.equal(admin.status, 201);
    const member = await b.call(
      'POST',
      '/v2.0/networks',
      { network: { name: 'm' } },
      { 'x-project-id': 'p1', 'x-roles': 'member' },
    );
    assert.equal(member.body.network.project_id, 'p1');
    assert.equal(member.body.network['provider:network_type'], undefined);
    const list = await b.call('GET', '/v2.0/networks', undefined, { 'x-project-id': 'p1', 'x-roles': 'member' });
    assert.deepEqual(
      list.body.networks.map((n: Body) => n.name),
      ['m'],
    );
  });
});
