/**
 * The `ovsdb` switch driver (docs/architecture.md §4): one Open vSwitch bridge driven over RFC 7047. Every `apply` reads the
 * bridge (one `select` transaction), has plan.ts turn the whole batch into ONE transaction against what it read, and
 * sends it; the transaction's guard `wait` operations make it fail instead of acting on state that changed meanwhile,
 * and the driver then plans again on fresh state.
 *
 * How a Port's VLAN columns read is decided once, in src/switch/ovs-port.ts (shared with the SSH `ovs`
 * profile); what the driver refuses is decided in plan.ts.
 * - A bond is a Port with several Interfaces; `bond_mode`, `lacp`, `other_config:lacp-time` configure it.
 *   OVS has no minimum-links setting.
 * - `Interface.admin_state` is read-only (ovs-vswitchd reports it); taking a port down is OpenFlow's port-mod,
 *   not OVSDB. So `set-enabled` is refused: OVS switches isolate unbound ports with a quarantine VLAN.
 */
import { SwitchRejected, SwitchUnreachable } from '../../domain/errors.ts';
import type { ObservedPorts, SwitchOp } from '../../domain/switch-plan.ts';
import type { SwitchPortName } from '../../domain/values.ts';
import type { Logger } from '../../logging.ts';
import type { SwitchDriver, SwitchIdentity } from '../driver.ts';
import { type BridgeSnapshot, datapathIdentities, observePorts } from '../ovs-port.ts';
import type { OvsdbClient } from './client.ts';
import { isGuardConflict, planTransaction, summarizeOps } from './plan.ts';
import {
  decodeOptionalInteger,
  decodeOptionalString,
  select,
  selectedRows,
  type TransactOp,
  type TransactOutcome,
  transactParams,
  waitUntilAnyRow,
} from './protocol.ts';
import { decodeSnapshot, snapshotOps } from './snapshot.ts';

const DATABASE = 'Open_vSwitch';

/** How often `apply` plans a batch again when the switch changed between its read and its transaction. */
const MAX_ATTEMPTS = 3;

export interface OvsdbDriverOptions {
  /** The switch's name in the inventory (errors, logs). */
  readonly switchName: string;
  readonly bridge: string;
}

/** A SwitchDriver for one bridge of one ovsdb-server, over `client` (whose connection opens on first use). */
export class OvsdbDriver implements SwitchDriver {
  private readonly log: Logger;
  private lastSnapshot: BridgeSnapshot | null = null;
  /** Below the client's request timeout, so the server's answer arrives before the client gives up. */
  private readonly vswitchdTimeoutMs: number;

  private readonly client: OvsdbClient;
  private readonly options: OvsdbDriverOptions;

  constructor(client: OvsdbClient, options: OvsdbDriverOptions, log: Logger) {
    this.client = client;
    this.options = options;
    this.log = log.child({ switch: options.switchName, bridge: options.bridge });
    this.vswitchdTimeoutMs = Math.floor(client.requestTimeoutMs / 2);
  }

  async identities(): Promise<readonly SwitchIdentity[]> {
    const { bridge } = this.options;
    const { snapshot, extraResults } = await this.readBridge([
      select('Interface', [['name', '==', bridge]], ['mac_in_use']),
    ]);
    // the bridge's internal port (named like the bridge) has the bridge's MAC
    const mac = decodeOptionalString(selectedRows(extraResults[0])[0]?.mac_in_use);
    return [
      ...(snapshot.datapathId === null ? [] : datapathIdentities(snapshot.datapathId)),
      ...(mac === null ? [] : [{ kind: 'mac' as const, value: mac.toLowerCase() }]),
    ];
  }

  async read(names: readonly SwitchPortName[]): Promise<ObservedPorts> {
    return observePorts((await this.readBridge([])).snapshot, names);
  }

  async apply(ops: readonly SwitchOp[]): Promise<void> {
    if (ops.length === 0) return;
    const { switchName } = this.options;
    let attempt = 1;
    let transaction = planTransaction({ switchName, snapshot: (await this.readBridge([])).snapshot, ops });
    let outcome = await this.client.transact(DATABASE, transaction);
    // a guard `wait` failed: someone changed what the plan was based on; plan again on fresh state
    while (!outcome.ok && isGuardConflict(outcome, transaction) && attempt < MAX_ATTEMPTS) {
      attempt += 1;
      this.log.info({ attempt }, 'switch changed during the batch, planning again');
      transaction = planTransaction({ switchName, snapshot: (await this.readBridge([])).snapshot, ops });
      outcome = await this.client.transact(DATABASE, transaction);
    }
    if (!outcome.ok) throw this.rejected(summarizeOps(ops), outcome, transaction);
    const nextCfg = decodeOptionalInteger(selectedRows(outcome.results.at(-1))[0]?.next_cfg);
    if (nextCfg !== null) await this.awaitVswitchd(nextCfg);
    this.log.info({ ops: ops.length, nextCfg }, 'switch batch applied');
  }

  render(ops: readonly SwitchOp[]): readonly string[] {
    const { switchName } = this.options;
    if (this.lastSnapshot === null) throw new Error(`render needs the state of ${switchName}: call read() first`);
    const transaction = planTransaction({ switchName, snapshot: this.lastSnapshot, ops });
    return [JSON.stringify(transactParams(DATABASE, transaction))];
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private rejected(
    command: string,
    outcome: Extract<TransactOutcome, { ok: false }>,
    ops: readonly TransactOp[],
  ): SwitchRejected {
    const failedOp = outcome.error.opIndex === null ? undefined : ops[outcome.error.opIndex];
    return new SwitchRejected(
      this.options.switchName,
      command,
      JSON.stringify({ ...outcome.error, op: failedOp ?? null }),
    );
  }

  /** One transaction: the bridge snapshot, then `extra` operations whose results come back beside it. */
  private async readBridge(extra: readonly TransactOp[]) {
    const { switchName, bridge } = this.options;
    const ops = [...snapshotOps(bridge), ...extra];
    const outcome = await this.client.transact(DATABASE, ops);
    if (!outcome.ok) throw this.rejected(`read bridge ${bridge}`, outcome, ops);
    const snapshot = decodeSnapshot(bridge, outcome.results);
    if (snapshot === null) throw new SwitchRejected(switchName, `read bridge ${bridge}`, `no bridge named ${bridge}`);
    this.lastSnapshot = snapshot;
    return { snapshot, extraResults: outcome.results.slice(ops.length - extra.length) };
  }

  /**
   * Resolves once ovs-vswitchd reports configuration `nextCfg` applied (Open_vSwitch `cur_cfg`), so the change
   * is in the forwarding plane and not only in the database.
   */
  private async awaitVswitchd(nextCfg: number): Promise<void> {
    const { vswitchdTimeoutMs } = this;
    const ops = [waitUntilAnyRow('Open_vSwitch', [['cur_cfg', '>=', nextCfg]], vswitchdTimeoutMs)];
    const outcome = await this.client.transact(DATABASE, ops);
    if (outcome.ok) return;
    if (outcome.error.error === 'timed out') {
      throw new SwitchUnreachable(
        this.options.switchName,
        `ovs-vswitchd has not applied configuration ${nextCfg} within ${vswitchdTimeoutMs} ms (the change is stored)`,
      );
    }
    throw this.rejected(`wait for ovs-vswitchd configuration ${nextCfg}`, outcome, ops);
  }
}
