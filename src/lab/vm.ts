/**
 * A QEMU VM with real PXE firmware (SeaBIOS + the NIC's iPXE ROM from Debian's ipxe-qemu) cabled to a tap
 * port of the test switch (shared/testbed/pxe-vm.sh): TCG only (this machine's KVM crashes the firmware),
 * `-nographic -serial file:…` so SeaBIOS and iPXE print to the serial log, `vnet_hdr=off` so the guest
 * fills its own checksums. The VM is ended by its process id.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { start, stop, tryRun, until } from './exec.ts';

const INSTALL_HINT = 'apt-get install --no-install-recommends qemu-system-x86 ipxe-qemu';

export interface PxeVm {
  readonly serialLog: string;
  /** The serial log with terminal escapes, backspaces and line breaks removed (SeaBIOS wraps at 80 columns). */
  serial(): Promise<string>;
  /** Waits until the serial log shows `marker` (or one of `failures`, which rejects). */
  waitFor(marker: string, options: { timeoutMs: number; failures?: readonly string[] }): Promise<void>;
  stop(): Promise<void>;
}

export async function requireQemu(): Promise<void> {
  if ((await tryRun('sh', ['-c', 'command -v qemu-system-x86_64'])).code !== 0) {
    throw new Error(`qemu-system-x86_64 is missing: ${INSTALL_HINT}`);
  }
  // QEMU's default ROM for virtio-net-pci (BIOS and UEFI iPXE), found through Debian's firmware path
  if ((await tryRun('test', ['-r', '/usr/lib/ipxe/qemu/efi-virtio.rom'])).code !== 0) {
    throw new Error(`the virtio iPXE ROM is missing: ${INSTALL_HINT}`);
  }
}

const OVMF = '/usr/share/ovmf/OVMF.fd';

/**
 * Starts a VM in `namespace` whose only NIC is the existing tap `tap`; it network-boots at once with the
 * NIC's iPXE ROM under SeaBIOS (`bios`) or OVMF (`uefi`), or with OVMF's own PXE client (`rom: 'none'`).
 */
export async function startPxeVm(opts: {
  namespace: string;
  tap: string;
  mac: string;
  serialLog: string;
  firmware?: 'bios' | 'uefi';
  /** `none`: no iPXE ROM, so OVMF's own EDK2 PXE client boots (virtio only; UEFI only). */
  rom?: 'ipxe' | 'none';
  uuid?: string;
}): Promise<PxeVm> {
  await rm(opts.serialLog, { force: true });
  const isUefi = opts.firmware === 'uefi';
  if (isUefi && (await tryRun('test', ['-r', OVMF])).code !== 0) {
    throw new Error(`${OVMF} is missing: apt-get install --no-install-recommends ovmf`);
  }
  const child: ChildProcess = start('ip', [
    'netns',
    'exec',
    opts.namespace,
    'qemu-system-x86_64',
    '-machine',
    'pc',
    '-accel',
    'tcg',
    '-m',
    isUefi ? '512' : '256',
    ...(isUefi ? ['-bios', OVMF] : []),
    '-smp',
    '1',
    '-uuid',
    opts.uuid ?? '283cd8ce-0c9a-44b3-a296-03784df9969d',
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    `file:${opts.serialLog}`,
    '-boot',
    'order=n',
    '-no-reboot',
    '-netdev',
    `tap,id=n0,ifname=${opts.tap},script=no,downscript=no,vnet_hdr=off`,
    '-device',
    `virtio-net-pci,netdev=n0,mac=${opts.mac}${opts.rom === 'none' ? ',romfile=' : ''}`,
  ]);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const serial = async () => {
    const raw = await readFile(opts.serialLog, 'latin1').catch(() => '');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes and backspaces are control characters
    return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|[\x08\r\n]/g, '');
  };
  return {
    serialLog: opts.serialLog,
    serial,
    async waitFor(marker, { timeoutMs, failures = [] }) {
      const seen = await until(
        async () => {
          if (child.exitCode !== null) return { problem: `QEMU exited (${child.exitCode}): ${stderr.trim()}` };
          const log = await serial();
          const failure = failures.find((f) => log.includes(f));
          if (failure !== undefined) return { problem: `the serial log shows '${failure}' instead of '${marker}'` };
          return log.includes(marker) ? { problem: null } : null;
        },
        { timeoutMs, intervalMs: 200, what: `'${marker}' on the VM's serial console (${opts.serialLog})` },
      ).catch(async (err: Error) => ({ problem: err.message }));
      if (seen.problem !== null) throw new Error(`${seen.problem}; serial log tail: ${(await serial()).slice(-500)}`);
    },
    stop: () => stop(child, 'SIGTERM', 3000),
  };
}
