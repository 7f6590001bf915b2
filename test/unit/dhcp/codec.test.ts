import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4FromNumber, parseIpv4 } from '../../../src/dhcp/codec/ipv4.ts';
import { MessageType, Opt } from '../../../src/dhcp/codec/option-codes.ts';
import {
  classlessRoutesValue,
  getClientArch,
  getClientId,
  getClientNdi,
  getClientUuid,
  getIpxeOptions,
  getMaxMessageSize,
  getMessageType,
  getParameterRequestList,
  getRelayAgentInfo,
  getRequestedIp,
  getServerId,
  getUserClasses,
  getVendorClass,
  presentValue,
} from '../../../src/dhcp/codec/options.ts';
import { type DhcpPacket, decodePacket, encodePacket } from '../../../src/dhcp/codec/packet.ts';
import { edk2Request, httpBootDiscover, IPXE_MAC, ipxeBiosDiscover, rawPacket, udhcpcDiscover } from './packets.ts';

function decoded(buf: Buffer): DhcpPacket {
  const r = decodePacket(buf);
  assert.ok(r.ok, `decode failed: ${r.ok ? '' : r.reason}`);
  return r.packet;
}

test('an iPXE BIOS DISCOVER decodes with raw user class, arch, NDI, GUID-order UUID and 175', () => {
  const p = decoded(ipxeBiosDiscover());
  assert.equal(p.op, 1);
  assert.equal(p.xid, 0x1234abcd);
  assert.deepEqual([...p.chaddr.subarray(0, 6)], IPXE_MAC);
  assert.deepEqual(getMessageType(p), { kind: 'present', value: MessageType.Discover });
  assert.deepEqual(presentValue(getUserClasses(p)), ['iPXE']);
  assert.deepEqual(presentValue(getClientArch(p)), [0]);
  assert.deepEqual(presentValue(getClientNdi(p)), { type: 1, major: 2, minor: 1 });
  assert.equal(presentValue(getClientUuid(p)), '283cd8ce-0c9a-44b3-a296-03784df9969d');
  assert.equal(presentValue(getVendorClass(p)), 'PXEClient:Arch:00000:UNDI:002001');
  assert.equal(presentValue(getMaxMessageSize(p)), 1472);
  assert.deepEqual([...(presentValue(getClientId(p)) ?? [])], [1, ...IPXE_MAC]);
  assert.ok(presentValue(getIpxeOptions(p))?.has(177));
  assert.equal(presentValue(getParameterRequestList(p))?.includes(175), true);
});

test('an EDK2 REQUEST asks for 65280 bytes and names the server and address', () => {
  const p = decoded(edk2Request([10, 66, 100, 1], [10, 66, 100, 50]));
  assert.equal(p.flags, 0x8000);
  assert.equal(presentValue(getMaxMessageSize(p)), 65280);
  assert.equal(presentValue(getServerId(p)), '10.66.100.1');
  assert.equal(presentValue(getRequestedIp(p)), '10.66.100.50');
  assert.deepEqual(presentValue(getClientArch(p)), [7]);
  assert.equal(getClientId(p).kind, 'absent');
});

test('UEFI HTTP boot: a 0 in the parameter list is tolerated', () => {
  const p = decoded(httpBootDiscover());
  assert.deepEqual(presentValue(getParameterRequestList(p)), [1, 3, 6, 15, 0, 67]);
  assert.equal(presentValue(getVendorClass(p)), 'HTTPClient:Arch:00016:UNDI:003000');
});

test('user class: RFC 3004 length-prefixed list and raw bytes both read', () => {
  const rfc = decoded(
    rawPacket({ mac: IPXE_MAC, options: [{ code: 77, bytes: [4, 0x69, 0x50, 0x58, 0x45, 1, 0x41] }] }),
  );
  assert.deepEqual(presentValue(getUserClasses(rfc)), ['iPXE', 'A']);
  const raw = decoded(rawPacket({ mac: IPXE_MAC, options: [{ code: 77, bytes: [0x69, 0x50, 0x58, 0x45] }] }));
  assert.deepEqual(presentValue(getUserClasses(raw)), ['iPXE']);
});

