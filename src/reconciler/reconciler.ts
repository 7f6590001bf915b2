/**
 * The reconciler (docs/architecture.md §3, §5): drives every switch toward the desired state computed from the bound
 * ports in the database, and records the outcome on the ports (ACTIVE, or binding_failed with why).
 * Per switch: changes coalesce within a batch window, runs are serialized, failures retry with
 * exponential back-off and jitter, and a periodic resync finds drift. A restart is a full resync.
 */
import type { Clock } from '../clock.ts';
import type { NetworkConfig, ReconcilerConfig, SwitchConfig } from '../config/schema.ts';
import {
  type BindingCandidate,
  type BindingDecision,
  decideBinding,
  desiredSwitchState,
  type SwitchFacts,
  type SwitchLink,
} from '../domain/binding.ts';
import { type CapablePlan, refuseUnsupported } from '../domain/capabilities.ts';
import { SwitchRejected, SwitchUnreachable } from '../domain/errors.ts';
import { chooseLagName, fallbackLagName } from '../domain/lag-name.ts';
import type { Port } from '../domain/model.ts';
import { decidePortOutcome, type PortOutcome, type RunFailure } from '../domain/port-outcome.ts';
import { unconfirmedRemovals } from '../domain/read-back.ts';
import {
  type DesiredPort,
  isInSync,
  type ObservedPorts,
  planSwitchChanges,
  type SwitchOp,
  type SwitchPlan,
  type UnboundDefault,
} from '../domain/switch-plan.ts';
import { parseSwitchPortName, parseVlan, type SwitchPortName } from '../domain/values.ts';
import type { Logger } from '../logging.ts';
import { isoSeconds, type Store } from '../store/store.ts';
import { type ManagedSwitch, type SwitchHealth, Worker } from './switch-worker.ts';

export type { ManagedSwitch, SwitchHealth } from './switch-worker.ts';

export interface ReconcilerOptions {
  readonly store: Store;
  readonly switches: readonly ManagedSwitch[];
  readonly physnets: NetworkConfig['physnets'];
  readonly config: ReconcilerConfig;
  readonly log: Logger;
  /** Time and timers: the batch window, back-off, periodic resync and the times recorded. */
  readonly clock: Clock;
  readonly random?: () => number;
  /**
   * Whether the DHCP service answers for this port (its reservation is loaded where the network has
   * DHCP). A port turns ACTIVE only when its switch ports are confirmed and this holds. Absent: no DHCP
   * role runs in this process, so nothing is waited for.
   */
  readonly isDhcpServing?: (port: Port) => boolean | Promise<boolean>;
}

/** Events the reconciler itself writes; they do not wake it again. */
const OWN_EVENTS = new Set(['port.status']);

/** How a refusal names the switch: `switch j1 (juniper-junos)`. */
function switchLabel(sw: SwitchConfig): string {
  const c = sw.connection;
  return `switch ${sw.name} (${c.driver === 'ovsdb' ? 'ovsdb' : c.profile})`;
}

/** The changes the switch can take, and the ports left unchanged because it cannot configure them. */
function planFor(
  sw: ManagedSwitch,
  mine: ReadonlyMap<SwitchPortName, DesiredPort>,
  observed: ObservedPorts,
): CapablePlan {
  return refuseUnsupported(
    planSwitchChanges(mine, observed, unboundOf(sw.config)),
    sw.capabilities,
    switchLabel(sw.config),
  );
}

function unboundOf(sw: SwitchConfig): UnboundDefault {
  return sw.unbound.kind === 'vlan' ? { kind: 'vlan', vlan: parseVlan(sw.unbound.vlan) } : { kind: 'shutdown' };
}

/** A dry run: the plan the reconciler would send now, its rendering, and the ports it would refuse. */
export interface DryRun {
  readonly plan: SwitchPlan;
  readonly removals: readonly string[];
  readonly additions: readonly string[];
  readonly refused: SwitchHealth['refused'];
}

function refusedList(refused: ReadonlyMap<SwitchPortName, string>): SwitchHealth['refused'] {
  return [...refused].map(([port, reason]) => ({ port, reason }));
}

function sameRefusals(before: SwitchHealth['refused'], now: ReadonlyMap<SwitchPortName, string>): boolean {
  return before.length === now.size && before.every((r) => now.get(r.port as SwitchPortName) === r.reason);
}

