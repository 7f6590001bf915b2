/**
 * One spec, every driver that runs here (docs/conventions.md): the `ovsdb` driver and the `ssh` driver with the `ovs`
 * profile, on the same real Open vSwitch. Each op is applied and read back; both must agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SwitchRejected } from '../../src/domain/errors.ts';
import type { SwitchOp } from '../../src/domain/switch-plan.ts';
import { parseVlan, type SwitchPortName } from '../../src/domain/values.ts';
import { silentLogger } from '../../src/logging.ts';
import type { SwitchDriver } from '../../src/switch/driver.ts';
import { OvsdbClient, parseOvsdbRemote } from '../../src/switch/ovsdb/client.ts';
import { OvsdbDriver } from '../../src/switch/ovsdb/driver.ts';
import { SshDriver } from '../../src/switch/ssh/driver.ts';
import { ovsProfile } from '../../src/switch/ssh/profiles/ovs-linux.ts';
import { SshTransport } from '../../src/switch/ssh/transport.ts';
import { type OvsTestbed, removeStale, startOvs } from '../helpers/ovs-testbed.ts';
import { removeStaleSshd, startSshd, type TestSshd } from '../helpers/sshd.ts';

const Q = parseVlan(990);
const V = parseVlan;
const P = (s: string) => s as SwitchPortName;

let ovs: OvsTestbed;
let sshd: TestSshd;
before(async () => {
  await removeStale();
  await removeStaleSshd();
  ovs = await startOvs({ tag: 'cf' });
  sshd = await startSshd({ tag: 'cf' });
});
after(async () => {
  await sshd?.destroy();
  await ovs?.destroy();
});

const drivers: [string, () => SwitchDriver][] = [
  [
    'ovsdb',
    () =>
      new OvsdbDriver(
        new OvsdbClient({ name: 'tor', remote: parseOvsdbRemote(ovs.remote), logger: silentLogger() }),
        { switchName: 'tor', bridge: ovs.bridge },
        silentLogger(),
      ),
  ],
  [
    'ssh + ovs profile',
    () => {
      const profile = ovsProfile({ dbSocket: ovs.dbSocket, bridge: ovs.bridge, rundir: ovs.rundir, quarantineVlan: Q });
      const transport = new SshTransport(
        {
          switchName: 'tor',
          host: sshd.host,
          port: sshd.port,
          username: sshd.username,
          auth: { kind: 'key-file', path: sshd.keyFile },
          enableSecret: null,
          hostKeySha256: sshd.hostKeySha256,
        },
        profile,
        { maxSessions: 1, connectTimeoutMs: 10_000, commandTimeoutMs: 20_000, idleCloseMs: 1000 },
        silentLogger(),
      );
      return new SshDriver(
        profile,
        transport,
        { switchName: 'tor', identities: [], isSaveEnabled: false, secrets: [] },
        silentLogger(),
      );
    },
  ],
];

for (const [name, make] of drivers) {
  describe(`switch driver conformance: ${name}`, () => {
    let d: SwitchDriver;
    let e1: SwitchPortName;
    let e2: SwitchPortName;
    let e3: SwitchPortName;
    before(async () => {
      d = make();
      e1 = P((await ovs.addLink({ tag: Q })).port);
      e2 = P((await ovs.addLink({ tag: Q })).port);
      e3 = P((await ovs.addLink({ tag: Q })).port);
    });
    after(() => d.close());
    const one = async (port: SwitchPortName) => {
      const o = (await d.read([port])).get(port);
      assert.ok(o, `no read-back for ${port}`);
      return o;
    };
    const apply = (ops: SwitchOp[]) => d.apply(ops);

    test('an unknown port reads back as absent', async () => {
      assert.equal((await one(P('nosuchport1'))).exists, false);
    });

    test('set-access reads back as exactly that untagged VLAN', async () => {
      await apply([{ kind: 'set-access', port: e1, vlan: V(100) }]);
      const o = await one(e1);
      assert.deepEqual(
        [o.exists, o.untagged, o.tagged, o.lag, o.memberOf, o.carriesAllVlans ?? false],
        [true, 100, [], null, null, false],
      );
    });

    test('tagged VLANs are added beside the untagged one and removed again', async () => {
      await apply([{ kind: 'add-tagged', port: e1, vlans: [V(10), V(20)] }]);
      let o = await one(e1);
      assert.equal(o.untagged, 100);
      assert.deepEqual(
        o.tagged.filter((v) => v !== 100),
        [10, 20],
      );
      await apply([{ kind: 'remove-tagged', port: e1, vlans: [V(10), V(20)] }]);
      o = await one(e1);
      assert.equal(o.untagged, 100);
      assert.deepEqual(
        o.tagged.filter((v) => v !== 100),
        [],
      );
      assert.equal(o.carriesAllVlans ?? false, false);
    });

    test('a LAG with its VLAN: members report the LAG, the LAG its members and mode', async () => {
      const lag = P(`bnd${name.startsWith('ssh') ? 's' : 'o'}`);
      await apply([
        { kind: 'set-lag', lag, members: [e2, e3], settings: { mode: 'lacp' } },
        { kind: 'set-access', port: lag, vlan: V(200) },
      ]);
      const o = await one(lag);
      assert.equal(o.untagged, 200);
      assert.deepEqual([...(o.lag?.members ?? [])].sort(), [e2, e3].sort());
      assert.equal(o.lag?.settings.mode, 'lacp');
      assert.equal((await one(e2)).memberOf, lag);
      await apply([
        { kind: 'delete-lag', lag },
        { kind: 'set-access', port: e2, vlan: Q },
        { kind: 'set-access', port: e3, vlan: Q },
      ]);
      assert.equal((await one(lag)).exists, false);
      const m = await one(e2);
      assert.deepEqual([m.memberOf, m.untagged], [null, Q]);
    });

    test('a rejected batch raises SwitchRejected and changes nothing', async () => {
      await assert.rejects(
        apply([
          { kind: 'set-access', port: e1, vlan: V(300) },
          { kind: 'set-access', port: P('nosuchport2'), vlan: V(300) },
        ]),
        (err: unknown) => err instanceof SwitchRejected,
      );
      assert.equal((await one(e1)).untagged, 100);
    });
  });
}

/**
 * A port an operator configured by hand, in each OVS `vlan_mode` (ovs-vswitchd.conf.db(5), Port table), reads
 * back as the same ObservedPort on every driver: both decode rows through src/switch/ovs-port.ts.
 */
