/** `bmnet boot-trace MAC`: where a PXE boot got to — every DHCP exchange and TFTP/HTTP request of the MAC, oldest first. */
import type { Command } from 'commander';
import type { BootTraceJson } from '../api/boot-trace.js';
import { type ApiTarget, apiCall } from './client.js';
import { newTable } from './table.js';

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
}
