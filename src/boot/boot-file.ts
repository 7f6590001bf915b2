/**
 * Which file a network-boot client gets (docs/conventions.md "decisions over several fields"), pure. The client's
 * facts come from its DHCP request; the answer is a TFTP file name, a URL, or nothing.
 * Rules (shared/testbed/README.md): iPXE gets its script (no chainload loop); UEFI HTTP boot gets a URL
 * of the iPXE binary for its architecture; PXE firmware gets that binary's name over TFTP.
 */

/** RFC 4578 §2.1 option 93, values from IANA's "Processor Architecture Types" registry. */
export const ClientArchCode = {
  X86Bios: 0,
  EfiIa32: 6,
  EfiBc: 7,
  EfiX64: 9,
  EfiArm32: 10,
  EfiArm64: 11,
  EfiX86Http: 15,
  EfiX64Http: 16,
  EfiArm32Http: 18,
  EfiArm64Http: 19,
} as const;

export type ClientArch = 'bios' | 'efi-ia32' | 'efi-x64' | 'efi-arm32' | 'efi-arm64';

const ARCH_OF_CODE: ReadonlyMap<number, { readonly arch: ClientArch; readonly isHttp: boolean }> = new Map([
  [ClientArchCode.X86Bios, { arch: 'bios', isHttp: false }],
  [ClientArchCode.EfiIa32, { arch: 'efi-ia32', isHttp: false }],
  [ClientArchCode.EfiBc, { arch: 'efi-x64', isHttp: false }], // EDK2 and iPXE send 7 for x86-64 (README)
  [ClientArchCode.EfiX64, { arch: 'efi-x64', isHttp: false }],
  [ClientArchCode.EfiArm32, { arch: 'efi-arm32', isHttp: false }],
  [ClientArchCode.EfiArm64, { arch: 'efi-arm64', isHttp: false }],
  [ClientArchCode.EfiX86Http, { arch: 'efi-ia32', isHttp: true }],
  [ClientArchCode.EfiX64Http, { arch: 'efi-x64', isHttp: true }],
  [ClientArchCode.EfiArm32Http, { arch: 'efi-arm32', isHttp: true }],
  [ClientArchCode.EfiArm64Http, { arch: 'efi-arm64', isHttp: true }],
]);

/** What a client told us in its DHCP request. */
export interface PxeClient {
  /** Option 93; null when absent. */
  readonly archCode: number | null;
  /** User class `iPXE` (option 77, raw or RFC 3004) or iPXE's option 175. */
  readonly isIpxe: boolean;
  /** Vendor class (option 60) starting with `HTTPClient` (UEFI HTTP boot). */
  readonly isHttpClient: boolean;
}

export interface BootFiles {
  /** The iPXE binary per architecture (Debian's `ipxe` package: `undionly.kpxe`, `snponly.efi`). */
  readonly binaries: Readonly<Partial<Record<ClientArch, string>>>;
  /** What iPXE loads next: a URL or a TFTP file name (the node's `boot.ipxeScript`). */
  readonly ipxeScript: string;
  /** bmnet's HTTP boot server as the client reaches it, e.g. `http://10.66.100.2:8080`. */
  readonly httpBase: string;
}

export const DEFAULT_BINARIES: Readonly<Record<'bios' | 'efi-x64', string>> = {
  bios: 'undionly.kpxe',
  'efi-x64': 'snponly.efi',
};

export type BootFileChoice =
  | { readonly kind: 'tftp'; readonly file: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'none'; readonly reason: 'unknown-arch' | 'no-binary' };

export function chooseBootFile(client: PxeClient, files: BootFiles): BootFileChoice {
  if (client.isIpxe) {
    // opt 77 (RFC 3004) / 175: already iPXE, so its script, never the binary again (no chainload loop)
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(files.ipxeScript)
      ? { kind: 'url', url: files.ipxeScript }
      : { kind: 'tftp', file: files.ipxeScript };
  }
  // RFC 4578 §2.1: a PXE client without option 93 is the original x86 BIOS PXE
  const known = ARCH_OF_CODE.get(client.archCode ?? ClientArchCode.X86Bios);
  if (known === undefined) return { kind: 'none', reason: 'unknown-arch' };
  const binary = files.binaries[known.arch];
  if (binary === undefined) return { kind: 'none', reason: 'no-binary' };
  // UEFI 2.x §24.7: an HTTP boot client (arch 15/16/18/19, vendor class HTTPClient) needs a URL
  if (known.isHttp || client.isHttpClient) return { kind: 'url', url: `${files.httpBase}/${binary}` };
  return { kind: 'tftp', file: binary };
}
