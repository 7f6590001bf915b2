/** `bmnet switch …`: switch health, per-port desired vs observed state, dry runs. */
import type { Command } from 'commander';
import { COMMON_SSH_OPTIONS } from '../config/switches.ts';
import { PROFILES } from '../switch/ssh/profiles/index.ts';
import { type ApiTarget, apiCall } from './client.ts';
import { newTable } from './table.ts';

interface Refusal {
  port: string;
  reason: string;
}

/** `REFUSED port: reason` lines for the ports the driver cannot configure (empty when none). */
function describeRefused(refused: readonly Refusal[]): string {
  return refused.map((r) => `REFUSED ${r.port}: ${r.reason}\n`).join('');
}

interface SwitchJson {
  name: string;
  driver: string;
  isReachable: boolean | null;
  lastError: string | null;
  lastSyncAt: string | null;
  queueDepth: number;
  drift: string[];
  refused: Refusal[];
  ports: {
    port: string;
    desired: { kind: string; vlan?: number; members?: string[]; lag?: string };
    observed: { untagged: number | null; lag: unknown; memberOf: string | null } | null;
    in_sync: boolean;
  }[];
}

function describeDesired(d: SwitchJson['ports'][number]['desired']): string {
  if (d.kind === 'access') return `vlan ${d.vlan}`;
  if (d.kind === 'lag') return `LAG ${d.members?.join('+')} vlan ${d.vlan}`;
  if (d.kind === 'lag-member') return `member of ${d.lag}`;
  return 'default';
}

function describeObserved(o: SwitchJson['ports'][number]['observed']): string {
  if (!o) return '?';
  if (o.memberOf) return `member of ${o.memberOf}`;
  return o.untagged === null ? 'no untagged VLAN' : `vlan ${o.untagged}`;
}

export function switchCommands(program: Command, target: () => ApiTarget): void {
  const sw = program.command('switch').description('switches: health, desired vs observed VLANs, dry runs');
  sw.command('drivers')
    .description('the switch drivers and SSH device profiles this build has, and what each can configure')
    .action(() => {
      const t = newTable(['driver', 'ssh.profile', 'trunk', 'lag', 'save', 'LAG names', 'own ssh.options', 'device']);
      const yes = (b: boolean) => (b ? 'yes' : 'no');
      // the ovsdb driver writes Port rows over OVSDB: trunks and bonds; the database is the configuration
      t.push(['ovsdb', '-', 'yes', 'yes', 'no', 'bond{n}', '-', 'Open vSwitch over OVSDB (RFC 7047)']);
      for (const [name, p] of Object.entries(PROFILES)) {
        t.push([
          'ssh',
          name,
          yes(p.supports.trunk),
          yes(p.supports.lag),
          yes(p.supports.save),
          p.lagNameTemplate,
          p.options.join(' ') || '-',
          p.summary,
        ]);
      }
      const common = COMMON_SSH_OPTIONS.join(', ');
      process.stdout.write(`${t.toString()}\nEvery ssh profile takes ssh.options ${common}; access ports always.\n`);
    });
  sw.command('list')
    .description('every switch with its health')
    .action(async () => {
      const { switches } = await apiCall<{ switches: SwitchJson[] }>(target(), 'GET', '/v1/switches');
      const t = newTable(['switch', 'driver', 'reachable', 'ports', 'out of sync', 'queue', 'last sync', 'last error']);
      for (const s of switches) {
        t.push([
          s.name,
          s.driver,
          String(s.isReachable ?? '?'),
          s.ports.length,
          s.ports.filter((p) => !p.in_sync).length,
          s.queueDepth,
          s.lastSyncAt ?? '-',
          s.lastError ?? '',
        ]);
      }
      process.stdout.write(`${t.toString()}\n`);
    });
  sw.command('show')
    .description("one switch's ports: desired and observed")
    .argument('<name>')
    .action(async (name: string) => {
      const { switch: s } = await apiCall<{ switch: SwitchJson }>(
        target(),
        'GET',
        `/v1/switches/${encodeURIComponent(name)}`,
      );
      const t = newTable(['port', 'desired', 'observed', 'in sync']);
      for (const p of s.ports)
        t.push([p.port, describeDesired(p.desired), describeObserved(p.observed), p.in_sync ? 'yes' : 'NO']);
      process.stdout.write(
        `${s.name} (${s.driver}) reachable=${s.isReachable ?? '?'}${s.lastError ? ` error: ${s.lastError}` : ''}\n${t.toString()}\n${describeRefused(s.refused)}`,
      );
    });
  sw.command('dry-run')
    .description('the exact commands or OVSDB transaction the reconciler would send now')
    .argument('<name>')
    .action(async (name: string) => {
      const { dry_run: d } = await apiCall<{
        dry_run: { commands: { removals: string[]; additions: string[] }; refused: Refusal[] };
      }>(target(), 'GET', `/v1/switches/${encodeURIComponent(name)}/dry-run`);
      process.stdout.write(describeRefused(d.refused));
      if (d.commands.removals.length + d.commands.additions.length === 0) {
        process.stdout.write(`${name}: ${d.refused.length > 0 ? 'nothing it can send' : 'in sync, nothing to send'}\n`);
        return;
      }
      process.stdout.write(`# removals (sent first, confirmed by read-back)\n${d.commands.removals.join('\n')}\n`);
      process.stdout.write(`# additions\n${d.commands.additions.join('\n')}\n`);
    });
  sw.command('resync')
    .description('ask the reconciler to resync a switch now')
    .argument('<name>')
    .action(async (name: string) => {
      await apiCall(target(), 'POST', `/v1/switches/${encodeURIComponent(name)}/resync`);
      process.stdout.write(`${name}: resync requested\n`);
    });
}
