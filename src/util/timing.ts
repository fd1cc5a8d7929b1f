// Opt-in phase timing, for bench/plan.ts: with STACKSCALE_TIMING=<file> in the environment, the process writes to that
// file at exit when each phase ended (ms since the process started, so the first mark includes Node's own start-up and
// module loading), per-host spans (connect, facts), and its CPU time (user + system) and peak RSS. Without the variable
// every call is a no-op. Only timings are written: no host data, no secrets.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const file = process.env.STACKSCALE_TIMING;
const marks: Record<string, number> = {};
const spans: Record<string, number[]> = {};

/** A phase ended now. */
export function mark(name: string): void {
  if (file) marks[name] = performance.now();
}

/** Time `fn`, adding its duration to the named list (one entry per host). */
export async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!file) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    (spans[name] ??= []).push(performance.now() - t0);
  }
}

if (file) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    const report = { marks: { ...marks, exit: performance.now() }, spans, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, maxRssKb: process.resourceUsage().maxRSS };
    try {
      writeFileSync(file, JSON.stringify(report));
    } catch {
      // A timing file that cannot be written must not change the command's outcome.
    }
  });
}
