import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, Opt } from '../../../src/dhcp/codec/option-codes.ts';
import { type DhcpPacket, decodePacket } from '../../../src/dhcp/codec/packet.ts';
import { LeaseTable } from '../../../src/dhcp/lease-table.ts';
import type { Lease, NetworkView, Reservation, SubnetView } from '../../../src/dhcp/model.ts';
import { DEFAULT_STEPS, type DhcpOutcome, runPipeline } from '../../../src/dhcp/pipeline.ts';
import type { ListenerContext } from '../../../src/dhcp/step.ts';
import { type Mac, parseMac } from '../../../src/domain/values.ts';
import { edk2Request, httpBootDiscover, IPXE_MAC, ipxeBiosDiscover, type RawOption, rawPacket } from './packets.ts';

const NOW = 1_700_000_000_000;
const ATTACHED: ListenerContext = { via: 'attached', pathMtu: 1500, nowMs: NOW };
const RELAY: ListenerContext = { via: 'relay', pathMtu: 1500, nowMs: NOW };
const NODE_MAC = parseMac('52:54:00:cf:6a:cd');
const OTHER_MAC = [0x02, 0, 0, 0, 0, 0x42];

const provisioning: SubnetView = {
  id: 'sub-prov',
  cidr: '10.66.100.0/24',
  gateway: '10.66.100.254',
  dnsServers: ['10.66.100.2', '10.66.100.3'],
  hostRoutes: [{ destination: '10.17.0.0/16', nexthop: '10.66.100.253' }],
  mtu: 1450,
  domain: 'prov.example',
  dynamicPools: [],
};

/** Ironic's PUT for an iPXE node. */
const ironicReservation: Reservation = {
  mac: NODE_MAC,
  ip: '10.66.100.50',
  portId: 'port-1',
  hostname: null,
  extraDhcpOpts: [
    { optName: 'tag:!ipxe,67', optValue: 'snponly.efi', ipVersion: 4 },
    { optName: 'tag:ipxe,67', optValue: 'http://10.66.100.1:8080/boot.ipxe', ipVersion: 4 },
    { optName: '66', optValue: '10.66.100.1', ipVersion: 4 },
    { optName: '150', optValue: '10.66.100.1', ipVersion: 4 },
    { optName: '255', optValue: '10.66.100.1', ipVersion: 4 },
    { optName: 'tag:!ipxe6,59', optValue: 'tftp://[fd00::1]/snponly.efi', ipVersion: 6 },
  ],
};

function network({
  leases = [],
  ...overrides
}: Partial<Omit<NetworkView, 'leases'>> & { leases?: readonly Lease[] } = {}): NetworkView {
  return {
    networkId: 'net-prov',
    serverAddress: '10.66.100.1',
    subnets: [provisioning],
    reservations: new Map([[NODE_MAC, ironicReservation]]),
    leaseSeconds: 3600,
    ...overrides,
    leases: LeaseTable.of(leases),
  };
}

const inspection: SubnetView = {
  ...provisioning,
  id: 'sub-insp',
  dynamicPools: [{ start: '10.66.100.100', end: '10.66.100.102' }],
};

function packet(buf: Buffer): DhcpPacket {
  const r = decodePacket(buf);
  assert.ok(r.ok);
  return r.packet;
}

function client(type: number, extra: readonly RawOption[] = [], fields: Parameters<typeof rawPacket>[0] | object = {}) {
  return packet(rawPacket({ mac: OTHER_MAC, options: [{ code: 53, bytes: [type] }, ...extra], ...fields }));
}

function reply(o: DhcpOutcome) {
  assert.equal(o.kind, 'reply', `expected a reply, got ${JSON.stringify(o.kind === 'drop' ? o.reason : o.kind)}`);
  if (o.kind !== 'reply') throw new Error('unreachable');
  return o;
}

const opt = (o: DhcpOutcome, code: number) => reply(o).packet.options.get(code);

