// pt-query-digest (Percona Toolkit, Debian package percona-toolkit) as the reference the slowlog digest is compared
// with. The comparison: the same set of fingerprints; per fingerprint the same count, and the same total query time
// to the microsecond per statement (pt prints six decimals). Example texts, percentiles and formatting are not
// compared: pt computes percentiles from its own buckets.
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { Digest } from '../../src/slowlog/aggregate.js';
import { parseSlowLog } from '../../src/slowlog/parse.js';

export interface Class {
  count: number;
  total: number;
}

/** pt-query-digest's classes of a log file. */
export function ptDigest(file: string): Map<string, Class> {
  const out = execFileSync('pt-query-digest', ['--output', 'json', '--limit', '100%:100000', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return classesOf(out);
}

function classesOf(out: string): Map<string, Class> {
  const json = out.slice(out.indexOf('{'));
  const doc = JSON.parse(json) as { classes?: { fingerprint: string; query_count: number; metrics: { Query_time: { sum: string } } }[] };
  return new Map((doc.classes ?? []).map((c) => [c.fingerprint, { count: c.query_count, total: Number(c.metrics.Query_time.sum) }]));
}

export function ourDigest(text: string): Map<string, Class> {
  const d = new Digest();
  for (const e of parseSlowLog(text)) d.add(e, 'h');
  return new Map([...d.groups.values()].map((g) => [g.fingerprint, { count: g.count, total: g.totalTime }]));
}

/** Same fingerprints, same counts, totals within 1 us per statement (pt's rounding of its printed sum). */
export function expectSameDigest(ours: Map<string, Class>, pt: Map<string, Class>): void {
  expect([...ours.keys()].sort()).toEqual([...pt.keys()].sort());
  for (const [fp, p] of pt) {
    const o = ours.get(fp) as Class;
    expect({ fp, count: o.count }).toEqual({ fp, count: p.count });
    expect(Math.abs(o.total - p.total), `${fp}: total ${o.total} vs pt ${p.total}`).toBeLessThanOrEqual(0.000001 * Math.max(1, p.count));
  }
}
