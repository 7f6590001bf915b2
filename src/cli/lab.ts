/** `bmnet lab up|down`: the whole job on this machine with a userspace OVS switch and QEMU PXE nodes. */
import type { Command } from 'commander';
import { labDown, labUp } from '../lab/lab.ts';
import { createLogger } from '../logging.ts';

export function labCommands(program: Command): void {
  const lab = program.command('lab').description('a lab on this machine (root): OVS switch, bmnet, QEMU PXE nodes');
  lab
    .command('up')
    .description('build the lab, take the nodes through clean → provision → tenant, keep the API up until stopped')
    .option('--dir <dir>', 'lab state, database, boot roots, serial logs', '/var/lib/bmnet-lab')
    .option('--port <port>', 'API port on 127.0.0.1', '9696')
    .option('--nodes <n>', 'QEMU nodes', '1')
    .option('--firmware <bios|uefi>', 'node firmware', 'bios')
    .action(async (o: { dir: string; port: string; nodes: string; firmware: string }) => {
      if (o.firmware !== 'bios' && o.firmware !== 'uefi') throw new Error(`--firmware ${o.firmware}: bios or uefi`);
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const running = await labUp({
        dir: o.dir,
        port: Number(o.port),
        nodes: Math.max(1, Number(o.nodes)),
        firmware: o.firmware,
        log: createLogger({ level: 'warn' }),
        say,
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      say('stopping the lab');
      await running.stop();
      say('lab removed');
    });
  lab
    .command('down')
    .description('stop a running lab and remove what it made (or clean up after a killed one)')
    .option('--dir <dir>', 'lab state folder', '/var/lib/bmnet-lab')
    .action(async (o: { dir: string }) => {
      await labDown(o.dir, (line) => process.stdout.write(`${line}\n`));
    });
}
