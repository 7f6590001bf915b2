/** Re-export: QEMU PXE VMs live in src/lab (the lab command uses them too). */
export * from '../../src/lab/vm.ts';