test('iPXE (raw user class) gets the tag:ipxe bootfile, siaddr from 255, 66, 150 and 175.176 = 1', () => {
  const o = reply(runPipeline(DEFAULT_STEPS, packet(ipxeBiosDiscover()), network(), ATTACHED));
  assert.equal(o.packet.options.get(Opt.MessageType)?.[0], MessageType.Offer);
  assert.equal(o.packet.yiaddr, '10.66.100.50');
  assert.equal(o.packet.siaddr, '10.66.100.1');
  assert.equal(o.packet.options.get(Opt.BootfileName)?.toString(), 'http://10.66.100.1:8080/boot.ipxe');
  assert.equal(o.packet.file, 'http://10.66.100.1:8080/boot.ipxe');
  assert.equal(o.packet.options.get(Opt.TftpServerName)?.toString(), '10.66.100.1');
  assert.deepEqual([...(o.packet.options.get(Opt.TftpServerAddress) ?? [])], [10, 66, 100, 1]);
  assert.deepEqual([...(o.packet.options.get(Opt.Ipxe) ?? [])], [176, 1, 1]);
  assert.equal(o.packet.options.has(Opt.RebindingTime), true, 'v4 T2 from the lease time, not the v6 59 entry');
  assert.deepEqual(o.destination, { address: '255.255.255.255', port: 68 });
  assert.equal(o.trace.answer, 'offer');
  assert.equal(o.trace.userClass, 'iPXE');
  assert.equal(o.trace.arch, 0);
  assert.equal(o.lease, null, 'reservations need no lease record');
});

test('a bootfile without 255/server-ip-address gets this server as next server (siaddr)', () => {
  const noServer: Reservation = {
    ...ironicReservation,
    extraDhcpOpts: [
      { optName: 'tag:!ipxe,67', optValue: 'undionly.kpxe', ipVersion: 4 },
      { optName: 'tag:ipxe,67', optValue: 'ipxe/node-1.ipxe', ipVersion: 4 },
    ],
  };
  const o = reply(
    runPipeline(
      DEFAULT_STEPS,
      packet(ipxeBiosDiscover()),
      network({ reservations: new Map([[NODE_MAC, noServer]]) }),
      ATTACHED,
    ),
  );
  assert.equal(o.packet.siaddr, '10.66.100.1');
  assert.equal(o.packet.file, 'ipxe/node-1.ipxe');
});

test('EDK2 PXE (no iPXE) gets the tag:!ipxe bootfile and no 175; its 65280 limit is capped by the path MTU', () => {
  const o = reply(
    runPipeline(DEFAULT_STEPS, packet(edk2Request([10, 66, 100, 1], [10, 66, 100, 50])), network(), ATTACHED),
  );
  assert.equal(o.packet.options.get(Opt.MessageType)?.[0], MessageType.Ack);
  assert.equal(o.packet.options.get(Opt.BootfileName)?.toString(), 'snponly.efi');
  assert.equal(o.packet.options.has(Opt.Ipxe), false);
  assert.ok(o.bytes.length <= 1472);
});

test('UEFI HTTP boot gets vendor class HTTPClient back', () => {
  const o = runPipeline(DEFAULT_STEPS, packet(httpBootDiscover()), network(), ATTACHED);
  assert.equal(opt(o, Opt.VendorClass)?.toString(), 'HTTPClient');
});

test('subnet options: mask, router, DNS, domain, MTU, broadcast, lease times, classless routes', () => {
  const o = runPipeline(DEFAULT_STEPS, packet(ipxeBiosDiscover()), network(), ATTACHED);
  assert.deepEqual([...(opt(o, Opt.SubnetMask) ?? [])], [255, 255, 255, 0]);
  assert.deepEqual([...(opt(o, Opt.Router) ?? [])], [10, 66, 100, 254]);
  assert.deepEqual([...(opt(o, Opt.DnsServers) ?? [])], [10, 66, 100, 2, 10, 66, 100, 3]);
  assert.equal(opt(o, Opt.DomainName)?.toString(), 'prov.example');
  assert.equal(opt(o, Opt.InterfaceMtu)?.readUInt16BE(0), 1450);
  assert.deepEqual([...(opt(o, Opt.BroadcastAddress) ?? [])], [10, 66, 100, 255]);
  assert.equal(opt(o, Opt.LeaseTime)?.readUInt32BE(0), 3600);
  assert.equal(opt(o, Opt.RenewalTime)?.readUInt32BE(0), 1800);
  assert.equal(opt(o, Opt.RebindingTime)?.readUInt32BE(0), 3150);
  assert.deepEqual([...(opt(o, Opt.ClasslessRoutes) ?? [])], [16, 10, 17, 10, 66, 100, 253, 0, 10, 66, 100, 254]);
  assert.deepEqual([...(opt(o, Opt.ServerId) ?? [])], [10, 66, 100, 1]);
});

