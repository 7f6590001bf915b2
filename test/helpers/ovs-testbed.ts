/** Re-export: the Open vSwitch userspace switch lives in src/lab (the lab command uses it too). */
export * from '../../src/lab/ovs-switch.ts';
