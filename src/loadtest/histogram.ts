// Latency histograms: Node's own HDR histogram (perf_hooks.createHistogram, HdrHistogram underneath), recorded in
// microseconds with 3 significant figures, so p99 of a long tail is as exact as the median. The mean is kept exactly
// beside it (the histogram's mean is of bucketed values).
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { LatencySummary } from './types.js';

/** The longest latency recorded as itself: an hour. Longer ones are clamped to it. */
const HIGHEST_US = 3_600_000_000;

export class LatencyHistogram {
  private readonly h: RecordableHistogram = createHistogram({ lowest: 1, highest: HIGHEST_US, figures: 3 });
  private sumMs = 0;
  private n = 0;

  record(ms: number): void {
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000)));
    this.h.record(us);
    this.sumMs += ms;
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  summary(): LatencySummary | null {
    if (this.n === 0) return null;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      avg: Math.round((this.sumMs / this.n) * 1000) / 1000,
      p50: ms(this.h.percentile(50)),
      p95: ms(this.h.percentile(95)),
      p99: ms(this.h.percentile(99)),
      max: ms(this.h.max),
    };
  }

  reset(): void {
    this.h.reset();
    this.sumMs = 0;
    this.n = 0;
  }
}
