/** Re-export: namespaces as hosts live in src/lab (the lab command uses them too). */
export * from '../../src/lab/netns.ts';
