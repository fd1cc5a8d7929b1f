// The digest as a document (`--json`, schema `stackscale.slowlog/1`, docs/schemas/slowlog.schema.json): the worst
// statement shapes by total time, what their EXPLAIN says, and how the log compares with what the profile assumed.
import { type Digest, type Group, percentile } from './aggregate.js';
import { maskLiterals } from './fingerprint.js';
import type { IndexSuggestion } from './explain.js';

export interface ExplainResult {
  host: string;
  database?: string;
  /** Why it was not explained (a write, no database, the server's error). */
  skipped?: string;
  rows?: { table: string; type: string; possibleKeys: string | null; key: string | null; rows: number | null; extra: string }[];
  findings?: string[];
  suggestion?: IndexSuggestion & { rule: string };
}

export interface StatementReport {
  rank: number;
  id: string;
  fingerprint: string;
  verb: string;
  count: number;
  /** Share of the database time in the log (0-1). */
  share: number;
  totalTime: number;
  avgTime: number;
  p95Time: number;
  maxTime: number;
  lockTime: number;
  rowsExamined: number;
  rowsSent: number;
  /** Rows examined per row sent: high values flag a missing index. null when nothing was sent. */
  examinedPerSent: number | null;
  firstSeen: string | null;
  lastSeen: string | null;
  hosts: string[];
  databases: string[];
  example: { sql: string; masked: boolean; database: string | null; host: string; queryTime: number };
  explain?: ExplainResult;
}

export interface SourceReport {
  host: string;
  files: { path: string; bytes: number }[];
  entries: number;
}

export interface ProfileCheck {
  profile: string;
  queriesPerRequest: number;
  responseTargetMs: number;
  /** The per-query share of the response target, ms: what long_query_time is derived from. */
  perQueryBudgetMs: number;
  longQueryTime: number | null;
  /** Statements in the log slower than the per-query share. */
  overBudget: number;
  findings: string[];
}

export interface SlowlogReport {
  schema: 'stackscale.slowlog/1';
  time: string;
  /** False when a host was not reached (exitCode 4): the digest then covers the hosts that were. */
  ok: boolean;
  exitCode: number;
  since: string | null;
  summary: { entries: number; fingerprints: number; totalTime: number; firstSeen: string | null; lastSeen: string | null; skippedBeforeSince: number };
  sources: SourceReport[];
  profile?: ProfileCheck;
  statements: StatementReport[];
  notes: string[];
}

export const INDEX_RULE =
  'equality columns of the WHERE clause (=, IN, IS NULL) in the order written, then one range column (<, >, BETWEEN), else the ORDER BY columns';

const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t * 1000).toISOString());
const round = (x: number, digits = 6): number => Number(x.toFixed(digits));

export function statementReport(g: Group, rank: number, total: number, maskExample: boolean): StatementReport {
  return {
    rank,
    id: g.id,
    fingerprint: g.fingerprint,
    verb: g.verb,
    count: g.count,
    share: total > 0 ? round(g.totalTime / total, 4) : 0,
    totalTime: round(g.totalTime),
    avgTime: round(g.totalTime / g.count),
    p95Time: round(percentile(g, 0.95)),
    maxTime: round(g.maxTime),
    lockTime: round(g.lockTime),
    rowsExamined: g.rowsExamined,
    rowsSent: g.rowsSent,
    examinedPerSent: g.rowsSent > 0 ? round(g.rowsExamined / g.rowsSent, 1) : null,
    firstSeen: iso(g.firstSeen),
    lastSeen: iso(g.lastSeen),
    hosts: [...g.hosts].sort(),
    databases: [...g.dbs].sort(),
    example: {
      sql: maskExample ? maskLiterals(g.example.sql) : g.example.sql,
      masked: maskExample,
      database: g.example.db ?? null,
      host: g.example.host,
      queryTime: round(g.example.queryTime),
    },
  };
}

/**
 * The profile's assumption, checked against the log: long_query_time is the response target divided among the
 * queries of a request. Statements over that share use up a request's whole database budget on their own.
 */
/** The profile's share of the response target for one query, ms (the Digest counts statements over it). */
export function perQueryBudgetMs(p: { queriesPerRequest: number; responseTargetMs: number }): number {
  return p.responseTargetMs / Math.max(1, p.queriesPerRequest);
}

export function profileCheck(
  d: Digest,
  statements: StatementReport[],
  p: { name: string; queriesPerRequest: number; responseTargetMs: number; longQueryTime: number | null },
): ProfileCheck {
  const budgetMs = perQueryBudgetMs(p);
  const overBudget = d.overBudget;
  const findings: string[] = [];
  const assumed = `the profile assumes ${p.queriesPerRequest} queries of at most ${round(budgetMs, 1)} ms each per request (${p.responseTargetMs} ms response target)`;
  if (d.entries === 0) {
    findings.push(`no statement in the log${p.longQueryTime !== null ? ` over long_query_time = ${p.longQueryTime} s` : ''}: ${assumed}, and the log does not contradict it`);
  } else {
    const avgMs = (d.totalTime / d.entries) * 1000;
    const worst = statements[0];
    if (overBudget > 0) {
      findings.push(`${overBudget} of ${d.entries} logged statements took longer than the ${round(budgetMs, 1)} ms per-query share: ${assumed}`);
    }
    if (avgMs > budgetMs) {
      findings.push(`logged statements average ${round(avgMs, 1)} ms, above the ${round(budgetMs, 1)} ms share: requests that run them miss the ${p.responseTargetMs} ms target; the assumption is off until they are faster`);
    }
    if (worst && worst.share >= 0.5) {
      findings.push(`one statement shape (#1, ${worst.verb}) takes ${Math.round(worst.share * 100)}% of the logged database time: start there`);
    }
    if (findings.length === 0) findings.push(`the logged statements fit the profile: ${assumed}`);
  }
  return {
    profile: p.name,
    queriesPerRequest: p.queriesPerRequest,
    responseTargetMs: p.responseTargetMs,
    perQueryBudgetMs: round(budgetMs, 3),
    longQueryTime: p.longQueryTime,
    overBudget,
    findings,
  };
}

export function assembleSlowlogReport(
  d: Digest,
  opts: { top: number; maskLiterals: boolean; since?: number; sources: SourceReport[]; notes: string[] },
): SlowlogReport {
  const statements = d.sorted().slice(0, opts.top).map((g, i) => statementReport(g, i + 1, d.totalTime, opts.maskLiterals));
  return {
    schema: 'stackscale.slowlog/1',
    time: new Date().toISOString(),
    ok: true,
    exitCode: 0,
    since: iso(opts.since),
    summary: {
      entries: d.entries,
      fingerprints: d.groups.size,
      totalTime: round(d.totalTime),
      firstSeen: iso(d.firstSeen),
      lastSeen: iso(d.lastSeen),
      skippedBeforeSince: d.skipped,
    },
    sources: opts.sources,
    statements,
    notes: opts.notes,
  };
}