export class Reconciler {
  private readonly workers: Worker[];
  private lastEventId = 0;
  private isStopped = false;
  private cancelResync: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  /** The change-feed read in progress, if any. */
  private feedRead: Promise<void> | null = null;
  private readonly random: () => number;
  private readonly facts: readonly SwitchFacts[];

  private readonly o: ReconcilerOptions;

  constructor(o: ReconcilerOptions) {
    this.o = o;
    this.random = o.random ?? Math.random;
    this.facts = o.switches.map((s) => ({
      name: s.config.name,
      identities: s.config.identities,
      physnets: s.config.physnets,
      protectedPorts: s.config.protectedPorts,
      supportsLag: s.capabilities.lag,
    }));
    this.workers = o.switches.map(
      (sw) =>
        new Worker(
          sw,
          (w, reason) => this.reconcileSwitch(w, reason),
          (n) => this.backoffMs(n),
          () => this.isStopped,
          o.clock,
        ),
    );
  }

  /** Full resync of every switch, then follow the change feed and resync periodically. */
  async start(): Promise<void> {
    const latest = await this.o.store.eventsAfter(0, 1_000_000_000);
    this.lastEventId = latest.at(-1)?.id ?? 0;
    this.unsubscribe = this.o.store.onCommit(() => this.readFeed());
    for (const w of this.workers) w.poke('event', 0);
    this.scheduleResync();
  }

  private scheduleResync(): void {
    if (this.isStopped) return;
    this.cancelResync = this.o.clock.after(this.o.config.resyncSeconds * 1000, () => {
      for (const w of this.workers) w.poke('resync', 0);
      this.scheduleResync();
    });
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.unsubscribe?.();
    this.cancelResync?.();
    for (const w of this.workers) w.cancel();
    await this.idle();
    await Promise.all(this.o.switches.map((s) => s.driver.close()));
  }

  /**
   * Resolves when no change-feed read and no switch run is in progress (scheduled runs are not waited
   * for): a point where what the reconciler did so far is recorded.
   */
  async idle(): Promise<void> {
    for (;;) {
      const busy = this.feedRead;
      if (busy !== null) await busy;
      await Promise.all(this.workers.map((w) => w.idle()));
      if (this.feedRead === null && this.workers.every((w) => !w.isRunning)) return;
    }
  }

  health(): SwitchHealth[] {
    return this.workers.map((w) => ({
      ...w.health,
      queueDepth: (w.isDirty ? 1 : 0) + (w.isRunning ? 1 : 0),
      consecutiveFailures: w.failures,
    }));
  }

  /** Resync now (all switches, or one), e.g. from the API. */
  poke(switchName?: string): void {
    for (const w of this.workers) if (switchName === undefined || w.sw.config.name === switchName) w.poke('event', 0);
  }

  /** The plan the reconciler would run now for one switch, and the exact commands or transaction it sends. */
  async dryRun(switchName: string): Promise<DryRun | null> {
    const sw = this.o.switches.find((s) => s.config.name === switchName);
    if (!sw) return null;
    const { mine } = await this.desiredFor(sw, false);
    const observed = await sw.driver.read([...mine.keys()]);
    const { plan, refused } = planFor(sw, mine, observed);
    const render = (ops: readonly SwitchOp[]) => (ops.length === 0 ? [] : sw.driver.render(ops));
    return { plan, removals: render(plan.removals), additions: render(plan.additions), refused: refusedList(refused) };
  }