const malformed: { name: string; code: number; bytes: number[]; get: (p: DhcpPacket) => { kind: string } }[] = [
  { name: 'message type of length 2', code: 53, bytes: [1, 1], get: getMessageType },
  { name: 'message type 9', code: 53, bytes: [9], get: getMessageType },
  { name: 'requested ip of 3 bytes', code: 50, bytes: [10, 0, 0], get: getRequestedIp },
  { name: 'max size below 576', code: 57, bytes: [0x01, 0x00], get: getMaxMessageSize },
  { name: 'client id of one byte', code: 61, bytes: [1], get: getClientId },
  { name: 'odd arch length', code: 93, bytes: [0, 7, 0], get: getClientArch },
  { name: 'uuid of wrong type', code: 97, bytes: [1, ...Array(16).fill(0)], get: getClientUuid },
  { name: 'relay info sub-option past the end', code: 82, bytes: [1, 5, 0], get: getRelayAgentInfo },
  { name: '175 sub-option past the end', code: 175, bytes: [176, 2, 1], get: getIpxeOptions },
];
for (const c of malformed) {
  test(`getter reports malformed: ${c.name}`, () => {
    const p = decoded(rawPacket({ mac: IPXE_MAC, options: [{ code: c.code, bytes: c.bytes }] }));
    assert.equal(c.get(p).kind, 'malformed');
  });
}

test('getters report absent options as absent', () => {
  const p = decoded(rawPacket({ mac: IPXE_MAC, options: [] }));
  for (const get of [getMessageType, getServerId, getUserClasses, getClientArch, getRelayAgentInfo]) {
    assert.equal(get(p).kind, 'absent');
  }
});

const failures: { name: string; bytes: Buffer; reason: string }[] = [
  { name: 'shorter than the header', bytes: ipxeBiosDiscover().subarray(0, 239), reason: 'truncated' },
  { name: 'op code 3', bytes: rawPacket({ op: 3, mac: IPXE_MAC, options: [] }), reason: 'bad-op' },
  {
    name: 'hlen 17',
    bytes: (() => {
      const b = rawPacket({ mac: IPXE_MAC, options: [] });
      b[2] = 17;
      return b;
    })(),
    reason: 'bad-hlen',
  },
  {
    name: 'no magic cookie',
    bytes: (() => {
      const b = rawPacket({ mac: IPXE_MAC, options: [] });
      b[236] = 0;
      return b;
    })(),
    reason: 'bad-cookie',
  },
  {
    name: 'option length past the end',
    bytes: Buffer.concat([rawPacket({ mac: IPXE_MAC, options: [], end: false }), Buffer.from([60, 10, 65])]),
    reason: 'option-overrun',
  },
  {
    name: 'option code without a length byte',
    bytes: Buffer.concat([rawPacket({ mac: IPXE_MAC, options: [], end: false }), Buffer.from([60])]),
    reason: 'option-overrun',
  },
  {
    name: 'overload value 4',
    bytes: rawPacket({ mac: IPXE_MAC, options: [{ code: 52, bytes: [4] }] }),
    reason: 'bad-overload',
  },
  {
    name: 'overload twice',
    bytes: rawPacket({
      mac: IPXE_MAC,
      options: [
        { code: 52, bytes: [1] },
        { code: 52, bytes: [1] },
      ],
    }),
    reason: 'bad-overload',
  },
  {
    name: 'overload inside file (a loop)',
    bytes: rawPacket({ mac: IPXE_MAC, options: [{ code: 52, bytes: [1] }], file: [52, 1, 1, 255] }),
    reason: 'overload-loop',
  },
  {
    name: 'option past the end of sname',
    bytes: rawPacket({ mac: IPXE_MAC, options: [{ code: 52, bytes: [2] }], sname: [...Array(62).fill(0), 12, 5] }),
    reason: 'option-overrun',
  },
];
for (const c of failures) {
  test(`decode refuses ${c.name} as ${c.reason}`, () => {
    assert.deepEqual(decodePacket(c.bytes), { ok: false, reason: c.reason });
  });
}