const dynamicNet = () => network({ subnets: [inspection] });
const otherMac = parseMac('02:00:00:00:00:42');

const dropCases: {
  name: string;
  pkt: () => DhcpPacket;
  net: () => NetworkView;
  ctx?: ListenerContext;
  reason: string;
}[] = [
  { name: 'unknown MAC on a reservation-only network', pkt: () => client(1), net: network, reason: 'unknown-client' },
  {
    name: 'BOOTP without option 53',
    pkt: () => packet(rawPacket({ mac: OTHER_MAC, options: [] })),
    net: network,
    reason: 'not-dhcp',
  },
  {
    name: 'a BOOTREPLY',
    pkt: () => packet(rawPacket({ op: 2, mac: OTHER_MAC, options: [{ code: 53, bytes: [2] }] })),
    net: network,
    reason: 'not-request',
  },
  { name: 'a client sending OFFER', pkt: () => client(2), net: dynamicNet, reason: 'not-request' },
  {
    name: 'a REQUEST for another server',
    pkt: () =>
      client(3, [
        { code: 54, bytes: [10, 66, 100, 9] },
        { code: 50, bytes: [10, 66, 100, 100] },
      ]),
    net: dynamicNet,
    reason: 'other-server',
  },
  {
    name: 'giaddr on an attached listener',
    pkt: () => client(1, [], { giaddr: [10, 66, 100, 254] }),
    net: dynamicNet,
    reason: 'unexpected-relay',
  },
  { name: 'no giaddr on a relay listener', pkt: () => client(1), net: dynamicNet, ctx: RELAY, reason: 'not-relayed' },
  {
    name: 'a giaddr outside every subnet',
    pkt: () => client(1, [], { giaddr: [192, 168, 1, 1] }),
    net: dynamicNet,
    ctx: RELAY,
    reason: 'no-subnet',
  },
  {
    name: 'INIT-REBOOT of an address never leased and in use',
    pkt: () => client(3, [{ code: 50, bytes: [10, 66, 100, 50] }]),
    net: dynamicNet,
    reason: 'no-binding',
  },
  {
    name: 'a DISCOVER when the pool is full',
    pkt: () => client(1),
    net: () =>
      network({
        subnets: [inspection],
        leases: ['10.66.100.100', '10.66.100.101', '10.66.100.102'].map((ip, i) => ({
          mac: parseMac(`02:00:00:00:01:0${i}`),
          ip,
          subnetId: 'sub-insp',
          state: 'bound' as const,
          expiresAtMs: NOW + 1000,
        })),
      }),
    reason: 'pool-exhausted',
  },
];
for (const c of dropCases) {
  test(`dropped and counted: ${c.name}`, () => {
    const o = runPipeline(DEFAULT_STEPS, c.pkt(), c.net(), c.ctx ?? ATTACHED);
    assert.equal(o.kind, 'drop');
    if (o.kind === 'drop') assert.equal(o.reason, c.reason);
  });
}

test('an unknown MAC gets an address from a dynamic pool, held by an offered lease', () => {
  const o = reply(runPipeline(DEFAULT_STEPS, client(1), dynamicNet(), ATTACHED));
  assert.equal(o.packet.yiaddr, '10.66.100.100');
  assert.deepEqual(o.lease, {
    kind: 'put',
    networkId: 'net-prov',
    lease: { mac: otherMac, ip: '10.66.100.100', subnetId: 'sub-insp', state: 'offered', expiresAtMs: NOW + 60_000 },
  });
});

