/**
 * Time for the stateful roles (the reconciler, the node service): the current time and one-shot timers.
 * Passed to their constructors so that tests drive time with a fake (docs/conventions.md, Tests).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** The wall clock and Node's timers (built by main.ts). */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
