/**
 * One switch's run loop for the reconciler: changes coalesce within the batch window, runs are serialized,
 * a failed run is retried with back-off, and the switch's health is kept here.
 */
import type { Clock } from '../clock.ts';
import type { SwitchConfig } from '../config/schema.ts';
import type { SwitchCapabilities } from '../domain/capabilities.ts';
import type { SwitchDriver } from '../switch/driver.ts';

export interface ManagedSwitch {
  readonly config: SwitchConfig;
  readonly driver: SwitchDriver;
  /** What the driver can configure; a plan's ops it cannot take are refused, never sent. */
  readonly capabilities: SwitchCapabilities;
}

export interface SwitchHealth {
  readonly name: string;
  readonly driver: string;
  readonly isReachable: boolean | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly lastSyncAt: string | null;
  readonly queueDepth: number;
  readonly consecutiveFailures: number;
  /** Set when a resync found a difference and drift handling is `report`. */
  readonly drift: readonly string[];
  /** Switch ports the last run left unchanged because the driver cannot configure what they need. */
  readonly refused: readonly { readonly port: string; readonly reason: string }[];
}

export class Worker {
  isDirty = false;
  isEventPending = false;
  isRunning = false;
  /** Cancels the scheduled run; null when none is scheduled. */
  cancelTimer: (() => void) | null = null;
  /** The run in progress, if any. */
  private current: Promise<void> | null = null;
  failures = 0;
  health: Omit<SwitchHealth, 'queueDepth' | 'consecutiveFailures'>;

  readonly sw: ManagedSwitch;
  private readonly runOnce: (w: Worker, reason: 'event' | 'resync') => Promise<void>;
  private readonly backoffMs: (failures: number) => number;
  private readonly isStopped: () => boolean;
  private readonly clock: Clock;

  constructor(
    sw: ManagedSwitch,
    runOnce: (w: Worker, reason: 'event' | 'resync') => Promise<void>,
    backoffMs: (failures: number) => number,
    isStopped: () => boolean,
    clock: Clock,
  ) {
    this.sw = sw;
    this.runOnce = runOnce;
    this.backoffMs = backoffMs;
    this.isStopped = isStopped;
    this.clock = clock;
    this.health = {
      name: sw.config.name,
      driver: sw.config.connection.driver,
      isReachable: null,
      lastError: null,
      lastErrorAt: null,
      lastSyncAt: null,
      drift: [],
      refused: [],
    };
  }

  poke(reason: 'event' | 'resync', delayMs = this.sw.config.batchWindowMs): void {
    this.isDirty = true;
    if (reason === 'event') this.isEventPending = true;
    this.schedule(delayMs);
  }

  private schedule(ms: number): void {
    if (this.cancelTimer !== null || this.isRunning || this.isStopped()) return;
    this.cancelTimer = this.clock.after(ms, () => {
      this.cancelTimer = null;
      const run = this.run().finally(() => {
        if (this.current === run) this.current = null;
      });
      this.current = run;
    });
  }

  private async run(): Promise<void> {
    this.isRunning = true;
    const reason = this.isEventPending ? 'event' : 'resync';
    this.isEventPending = false;
    this.isDirty = false;
    let retryMs: number | null = null;
    try {
      await this.runOnce(this, reason);
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      retryMs = this.backoffMs(this.failures);
      this.isEventPending = true; // what was asked is still to do
      this.isDirty = true;
      this.health = {
        ...this.health,
        lastError: (err as Error).message,
        lastErrorAt: new Date(this.clock.now()).toISOString(),
      };
    } finally {
      this.isRunning = false;
    }
    if (this.isDirty) this.schedule(retryMs ?? this.sw.config.batchWindowMs);
  }

  /** Cancels the scheduled run, if any. */
  cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Resolves when the run in progress, if any, has ended (a scheduled one is not waited for). */
  async idle(): Promise<void> {
    while (this.current !== null) await this.current;
  }
}