const held = (mac: Mac, ip: string, state: Lease['state'], expiresAtMs = NOW + 10_000): Lease => ({
  mac,
  ip,
  subnetId: 'sub-insp',
  state,
  expiresAtMs,
});

test('pool: a held address is skipped, the client keeps its own, the asked one is granted when free', () => {
  const someone = parseMac('02:00:00:00:00:99');
  const taken = network({ subnets: [inspection], leases: [held(someone, '10.66.100.100', 'bound')] });
  assert.equal(reply(runPipeline(DEFAULT_STEPS, client(1), taken, ATTACHED)).packet.yiaddr, '10.66.100.101');
  const own = network({ subnets: [inspection], leases: [held(otherMac, '10.66.100.102', 'bound', NOW - 1)] });
  assert.equal(reply(runPipeline(DEFAULT_STEPS, client(1), own, ATTACHED)).packet.yiaddr, '10.66.100.102');
  const asked = client(1, [{ code: 50, bytes: [10, 66, 100, 101] }]);
  assert.equal(reply(runPipeline(DEFAULT_STEPS, asked, dynamicNet(), ATTACHED)).packet.yiaddr, '10.66.100.101');
});

test('REQUEST (SELECTING) of the offered address is ACKed and the lease bound for the lease time', () => {
  const net = network({ subnets: [inspection], leases: [held(otherMac, '10.66.100.100', 'offered')] });
  const req = client(3, [
    { code: 54, bytes: [10, 66, 100, 1] },
    { code: 50, bytes: [10, 66, 100, 100] },
  ]);
  const o = reply(runPipeline(DEFAULT_STEPS, req, net, ATTACHED));
  assert.equal(o.packet.options.get(Opt.MessageType)?.[0], MessageType.Ack);
  assert.deepEqual(o.lease, {
    kind: 'put',
    networkId: 'net-prov',
    lease: { mac: otherMac, ip: '10.66.100.100', subnetId: 'sub-insp', state: 'bound', expiresAtMs: NOW + 3_600_000 },
  });
});

test('a REQUEST for a wrong address gets a broadcast NAK (RFC 2131 §4.3.2)', () => {
  const req = packet(
    rawPacket({
      mac: IPXE_MAC,
      options: [
        { code: 53, bytes: [3] },
        { code: 50, bytes: [10, 66, 100, 77] },
      ],
    }),
  );
  const o = reply(runPipeline(DEFAULT_STEPS, req, network(), ATTACHED));
  assert.equal(o.packet.options.get(Opt.MessageType)?.[0], MessageType.Nak);
  assert.equal(o.packet.yiaddr, '0.0.0.0');
  assert.equal(o.packet.options.has(Opt.LeaseTime), false);
  assert.deepEqual(o.destination, { address: '255.255.255.255', port: 68 });
  assert.equal(o.trace.answer, 'nak');
});

test('RENEWING (ciaddr) is ACKed by unicast to ciaddr', () => {
  const req = packet(rawPacket({ mac: IPXE_MAC, ciaddr: [10, 66, 100, 50], options: [{ code: 53, bytes: [3] }] }));
  const o = reply(runPipeline(DEFAULT_STEPS, req, network(), ATTACHED));
  assert.equal(o.packet.options.get(Opt.MessageType)?.[0], MessageType.Ack);
  assert.equal(o.packet.ciaddr, '10.66.100.50');
  assert.deepEqual(o.destination, { address: '10.66.100.50', port: 68 });
});

test('DECLINE quarantines the dynamic address; the next DISCOVER gets another one', () => {
  const net = network({ subnets: [inspection], leases: [held(otherMac, '10.66.100.100', 'bound')] });
  const decline = client(4, [
    { code: 54, bytes: [10, 66, 100, 1] },
    { code: 50, bytes: [10, 66, 100, 100] },
  ]);
  const o = runPipeline(DEFAULT_STEPS, decline, net, ATTACHED);
  assert.equal(o.kind, 'silent');
  if (o.kind !== 'silent' || o.lease?.kind !== 'put') throw new Error('expected a declined lease');
  assert.equal(o.lease.lease.state, 'declined');
  const after = network({ subnets: [inspection], leases: [o.lease.lease] });
  assert.equal(reply(runPipeline(DEFAULT_STEPS, client(1), after, ATTACHED)).packet.yiaddr, '10.66.100.101');
});

