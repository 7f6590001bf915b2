import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BootFileChoice,
  type BootFiles,
  chooseBootFile,
  DEFAULT_BINARIES,
  type PxeClient,
} from '../../../src/boot/boot-file.ts';

const files: BootFiles = {
  binaries: DEFAULT_BINARIES,
  ipxeScript: 'http://10.66.100.2:8080/ipxe/n1.ipxe',
  httpBase: 'http://10.66.100.2:8080',
};
const client = (archCode: number | null, isIpxe = false, isHttpClient = false): PxeClient => ({
  archCode,
  isIpxe,
  isHttpClient,
});

const cases: { name: string; client: PxeClient; files?: BootFiles; want: BootFileChoice }[] = [
  { name: 'BIOS PXE ROM gets undionly.kpxe', client: client(0), want: { kind: 'tftp', file: 'undionly.kpxe' } },
  { name: 'no option 93 is BIOS PXE', client: client(null), want: { kind: 'tftp', file: 'undionly.kpxe' } },
  { name: 'EDK2 x64 (arch 7) gets snponly.efi', client: client(7), want: { kind: 'tftp', file: 'snponly.efi' } },
  { name: 'EFI x64 (arch 9) gets snponly.efi', client: client(9), want: { kind: 'tftp', file: 'snponly.efi' } },
  {
    name: 'iPXE on BIOS gets its script URL, not the binary again',
    client: client(0, true),
    want: { kind: 'url', url: 'http://10.66.100.2:8080/ipxe/n1.ipxe' },
  },
  {
    name: 'iPXE on UEFI gets its script URL',
    client: client(7, true),
    want: { kind: 'url', url: 'http://10.66.100.2:8080/ipxe/n1.ipxe' },
  },
  {
    name: 'iPXE with a TFTP script name gets the name',
    client: client(0, true),
    files: { ...files, ipxeScript: 'ipxe/n1.ipxe' },
    want: { kind: 'tftp', file: 'ipxe/n1.ipxe' },
  },
  {
    name: 'UEFI HTTP boot (arch 16) gets the binary as a URL',
    client: client(16, false, true),
    want: { kind: 'url', url: 'http://10.66.100.2:8080/snponly.efi' },
  },
  {
    name: 'vendor class HTTPClient with arch 7 gets a URL',
    client: client(7, false, true),
    want: { kind: 'url', url: 'http://10.66.100.2:8080/snponly.efi' },
  },
  { name: 'ARM64 without a binary gets nothing', client: client(11), want: { kind: 'none', reason: 'no-binary' } },
  {
    name: 'ARM64 with a binary configured gets it',
    client: client(11),
    files: { ...files, binaries: { ...DEFAULT_BINARIES, 'efi-arm64': 'arm64/snponly.efi' } },
    want: { kind: 'tftp', file: 'arm64/snponly.efi' },
  },
  { name: 'an unknown architecture gets nothing', client: client(42), want: { kind: 'none', reason: 'unknown-arch' } },
];

for (const c of cases) test(c.name, () => assert.deepStrictEqual(chooseBootFile(c.client, c.files ?? files), c.want));
