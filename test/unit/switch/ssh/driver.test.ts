import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../../src/domain/errors.ts';
import { parseSwitchPortName, parseVlan } from '../../../../src/domain/values.ts';
import { silentLogger } from '../../../../src/logging.ts';
import { redact, SshDriver } from '../../../../src/switch/ssh/driver.ts';
import { aristaEos } from '../../../../src/switch/ssh/profiles/arista-eos.ts';
import { SshTransport } from '../../../../src/switch/ssh/transport.ts';

function eosDriver(isSaveEnabled: boolean) {
  const transport = new SshTransport(
    {
      switchName: 'leaf1',
      host: '192.0.2.1',
      port: 22,
      username: 'bmnet',
      auth: { kind: 'password', password: 'pw' },
      enableSecret: 'en-secret',
      hostKeySha256: null,
    },
    aristaEos,
    { maxSessions: 1, connectTimeoutMs: 1000, commandTimeoutMs: 1000, idleCloseMs: 1000 },
    silentLogger(),
  );
  return new SshDriver(
    aristaEos,
    transport,
    { switchName: 'leaf1', identities: [], isSaveEnabled, secrets: ['pw', 'en-secret'] },
    silentLogger(),
  );
}

test('a dry run shows the whole session: config mode, the ops, commit, and save when enabled', () => {
  const ops = [{ kind: 'set-enabled', port: parseSwitchPortName('Ethernet7'), isEnabled: false } as const];
  assert.deepEqual(eosDriver(true).render(ops), [
    'configure session',
    'interface Ethernet7',
    'shutdown',
    'commit',
    'write memory',
  ]);
  assert.deepEqual(eosDriver(false).render(ops), ['configure session', 'interface Ethernet7', 'shutdown', 'commit']);
});

test('a port name the profile does not accept is refused before anything is sent', () => {
  const op = { kind: 'set-access', port: parseSwitchPortName('swp1'), vlan: parseVlan(10) } as const;
  assert.throws(() => eosDriver(false).render([op]), InvalidInput);
});

test('redact replaces every occurrence of every secret', () => {
  assert.equal(
    redact('enable pw; secret en-secret pw', ['pw', 'en-secret', '']),
    'enable [redacted]; secret [redacted] [redacted]',
  );
});
