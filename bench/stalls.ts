/**
 * What holds a benchmark server's event loop, second by second: GC pauses (by kind), the event loop's
 * delay, and SQLite statements that ran longer than 1 ms (better-sqlite3 runs them on the loop); a
 * pause of 3 ms or more also gets a line of its own with its wall-clock time. For matching a latency
 * tail to its cause; costs a timer and a clock read per statement.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
const SLOW_SQL_MS = 1;
/** A single pause at least this long is also reported on its own line, with its wall-clock time. */
const REPORT_PAUSE_MS = 3;
/** Wall-clock milliseconds of a `performance.now()` reading. */
const wallMs = (at: number) => (performance.timeOrigin + at).toFixed(0);

interface Tally {
  count: number;
  totalMs: number;
  maxMs: number;
}
const tally = (): Tally => ({ count: 0, totalMs: 0, maxMs: 0 });
/** Adds `ms` to the tally of `key`. */
const addTo = (tallies: Map<string, Tally>, key: string, ms: number) => {
  let t = tallies.get(key);
  if (!t) {
    t = tally();
    tallies.set(key, t);
  }
  t.count += 1;
  t.totalMs += ms;
  if (ms > t.maxMs) t.maxMs = ms;
};
const show = (name: string, t: Tally) =>
  t.count === 0 ? '' : ` ${name}=${t.count}/${t.totalMs.toFixed(1)}/${t.maxMs.toFixed(1)}`;

/** Starts reporting one line per second through `write`; every better-sqlite3 statement is timed from now on. */
export function watchStalls(write: (line: string) => void): { stop(): void } {
  let gc = new Map<string, Tally>();
  let sql = new Map<string, Tally>();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as { detail?: { kind?: number } }).detail;
      const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other';
      addTo(gc, kind, e.duration);
      if (e.duration >= REPORT_PAUSE_MS)
        write(`pause at_ms=${wallMs(e.startTime)} gc:${kind} ms=${e.duration.toFixed(1)}`);
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  // every Statement shares one prototype: time its run/all/get/iterate
  const probe = new SQLite(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  for (const name of ['run', 'all', 'get']) {
    const original = proto[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    proto[name] = function timed(this: { source: string }, ...args: unknown[]) {
      const start = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = performance.now() - start;
        if (ms >= SLOW_SQL_MS) {
          const what = this.source.slice(0, 24).replace(/\s+/g, '_');
          addTo(sql, what, ms);
          if (ms >= REPORT_PAUSE_MS) write(`pause at_ms=${wallMs(start)} sql:${what} ms=${ms.toFixed(1)}`);
        }
      }
    };
  }

  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  const timer = setInterval(() => {
    const p99 = loop.percentile(99) / 1e6;
    const max = loop.max / 1e6;
    let line = `stalls t=${((performance.now() - started) / 1000).toFixed(0)}s at_ms=${wallMs(performance.now())} loop_p99=${p99.toFixed(1)} loop_max=${max.toFixed(1)}`;
    for (const [k, t] of gc) line += show(`gc:${k}`, t);
    for (const [k, t] of sql) line += show(`sql:${k}`, t);
    write(line);
    loop.reset();
    gc = new Map();
    sql = new Map();
  }, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      loop.disable();
      observer.disconnect();
      for (const [name, original] of originals) proto[name] = original;
    },
  };
}
