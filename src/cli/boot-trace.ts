/**
 * `bmnet boot-trace MAC`: where a PXE boot got to — every DHCP exchange and TFTP/HTTP request of the MAC, oldest
 * first. `bmnet boot status`: whether each boot listener's TFTP and HTTP serve, and why one does not.
 */
import type { Command } from 'commander';
import type { BootStatusJson } from '../api/boot-status.ts';
import type { BootTraceJson } from '../api/boot-trace.ts';
import { type ApiTarget, apiCall } from './client.ts';
import { newTable } from './table.ts';

export function bootTraceCommands(program: Command, target: () => ApiTarget): void {
  program
    .command('boot-trace')
    .description("a MAC's boot timeline: DHCP requests, the answers given and why none was")
    .argument('<mac>', 'MAC address of the NIC')
    .option('-n, --limit <count>', 'newest events to show', '50')
    .action(async (mac: string, opts: { limit: string }) => {
      const query = new URLSearchParams({ mac, limit: opts.limit });
      const { boot_trace: events } = await apiCall<{ boot_trace: BootTraceJson[] }>(
        target(),
        'GET',
        `/v1/boot-trace?${query.toString()}`,
      );
      const t = newTable([
        'time',
        'network',
        'xid',
        'request',
        'arch',
        'client',
        'answer',
        'address',
        'bootfile',
        'detail',
      ]);
      for (const e of events) {
        t.push([
          e.at,
          e.network_id.slice(0, 8),
          e.xid,
          e.relay ? `${e.message_type} via ${e.relay}` : e.message_type,
          e.client_arch ?? '-',
          e.user_class ?? e.vendor_class ?? '-',
          e.drop_reason ? `${e.answer} (${e.drop_reason})` : e.answer,
          e.ip_address ?? '-',
          e.bootfile ?? '-',
          e.detail ?? '',
        ]);
      }
      process.stdout.write(events.length === 0 ? `no boot trace for ${mac}\n` : `${t.toString()}\n`);
    });

  program
    .command('boot')
    .description('the boot role (TFTP, HTTP)')
    .command('status')
    .description('each boot listener: network, namespace, TFTP and HTTP state, and why one cannot serve (exit 1 then)')
    .action(async () => {
      const { boot } = await apiCall<{ boot: BootStatusJson }>(target(), 'GET', '/v1/boot/status');
      if (boot.listeners.length === 0) {
        process.stdout.write(`boot role ${boot.mode}: no listeners\n`);
        return;
      }
      const t = newTable(['network', 'namespace', 'tftp', 'http', 'since', 'error']);
      const side = (p: BootStatusJson['listeners'][number]['tftp']) =>
        p === null ? 'not configured' : p.state === 'serving' ? `serving ${p.address}` : p.state;
      for (const l of boot.listeners) {
        const failed = [l.tftp, l.http].filter((p) => p?.state === 'failed');
        t.push([
          l.network_id ?? '(listen)',
          l.namespace ?? '-',
          side(l.tftp),
          side(l.http),
          failed.map((p) => p?.since ?? '').join(' ') || '-',
          failed.map((p) => p?.error ?? '').join('; '),
        ]);
      }
      process.stdout.write(`boot role ${boot.mode}\n${t.toString()}\n`);
      // a listener that cannot serve is an operator's problem: say so in the exit status too
      if (boot.listeners.some((l) => l.tftp?.state === 'failed' || l.http?.state === 'failed')) process.exitCode = 1;
    });
}