  private backoffMs(failures: number): number {
    const { retryInitialMs, retryMaxMs } = this.o.config;
    const base = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(failures - 1, 20));
    return Math.round(base * (0.5 + this.random() / 2)); // jitter: half to full
  }

  private readFeed(): void {
    if (this.feedRead !== null) return;
    this.feedRead = this.readFeedOnce().finally(() => {
      this.feedRead = null;
    });
  }

  private async readFeedOnce(): Promise<void> {
    try {
      for (;;) {
        const events = await this.o.store.eventsAfter(this.lastEventId, 1000);
        if (events.length === 0) break;
        this.lastEventId = events.at(-1)?.id ?? this.lastEventId;
        if (events.some((e) => !OWN_EVENTS.has(e.kind))) for (const w of this.workers) w.poke('event');
      }
    } catch (err) {
      this.o.log.error({ err }, 'change feed read failed');
    }
  }

  private async desiredFor(sw: ManagedSwitch, mayAllocate: boolean) {
    const store = this.o.store;
    const rows = await store.bindablePorts();
    const decisions = new Map<string, BindingDecision>();
    for (const { port, segment } of rows) {
      decisions.set(
        port.id,
        decideBinding(
          {
            portId: port.id,
            hostId: port.hostId,
            vnicType: port.vnicType,
            profile: port.profile,
            segment: {
              networkType: segment.networkType,
              physnet: segment.physicalNetwork,
              vlan: segment.segmentationId,
            },
            flatVlan: this.o.physnets.get(segment.physicalNetwork)?.flatVlan ?? null,
          },
          this.facts,
        ),
      );
    }
    const lagNames = new Map((await store.lagNames()).map((l) => [`${l.switchName}\u0000${l.groupKey}`, l.lagName]));
    if (mayAllocate) {
      for (const d of decisions.values()) {
        if (d.kind !== 'bind' || !d.group) continue;
        const swName = d.links[0]?.switchName ?? '';
        const key = `${swName}\u0000${d.group.key}`;
        if (lagNames.has(key)) continue;
        const cfg = this.o.switches.find((s) => s.config.name === swName)?.config;
        if (!cfg) continue;
        const used = new Set([...lagNames].filter(([k]) => k.startsWith(`${swName}\u0000`)).map(([, v]) => v));
        const name = chooseLagName(cfg.lagNameTemplate, used);
        await store.addLagName(swName, d.group.key, name);
        lagNames.set(key, name);
      }
    }
    const candidates: BindingCandidate[] = rows.map(({ port }) => ({
      portId: port.id,
      decision: decisions.get(port.id) ?? { kind: 'not-managed' },
      isHolding: port.vifType === 'other',
      createdAt: port.createdAt,
    }));
    const known: SwitchLink[] = (await store.switchPorts()).map((r) => ({
      switchName: r.switchName,
      port: r.port as SwitchPortName,
    }));
    const desired = desiredSwitchState(candidates, known, (swName, key) =>
      parseSwitchPortName(lagNames.get(`${swName}\u0000${key}`) ?? fallbackLagName(key)),
    );
    const mine = desired.switches.get(sw.config.name) ?? new Map<SwitchPortName, DesiredPort>();
    return { rows, decisions, desired, mine };
  }

  private async reconcileSwitch(w: Worker, reason: 'event' | 'resync'): Promise<void> {
    const sw = w.sw;
    const log = this.o.log.child({ switch: sw.config.name });
    const unbound = unboundOf(sw.config);
    const { rows, decisions, desired, mine } = await this.desiredFor(sw, true);
    const names = [...mine.keys()];
    let observed: ObservedPorts = new Map();
    let refused: ReadonlyMap<SwitchPortName, string> = new Map();
    let failure: Error | null = null;
    try {
      observed = await sw.driver.read(names);
      w.health = { ...w.health, isReachable: true };
      const capable = planFor(sw, mine, observed);
      const plan = capable.plan;
      refused = capable.refused;
      if (refused.size > 0 && !sameRefusals(w.health.refused, refused))
        log.warn({ refused: Object.fromEntries(refused) }, 'switch cannot configure ports; left unchanged');
      w.health = { ...w.health, refused: refusedList(refused) };
      const changes = plan.removals.length + plan.additions.length;
      if (changes > 0 && reason === 'resync' && sw.config.drift === 'report') {
        const drift = names.filter(
          (n) => !refused.has(n) && !isInSync(mine.get(n) ?? { kind: 'default' }, observed.get(n), unbound),
        );
        w.health = { ...w.health, drift };
        log.warn({ ports: drift }, 'switch drift found (drift: report, not repaired)');
      } else if (changes > 0) {
        if (plan.removals.length > 0) {
          await sw.driver.apply(plan.removals);
          observed = await sw.driver.read(names);
          // invariant 2: the old VLANs are gone (confirmed by the switch) before anything new is added
          const unconfirmed = unconfirmedRemovals(plan.removals, mine, observed, unbound);
          if (unconfirmed.length > 0) {
            throw new SwitchRejected(
              sw.config.name,
              'read back after removals',
              `still carrying old VLANs: ${unconfirmed.join(', ')}`,
            );
          }
        }
        if (plan.additions.length > 0) {
          await sw.driver.apply(plan.additions);
          observed = await sw.driver.read(names);
        }
        log.info({ removals: plan.removals.length, additions: plan.additions.length, reason }, 'switch reconciled');
        if (reason === 'event') w.health = { ...w.health, drift: [] };
      } else {
        w.health = { ...w.health, drift: [] };
      }
      w.health = { ...w.health, lastSyncAt: new Date(this.o.clock.now()).toISOString(), lastError: null };
    } catch (err) {
      failure = err as Error;
      if (err instanceof SwitchUnreachable) w.health = { ...w.health, isReachable: false };
      log.warn({ err: failure.message }, 'switch reconcile failed');
    }

    // whether the DHCP service answers for each port (read before the transaction: it may query the store)
    const dhcpReady = new Map<string, boolean>();
    if (this.o.isDhcpServing) {
      for (const { port } of rows) {
        const d = decisions.get(port.id);
        if (d && d.kind !== 'not-managed' && d.kind !== 'fail')
          dhcpReady.set(port.id, await this.o.isDhcpServing(port));
      }
    }
    // record observed state and port outcomes, whatever happened
    const inSync = new Map<string, boolean>();
    await this.o.store.transaction(async (tx) => {
      if (failure === null || observed.size > 0) {
        for (const [name, d] of mine) {
          const o = observed.get(name);
          const ok = failure === null && isInSync(d, o, unbound);
          inSync.set(name, ok);
          if (ok && d.kind === 'default' && !o?.exists) {
            // a LAG that is gone, or a port no longer on the switch: nothing left to manage
            await tx.deleteSwitchPort(sw.config.name, name);
            continue;
          }
          await tx.putSwitchPort({
            switchName: sw.config.name,
            port: name,
            desired: d,
            observed: o ?? null,
            isInSync: ok,
          });
        }
      }
      const stored = new Map((await tx.switchPorts()).map((r) => [`${r.switchName}\u0000${r.port}`, r.isInSync]));
      const synced = (l: SwitchLink) =>
        l.switchName === sw.config.name
          ? (inSync.get(l.port) ?? false)
          : (stored.get(`${l.switchName}\u0000${l.port}`) ?? false);
      const runFailure: RunFailure =
        failure === null
          ? { kind: 'none' }
          : { kind: failure instanceof SwitchRejected ? 'rejected' : 'other', message: failure.message };
      for (const { port } of rows) {
        const d = decisions.get(port.id);
        if (!d || d.kind === 'not-managed') continue;
        const placements = desired.placements.get(port.id) ?? [];
        const outcome = decidePortOutcome({
          failedReason: desired.failed.get(port.id),
          refusedReason: placements
            .map((l) => (l.switchName === sw.config.name ? refused.get(l.port) : undefined))
            .find((r) => r !== undefined),
          isUnmanaged: d.kind === 'unmanaged',
          isEveryPlacementInSync: placements.every(synced),
          touchesThisSwitch: placements.some((l) => l.switchName === sw.config.name),
          isDhcpServing: dhcpReady.get(port.id),
          currentVifType: port.vifType,
          failure: runFailure,
        });
        if (outcome) await this.recordOutcome(tx, port, outcome);
      }
    });
    if (failure) throw failure;
  }

  private async recordOutcome(
    tx: Parameters<Parameters<Store['transaction']>[0]>[0],
    seen: Port,
    outcome: PortOutcome,
  ): Promise<void> {
    const cur = await tx.getPort(seen.id);
    if (!cur) return;
    // a port changed by the API since we read it is reconciled again by the event that change wrote
    if (cur.revisionNumber !== seen.revisionNumber) return;
    if (
      cur.vifType === outcome.vifType &&
      cur.status === outcome.status &&
      JSON.stringify(cur.vifDetails) === JSON.stringify(outcome.details)
    )
      return;
    await tx.updatePort({
      ...cur,
      vifType: outcome.vifType,
      status: outcome.status,
      vifDetails: outcome.details,
      revisionNumber: cur.revisionNumber + 1,
      updatedAt: isoSeconds(this.o.clock.now()),
    });
    await tx.addEvent('port.status', cur.id, { status: outcome.status, vifType: outcome.vifType });
  }
}
