/**
 * Client messages as real firmware sends them (shared/testbed/README.md "What the clients send"),
 * written byte by byte without bmnet's encoder so decoder tests do not trust the code under test.
 */

export interface RawOption {
  readonly code: number;
  readonly bytes: readonly number[];
}

const ascii = (s: string) => [...Buffer.from(s, 'latin1')];

export function rawPacket(opts: {
  op?: number;
  xid?: number;
  flags?: number;
  ciaddr?: readonly number[];
  giaddr?: readonly number[];
  mac: readonly number[];
  options: readonly RawOption[];
  sname?: readonly number[];
  file?: readonly number[];
  end?: boolean;
  padTo?: number;
}): Buffer {
  const head = Buffer.alloc(240);
  head[0] = opts.op ?? 1;
  head[1] = 1;
  head[2] = 6;
  head.writeUInt32BE(opts.xid ?? 0x1234abcd, 4);
  head.writeUInt16BE(4, 8);
  head.writeUInt16BE(opts.flags ?? 0, 10);
  head.set(opts.ciaddr ?? [0, 0, 0, 0], 12);
  head.set(opts.giaddr ?? [0, 0, 0, 0], 24);
  head.set(opts.mac, 28);
  if (opts.sname) head.set(opts.sname, 44);
  if (opts.file) head.set(opts.file, 108);
  head.writeUInt32BE(0x63825363, 236);
  const body = opts.options.flatMap((o) => [o.code, o.bytes.length, ...o.bytes]);
  const all = Buffer.concat([head, Buffer.from(body), Buffer.from(opts.end === false ? [] : [255])]);
  return opts.padTo && all.length < opts.padTo ? Buffer.concat([all, Buffer.alloc(opts.padTo - all.length)]) : all;
}

export const IPXE_MAC = [0x52, 0x54, 0x00, 0xcf, 0x6a, 0xcd];
/** `-uuid 283cd8ce-0c9a-44b3-a296-03784df9969d` in GUID byte order, type 0 first. */
export const IPXE_UUID_BYTES = [
  0x00, 0xce, 0xd8, 0x3c, 0x28, 0x9a, 0x0c, 0xb3, 0x44, 0xa2, 0x96, 0x03, 0x78, 0x4d, 0xf9, 0x96, 0x9d,
];

/** iPXE ROM under SeaBIOS: DISCOVER, broadcast flag clear, raw user class `iPXE`, 175 features. */
export function ipxeBiosDiscover(): Buffer {
  return rawPacket({
    mac: IPXE_MAC,
    options: [
      { code: 53, bytes: [1] },
      { code: 57, bytes: [0x05, 0xc0] }, // 1472
      { code: 93, bytes: [0, 0] },
      { code: 94, bytes: [1, 2, 1] },
      { code: 60, bytes: ascii('PXEClient:Arch:00000:UNDI:002001') },
      { code: 77, bytes: ascii('iPXE') },
      {
        code: 55,
        bytes: [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203],
      },
      // a few of iPXE's feature sub-options: 177 (PXE ext) 19 (HTTP) 23 (DNS) 24 (TFTP) 39 (bzImage) 235 (version)
      {
        code: 175,
        bytes: [177, 5, 1, 0x80, 0x86, 0x10, 0x0e, 19, 1, 1, 23, 1, 1, 24, 1, 1, 39, 1, 1, 235, 3, 1, 0, 0],
      },
      { code: 61, bytes: [1, ...IPXE_MAC] },
      { code: 97, bytes: IPXE_UUID_BYTES },
    ],
  });
}

/** OVMF's own EDK2 PXE client: REQUEST asking for 65280-byte replies, broadcast flag set, no 61. */
export function edk2Request(serverId: readonly number[], requested: readonly number[]): Buffer {
  return rawPacket({
    mac: IPXE_MAC,
    flags: 0x8000,
    options: [
      { code: 53, bytes: [3] },
      { code: 54, bytes: serverId },
      { code: 50, bytes: requested },
      { code: 57, bytes: [0xff, 0x00] },
      { code: 93, bytes: [0, 7] },
      { code: 94, bytes: [1, 3, 0] },
      { code: 60, bytes: ascii('PXEClient:Arch:00007:UNDI:003000') },
      { code: 97, bytes: IPXE_UUID_BYTES },
      {
        code: 55,
        bytes: [1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97],
      },
    ],
  });
}

/** EDK2 UEFI HTTP boot: vendor class `HTTPClient`, arch 16, a 0 in the parameter list. */
export function httpBootDiscover(): Buffer {
  return rawPacket({
    mac: IPXE_MAC,
    flags: 0x8000,
    options: [
      { code: 53, bytes: [1] },
      { code: 93, bytes: [0, 16] },
      { code: 94, bytes: [1, 3, 0] },
      { code: 60, bytes: ascii('HTTPClient:Arch:00016:UNDI:003000') },
      { code: 55, bytes: [1, 3, 6, 15, 0, 67] },
    ],
  });
}

/** busybox udhcpc in the deploy ramdisk: `-V bmnet-ramdisk`, 57=576. */
export function udhcpcDiscover(mac: readonly number[]): Buffer {
  return rawPacket({
    mac,
    options: [
      { code: 53, bytes: [1] },
      { code: 61, bytes: [1, ...mac] },
      { code: 57, bytes: [0x02, 0x40] },
      { code: 60, bytes: ascii('bmnet-ramdisk') },
      { code: 55, bytes: [1, 3, 6, 12, 15, 28, 42] },
    ],
    padTo: 300,
  });
}