const operatorModes: readonly {
  readonly mode: string;
  /** `ovs-vsctl` arguments after `set port PORT`, then the columns to clear. */
  readonly set: readonly string[];
  readonly clear: readonly string[];
  readonly untagged: number | null;
  readonly tagged: readonly number[];
}[] = [
  { mode: 'access', set: ['vlan_mode=access', 'tag=101'], clear: ['trunks'], untagged: 101, tagged: [] },
  { mode: 'trunk', set: ['vlan_mode=trunk', 'trunks=102,103'], clear: ['tag'], untagged: null, tagged: [102, 103] },
  {
    // the native VLAN `tag` is sent tagged (untagged ingress joins it), so it is one of the tagged VLANs
    mode: 'native-tagged',
    set: ['vlan_mode=native-tagged', 'tag=104', 'trunks=105,106'],
    clear: [],
    untagged: null,
    tagged: [104, 105, 106],
  },
  {
    mode: 'native-untagged',
    set: ['vlan_mode=native-untagged', 'tag=107', 'trunks=108,109'],
    clear: [],
    untagged: 107,
    tagged: [108, 109],
  },
];

describe('switch driver conformance: a vlan_mode set by an operator reads back alike on every driver', () => {
  let all: [string, SwitchDriver][];
  before(() => {
    all = drivers.map(([name, make]) => [name, make()]);
  });
  after(async () => {
    for (const [, d] of all) await d.close();
  });

  for (const c of operatorModes) {
    test(`vlan_mode=${c.mode} reads back as untagged ${c.untagged ?? 'none'}, tagged [${c.tagged.join(',')}]`, async () => {
      const port = P((await ovs.addLink({ tag: Q })).port);
      await ovs.vsctl(
        'set',
        'port',
        port,
        ...c.set,
        ...c.clear.flatMap((column) => ['--', 'clear', 'port', port, column]),
      );
      assert.equal(await ovs.vsctl('get', 'port', port, 'vlan_mode'), c.mode, 'the operator set the mode');
      const seen: [string, unknown][] = [];
      for (const [name, d] of all) {
        const o = (await d.read([port])).get(port);
        assert.ok(o, `${name}: no read-back for ${port}`);
        assert.deepEqual(
          {
            exists: o.exists,
            untagged: o.untagged,
            tagged: o.tagged,
            carriesAllVlans: o.carriesAllVlans ?? false,
            lag: o.lag,
            memberOf: o.memberOf,
          },
          { exists: true, untagged: c.untagged, tagged: c.tagged, carriesAllVlans: false, lag: null, memberOf: null },
          name,
        );
        seen.push([name, o]);
      }
      const [first, ...rest] = seen;
      for (const [name, o] of rest) assert.deepEqual(o, first?.[1], `${name} reads what ${first?.[0]} reads`);
    });
  }
});
