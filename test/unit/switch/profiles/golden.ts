/** The op table every profile's golden test renders, and fixture reading (files start with a `##` header). */
import { readFileSync } from 'node:fs';
import type { SwitchOp } from '../../../../src/domain/switch-plan.ts';
import { parseSwitchPortName, parseVlan, type SwitchPortName } from '../../../../src/domain/values.ts';

export type GoldenCase =
  | 'set access VLAN'
  | 'back to default: quarantine VLAN'
  | 'back to default: disable'
  | 'add tagged VLANs'
  | 'remove tagged VLANs'
  | 'create LAG with members'
  | 'delete LAG'
  | 'disable port'
  | 'enable port';

export const QUARANTINE = parseVlan(4000);

/** The op of each golden case, on a vendor's port and LAG names. */
export function goldenOps(names: {
  port: string;
  lag: string;
  members: readonly [string, string];
}): Record<GoldenCase, SwitchOp> {
  const port = parseSwitchPortName(names.port);
  const lag = parseSwitchPortName(names.lag);
  const members: SwitchPortName[] = names.members.map(parseSwitchPortName);
  return {
    'set access VLAN': { kind: 'set-access', port, vlan: parseVlan(100) },
    'back to default: quarantine VLAN': { kind: 'set-access', port, vlan: QUARANTINE },
    'back to default: disable': { kind: 'set-enabled', port, isEnabled: false },
    'add tagged VLANs': { kind: 'add-tagged', port, vlans: [parseVlan(200), parseVlan(201)] },
    'remove tagged VLANs': { kind: 'remove-tagged', port, vlans: [parseVlan(201)] },
    'create LAG with members': {
      kind: 'set-lag',
      lag,
      members,
      settings: { mode: 'lacp', lacpRate: 'fast', minLinks: 1 },
    },
    'delete LAG': { kind: 'delete-lag', lag },
    'disable port': { kind: 'set-enabled', port, isEnabled: false },
    'enable port': { kind: 'set-enabled', port, isEnabled: true },
  };
}

/** A fixture's body: everything after the `##` header lines that name the document it follows. */
export function readFixture(path: string): string {
  const lines = readFileSync(path, 'utf8').split('\n');
  const body = lines.findIndex((l) => !l.startsWith('##'));
  return lines.slice(body < 0 ? lines.length : body).join('\n');
}

export const names = (...ns: string[]): SwitchPortName[] => ns.map(parseSwitchPortName);