test('RELEASE frees the dynamic address', () => {
  const net = network({ subnets: [inspection], leases: [held(otherMac, '10.66.100.100', 'bound')] });
  const o = runPipeline(DEFAULT_STEPS, client(7, [], { ciaddr: [10, 66, 100, 100] }), net, ATTACHED);
  assert.deepEqual(o.kind === 'silent' ? o.lease : null, {
    kind: 'remove',
    networkId: 'net-prov',
    mac: otherMac,
    ip: '10.66.100.100',
  });
});

test('INFORM gets an ACK with options, no address and no lease time, sent to ciaddr', () => {
  const req = packet(rawPacket({ mac: IPXE_MAC, ciaddr: [10, 66, 100, 50], options: [{ code: 53, bytes: [8] }] }));
  const o = reply(runPipeline(DEFAULT_STEPS, req, network(), ATTACHED));
  assert.equal(o.packet.yiaddr, '0.0.0.0');
  assert.equal(o.packet.options.has(Opt.LeaseTime), false);
  assert.equal(o.packet.options.has(Opt.Router), true);
  assert.deepEqual(o.destination, { address: '10.66.100.50', port: 68 });
});

test('relayed: the subnet comes from giaddr, option 82 is echoed last and recorded, the reply goes to the relay', () => {
  const agentInfo = [1, 4, 0x65, 0x74, 0x68, 0x30];
  const req = client(1, [{ code: 82, bytes: agentInfo }], { giaddr: [10, 66, 100, 254] });
  const o = reply(runPipeline(DEFAULT_STEPS, req, dynamicNet(), RELAY));
  assert.deepEqual(o.destination, { address: '10.66.100.254', port: 67 });
  assert.equal(o.packet.giaddr, '10.66.100.254');
  assert.deepEqual([...o.packet.options.keys()].at(-1), Opt.RelayAgentInfo);
  assert.deepEqual([...(o.packet.options.get(Opt.RelayAgentInfo) ?? [])], agentInfo);
  assert.equal(o.trace.relayAgentInfo, Buffer.from(agentInfo).toString('hex'));
  assert.equal(o.trace.relay, '10.66.100.254');
});

test('a blank router entry suppresses option 3; dns-server overrides the subnet value', () => {
  const r: Reservation = {
    ...ironicReservation,
    extraDhcpOpts: [
      { optName: 'router', optValue: '', ipVersion: 4 },
      { optName: 'dns-server', optValue: '9.9.9.9', ipVersion: 4 },
    ],
  };
  const o = runPipeline(
    DEFAULT_STEPS,
    packet(ipxeBiosDiscover()),
    network({ reservations: new Map([[NODE_MAC, r]]) }),
    ATTACHED,
  );
  assert.equal(opt(o, Opt.Router), undefined);
  assert.deepEqual([...(opt(o, Opt.DnsServers) ?? [])], [9, 9, 9, 9]);
});

test('a NAK to a relay goes to giaddr with the broadcast bit set (RFC 2131 §4.3.2)', () => {
  const req = packet(
    rawPacket({
      mac: IPXE_MAC,
      giaddr: [10, 66, 100, 254],
      options: [
        { code: 53, bytes: [3] },
        { code: 50, bytes: [10, 66, 100, 77] },
      ],
    }),
  );
  const o = reply(runPipeline(DEFAULT_STEPS, req, network(), RELAY));
  assert.equal(o.packet.options.get(Opt.MessageType)?.[0], MessageType.Nak);
  assert.equal(o.packet.flags & 0x8000, 0x8000);
  assert.deepEqual(o.destination, { address: '10.66.100.254', port: 67 });
});
