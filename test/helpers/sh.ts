/** Re-export: running programs and waiting for conditions live in src/lab (the lab command uses them too). */
export * from '../../src/lab/exec.ts';
