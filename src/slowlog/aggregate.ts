// Entries grouped by fingerprint, in bounded memory: a group keeps sums, extremes, a log-scale histogram of its query
// times (for the 95th percentile) and one example, never the list of its executions, so a log of any size digests
// in memory proportional to the number of distinct statement shapes.
import { fingerprint, fingerprintId, verbOf } from './fingerprint.js';
import type { SlowEntry } from './parse.js';

/**
 * Histogram buckets: bucket i holds times in [MIN * BASE^(i-1), MIN * BASE^i). Base 1.05 from 1 us puts any
 * percentile within 5% of the true value (pt-query-digest's EventAggregator uses the same scheme).
 */
const BASE = 1.05;
const MIN = 0.000001;
const BUCKETS = 1000;
const LOG_BASE = Math.log(BASE);

export interface Group {
  id: string;
  fingerprint: string;
  verb: string;
  count: number;
  totalTime: number;
  maxTime: number;
  minTime: number;
  lockTime: number;
  rowsSent: number;
  rowsExamined: number;
  firstSeen?: number;
  lastSeen?: number;
  hosts: Set<string>;
  dbs: Set<string>;
  /** The slowest execution: its text, database, host and time. */
  example: { sql: string; db?: string; host: string; queryTime: number; time?: number; rowsExamined: number; rowsSent: number };
  histogram: Uint32Array;
}

export class Digest {
  readonly groups = new Map<string, Group>();
  entries = 0;
  totalTime = 0;
  /** Entries before --since, not counted. */
  skipped = 0;
  firstSeen?: number;
  lastSeen?: number;
  /** Fingerprints by raw statement: a busy log repeats the same text often, and fingerprinting is the costly part. */
  private readonly cache = new Map<string, string>();

  /** Statements slower than `budget` (seconds), when one is given: the profile's per-query share. */
  overBudget = 0;

  constructor(private readonly since?: number, private readonly budget?: number) {}

  add(e: SlowEntry, host: string): void {
    if (this.since !== undefined && e.time !== undefined && e.time < this.since) {
      this.skipped++;
      return;
    }
    let fp = this.cache.get(e.sql);
    if (fp === undefined) {
      fp = fingerprint(e.sql);
      if (this.cache.size > 5_000) this.cache.clear();
      this.cache.set(e.sql, fp);
    }
    let g = this.groups.get(fp);
    if (!g) {
      g = {
        id: fingerprintId(fp), fingerprint: fp, verb: verbOf(e.sql), count: 0, totalTime: 0, maxTime: -1, minTime: Infinity,
        lockTime: 0, rowsSent: 0, rowsExamined: 0, hosts: new Set(), dbs: new Set(),
        example: { sql: e.sql, db: e.db, host, queryTime: e.queryTime, time: e.time, rowsExamined: e.rowsExamined, rowsSent: e.rowsSent },
        histogram: new Uint32Array(BUCKETS),
      };
      this.groups.set(fp, g);
    }
    g.count++;
    g.totalTime += e.queryTime;
    g.lockTime += e.lockTime;
    g.rowsSent += e.rowsSent;
    g.rowsExamined += e.rowsExamined;
    if (e.queryTime > g.maxTime) {
      g.maxTime = e.queryTime;
      g.example = { sql: e.sql, db: e.db, host, queryTime: e.queryTime, time: e.time, rowsExamined: e.rowsExamined, rowsSent: e.rowsSent };
    }
    if (e.queryTime < g.minTime) g.minTime = e.queryTime;
    g.hosts.add(host);
    if (e.db) g.dbs.add(e.db);
    g.histogram[bucketOf(e.queryTime)]++;
    if (e.time !== undefined) {
      if (g.firstSeen === undefined || e.time < g.firstSeen) g.firstSeen = e.time;
      if (g.lastSeen === undefined || e.time > g.lastSeen) g.lastSeen = e.time;
      if (this.firstSeen === undefined || e.time < this.firstSeen) this.firstSeen = e.time;
      if (this.lastSeen === undefined || e.time > this.lastSeen) this.lastSeen = e.time;
    }
    this.entries++;
    this.totalTime += e.queryTime;
    if (this.budget !== undefined && e.queryTime > this.budget) this.overBudget++;
  }

  /** Groups by total time, slowest first. */
  sorted(): Group[] {
    return [...this.groups.values()].sort((a, b) => b.totalTime - a.totalTime || b.count - a.count || a.fingerprint.localeCompare(b.fingerprint));
  }
}

function bucketOf(t: number): number {
  if (t < MIN) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(t / MIN) / LOG_BASE) + 1);
}

/** The upper edge of the bucket holding the p-th percentile, capped at the group's maximum. */
export function percentile(g: Pick<Group, 'histogram' | 'count' | 'maxTime'>, p: number): number {
  const want = Math.ceil(g.count * p);
  let seen = 0;
  for (let i = 0; i < g.histogram.length; i++) {
    seen += g.histogram[i];
    if (seen >= want && seen > 0) return Math.min(g.maxTime, i === 0 ? MIN : MIN * BASE ** i);
  }
  return g.maxTime;
}