test('overloaded file and sname carry options, concatenated after the options field (RFC 3396 §5)', () => {
  const p = decoded(
    rawPacket({
      mac: IPXE_MAC,
      options: [
        { code: 52, bytes: [3] },
        { code: 12, bytes: [0x61] },
      ],
      file: [12, 1, 0x62, 53, 1, 1, 255],
      sname: [12, 1, 0x63, 255],
    }),
  );
  assert.equal(p.options.get(Opt.HostName)?.toString(), 'abc');
  assert.equal(presentValue(getMessageType(p)), 1);
  assert.equal(p.sname, '');
  assert.equal(p.file, '');
  assert.equal(p.options.has(Opt.Overload), false);
});

test('sname and file are read as text up to their NUL when not overloaded', () => {
  const p = decoded(rawPacket({ mac: IPXE_MAC, options: [], sname: [0x73, 0x31, 0], file: [0x66, 0, 0x78] }));
  assert.equal(p.sname, 's1');
  assert.equal(p.file, 'f');
});

function replyWith(options: [number, Buffer][], fields: Partial<DhcpPacket> = {}): DhcpPacket {
  return {
    ...decoded(udhcpcDiscover([2, 0, 0, 0, 0, 1])),
    op: 2,
    yiaddr: '10.0.0.5',
    siaddr: '10.0.0.1',
    options: new Map(options),
    ...fields,
  };
}

test('encode pads to 300 bytes and round-trips', () => {
  const p = replyWith([[Opt.MessageType, Buffer.from([2])]]);
  const r = encodePacket(p, 548);
  assert.ok(r.ok);
  assert.equal(r.bytes.length, 300);
  assert.deepEqual(decoded(r.bytes), p);
});

test('an option longer than 255 bytes is split and joined again (RFC 3396)', () => {
  const long = Buffer.alloc(700, 7);
  const p = replyWith([
    [Opt.MessageType, Buffer.from([5])],
    [Opt.ClasslessRoutes, long],
  ]);
  const r = encodePacket(p, 1472);
  assert.ok(r.ok);
  const raw = r.bytes.subarray(240);
  assert.deepEqual([raw[3], raw[4]], [121, 255]); // first fragment
  assert.deepEqual(decoded(r.bytes), p);
});

test('options that do not fit the options field overflow into file and sname (option 52)', () => {
  const p = replyWith([
    [Opt.MessageType, Buffer.from([5])],
    [Opt.DomainName, Buffer.alloc(250, 0x61)],
    [Opt.HostName, Buffer.alloc(150, 0x62)],
  ]);
  const r = encodePacket(p, 548);
  assert.ok(r.ok);
  assert.ok(r.bytes.length <= 548);
  assert.deepEqual([r.bytes[240], r.bytes[241]], [52, 1]);
  assert.deepEqual(decoded(r.bytes), p);
});

test('a reply that cannot fit the client limit is refused, not truncated', () => {
  const p = replyWith([[Opt.DomainName, Buffer.alloc(1000, 0x61)]], { file: 'x', sname: 'y' });
  assert.deepEqual(encodePacket(p, 548), { ok: false, reason: 'too-large' });
});

test('classless routes encode with significant octets only (RFC 3442 §3)', () => {
  const v = classlessRoutesValue([
    { destination: '10.17.0.0/16', nexthop: '10.0.0.1' },
    { destination: '0.0.0.0/0', nexthop: '10.0.0.254' },
  ]);
  assert.deepEqual([...v], [16, 10, 17, 10, 0, 0, 1, 0, 10, 0, 0, 254]);
});

test('parseIpv4 accepts exactly the dotted quads the RFC 1123 form allows', () => {
  const dotted = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  const samples = [
    '0.0.0.0',
    '255.255.255.255',
    '10.77.1.0',
    '192.168.001.1',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1..2.3',
    '.1.2.3',
    '1.2.3.',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '01.2.3.4',
    '1.2.3.-4',
    '1.2.3.4a',
    '',
    '999.999.999.999',
    '00.0.0.0',
  ];
  let seed = 3;
  const chars = '0123456789.259';
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    const len = 7 + (i % 9);
    for (let j = 0; j < len; j++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      s += chars[seed % chars.length];
    }
    samples.push(s);
  }
  for (const s of samples) {
    const n = parseIpv4(s);
    assert.equal(n !== null, dotted.test(s), s);
    if (n !== null) assert.equal(ipv4FromNumber(n), s);
  }
});
