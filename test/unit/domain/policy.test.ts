import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetworkNotFound, PolicyNotAuthorized } from '../../../src/domain/errors.ts';
import type { Caller, Network } from '../../../src/domain/model.ts';
import { assertCanUseNetwork, assertMaySet, canSeeNetwork } from '../../../src/domain/policy.ts';

const caller = (projectId: string, roles: string[]): Caller => ({
  projectId,
  roles,
  isAdmin: roles.includes('admin'),
  isService: roles.includes('service'),
});
const net = (projectId: string, shared: boolean) => ({ id: 'n', projectId, shared }) as Network;

const visibility = [
  { who: caller('alice', ['member']), network: net('alice', false), sees: true },
  { who: caller('bob', ['member']), network: net('alice', false), sees: false },
  { who: caller('bob', ['member']), network: net('alice', true), sees: true },
  { who: caller('x', ['admin']), network: net('alice', false), sees: true },
  { who: caller('service', ['service']), network: net('alice', false), sees: true },
];
for (const { who, network, sees } of visibility) {
  test(`${who.projectId} (${who.roles}) ${sees ? 'sees' : 'does not see'} a ${network.shared ? 'shared' : 'private'} network of ${network.projectId}`, () => {
    assert.equal(canSeeNetwork(who, network), sees);
    if (!sees) assert.throws(() => assertCanUseNetwork(who, network), NetworkNotFound);
  });
}

test('provider:* and binding:* other than vnic_type need admin or service', () => {
  const member = caller('alice', ['member']);
  assert.throws(() => assertMaySet(member, 'create_port', ['binding:host_id']), PolicyNotAuthorized);
  assert.throws(() => assertMaySet(member, 'create_network', ['provider:segmentation_id']), PolicyNotAuthorized);
  assert.doesNotThrow(() => assertMaySet(member, 'create_port', ['binding:vnic_type', 'name']));
  assert.doesNotThrow(() => assertMaySet(caller('svc', ['service']), 'update_port', ['binding:profile']));
});
