/**
 * A switch in memory behind the SwitchDriver interface (an I/O boundary fake, docs/conventions.md, Tests):
 * it applies ops to its port table, records every batch, and can be told to reject a batch, to drop one
 * silently, to be unreachable, or have a port changed by hand (drift).
 */
import { SwitchRejected, SwitchUnreachable } from '../../src/domain/errors.ts';
import type { ObservedPort, ObservedPorts, SwitchOp } from '../../src/domain/switch-plan.ts';
import type { SwitchPortName, Vlan } from '../../src/domain/values.ts';
import type { SwitchDriver, SwitchIdentity } from '../../src/switch/driver.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class FakeSwitch implements SwitchDriver {
  private readonly ports = new Map<SwitchPortName, Mutable<ObservedPort>>();
  /** Every batch applied (rejected ones too), in order. */
  readonly batches: SwitchOp[][] = [];
  /** Each port's untagged VLAN after every change, starting with its first. */
  private readonly untaggedHistory = new Map<string, (number | null)[]>();
  /** The next `apply` calls are refused with these outputs, one each. */
  readonly rejections: string[] = [];
  /** While set, a batch it gives an output for is refused with that output (a switch refusing one VLAN). */
  refuses: ((ops: readonly SwitchOp[]) => string | null) | null = null;
  /** The next this many `apply` calls are acknowledged and change nothing (a switch dropping config silently). */
  dropsNext = 0;
  /** While set, every call fails with SwitchUnreachable. */
  isUnreachable = false;
  reads = 0;

  readonly name: string;

  constructor(name: string, ports: readonly string[], untagged: number | null) {
    this.name = name;
    for (const p of ports) this.setPort(p, { untagged: untagged as Vlan | null });
  }

  /** Sets a port as a person on the switch CLI would (drift), or creates it. */
  setPort(name: string, change: Partial<ObservedPort>): void {
    const port = name as SwitchPortName;
    const cur = this.ports.get(port) ?? {
      name: port,
      exists: true,
      untagged: null,
      tagged: [],
      isEnabled: true,
      lag: null,
      memberOf: null,
    };
    this.ports.set(port, { ...cur, ...change });
    this.noteUntagged(port);
  }

  port(name: string): ObservedPort | undefined {
    return this.ports.get(name as SwitchPortName);
  }

  /** The port's untagged VLAN after every change. */
  history(name: string): (number | null)[] {
    return this.untaggedHistory.get(name) ?? [];
  }

  async identities(): Promise<readonly SwitchIdentity[]> {
    return [];
  }

  async read(names: readonly SwitchPortName[]): Promise<ObservedPorts> {
    this.reachable();
    this.reads += 1;
    return new Map(
      names.map((n) => {
        const p = this.ports.get(n);
        const seen: ObservedPort = p
          ? { ...p, tagged: [...p.tagged] }
          : { name: n, exists: false, untagged: null, tagged: [], isEnabled: false, lag: null, memberOf: null };
        return [n, seen];
      }),
    );
  }

  async apply(ops: readonly SwitchOp[]): Promise<void> {
    this.reachable();
    this.batches.push([...ops]);
    const refusal = this.rejections.shift() ?? this.refuses?.(ops) ?? undefined;
    if (refusal !== undefined) throw new SwitchRejected(this.name, ops[0]?.kind ?? 'apply', refusal);
    if (this.dropsNext > 0) {
      this.dropsNext -= 1;
      return;
    }
    for (const op of ops) this.applyOne(op);
  }

  render(ops: readonly SwitchOp[]): readonly string[] {
    return ops.map((op) => JSON.stringify(op));
  }

  async close(): Promise<void> {}

  private reachable(): void {
    if (this.isUnreachable) throw new SwitchUnreachable(this.name, 'connection refused');
  }

  private applyOne(op: SwitchOp): void {
    switch (op.kind) {
      case 'set-access':
        this.setPort(op.port, { untagged: op.vlan, tagged: [] });
        break;
      case 'add-tagged':
        this.setPort(op.port, { tagged: [...(this.port(op.port)?.tagged ?? []), ...op.vlans] });
        break;
      case 'remove-tagged':
        this.setPort(op.port, { tagged: (this.port(op.port)?.tagged ?? []).filter((v) => !op.vlans.includes(v)) });
        break;
      case 'set-enabled':
        this.setPort(op.port, { isEnabled: op.isEnabled });
        break;
      case 'set-lag':
        for (const old of this.port(op.lag)?.lag?.members ?? []) this.setPort(old, { memberOf: null });
        this.setPort(op.lag, { exists: true, lag: { members: op.members, settings: op.settings } });
        for (const m of op.members) this.setPort(m, { memberOf: op.lag });
        break;
      case 'delete-lag':
        for (const m of this.port(op.lag)?.lag?.members ?? []) this.setPort(m, { memberOf: null });
        this.ports.delete(op.lag);
        break;
    }
  }

  private noteUntagged(port: SwitchPortName): void {
    const now = this.ports.get(port)?.untagged ?? null;
    const h = this.untaggedHistory.get(port) ?? [];
    if (h.length === 0 || h.at(-1) !== now) h.push(now);
    this.untaggedHistory.set(port, h);
  }
}
