/** A clock the test moves by hand (an I/O boundary fake, docs/conventions.md, Tests): timers fire only in `advance`. */
import type { Clock } from '../../src/clock.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  isCancelled: boolean;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.parse('2026-12-07T10:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, isCancelled: false };
    this.timers.push(timer);
    return () => {
      timer.isCancelled = true;
    };
  }

  /** Milliseconds until the next timer fires, or null when none is set. */
  nextIn(): number | null {
    const next = this.pending()[0];
    return next === undefined ? null : next.at - this.t;
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingCount(): number {
    return this.pending().length;
  }

  /** Moves time forward by `ms`, firing each timer due on the way at its own time, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.pending()[0];
      if (next === undefined || next.at > end) break;
      this.t = next.at;
      next.isCancelled = true;
      next.fn();
    }
    this.t = end;
  }

  private pending(): Timer[] {
    this.timers = this.timers.filter((t) => !t.isCancelled);
    return [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}
