// The slowlog report for a terminal: a table of the worst statement shapes, then each one's example, EXPLAIN findings
// and index suggestion, then the profile check.
import type { Style } from '../util/style.js';
import type { SlowlogReport } from './report.js';

function ms(seconds: number): string {
  const v = seconds * 1000;
  if (v >= 1000) return `${(v / 1000).toFixed(1)}s`;
  return v >= 100 ? `${Math.round(v)}ms` : `${v.toFixed(v >= 10 ? 1 : 2)}ms`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function shorten(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= n ? one : `${one.slice(0, n - 1)}…`;
}

export function formatSlowlog(r: SlowlogReport, style: Style): string[] {
  const out: string[] = [];
  const sum = r.summary;
  const span = sum.firstSeen && sum.lastSeen ? `${sum.firstSeen} .. ${sum.lastSeen}` : 'no timestamps';
  out.push(style.bold(`slow log: ${sum.entries} statements, ${sum.fingerprints} shapes, ${ms(sum.totalTime)} of database time (${span})`));
  for (const s of r.sources) out.push(style.dim(`  ${s.host}: ${s.entries} statements from ${s.files.map((f) => f.path).join(', ') || 'no file'}`));
  if (sum.skippedBeforeSince > 0) out.push(style.dim(`  ${sum.skippedBeforeSince} statements before ${r.since} left out`));
  if (r.statements.length === 0) {
    out.push('no statements to report');
  } else {
    out.push('');
    out.push(style.bold(`${pad('#', 3, true)} ${pad('share', 6, true)} ${pad('total', 9, true)} ${pad('count', 7, true)} ${pad('avg', 9, true)} ${pad('p95', 9, true)} ${pad('max', 9, true)} ${pad('exam/sent', 10, true)}  statement`));
    for (const s of r.statements) {
      const ratio = s.examinedPerSent === null ? (s.rowsExamined > 0 ? `${s.rowsExamined}/0` : '-') : String(s.examinedPerSent);
      const hot = s.examinedPerSent !== null && s.examinedPerSent >= 100;
      out.push(
        `${pad(String(s.rank), 3, true)} ${pad(`${Math.round(s.share * 100)}%`, 6, true)} ${pad(ms(s.totalTime), 9, true)} ${pad(String(s.count), 7, true)} ` +
          `${pad(ms(s.avgTime), 9, true)} ${pad(ms(s.p95Time), 9, true)} ${pad(ms(s.maxTime), 9, true)} ${(hot ? style.red : (x: string) => x)(pad(ratio, 10, true))}  ${shorten(s.fingerprint, 70)}`,
      );
    }
  }
  for (const s of r.statements) {
    out.push('');
    out.push(style.bold(`#${s.rank} ${s.id}`) + style.dim(` ${s.verb}, ${s.count}x on ${s.hosts.join(', ')}${s.databases.length ? `, database ${s.databases.join(', ')}` : ''}, ${s.firstSeen ?? '?'} .. ${s.lastSeen ?? '?'}`));
    out.push(`  example${s.example.masked ? ' (literals masked)' : ''}: ${shorten(s.example.sql, 160)}`);
    out.push(`  rows examined ${s.rowsExamined}, sent ${s.rowsSent}${s.examinedPerSent !== null ? ` (${s.examinedPerSent} examined per row sent)` : ''}`);
    const e = s.explain;
    if (!e) continue;
    if (e.skipped) {
      out.push(style.dim(`  EXPLAIN on ${e.host}: ${e.skipped}`));
      continue;
    }
    out.push(`  EXPLAIN on ${e.host} (${e.database}):`);
    for (const row of e.rows ?? []) out.push(style.dim(`    ${row.table}: type ${row.type}, key ${row.key ?? 'none'}, rows ${row.rows ?? '?'}${row.extra ? `, ${row.extra}` : ''}`));
    for (const f of e.findings ?? []) out.push(style.yellow(`  ! ${f}`));
    if (e.suggestion) {
      out.push(style.green(`  suggestion (not applied): ${e.suggestion.statement}`));
      out.push(style.dim(`    rule: ${e.suggestion.rule}`));
    }
  }
  if (r.profile) {
    const p = r.profile;
    out.push('');
    out.push(style.bold(`profile ${p.profile}: ${p.queriesPerRequest} queries per request, ${p.responseTargetMs} ms response target -> ${p.perQueryBudgetMs} ms per query (long_query_time ${p.longQueryTime ?? '?'} s)`));
    for (const f of p.findings) out.push(`  ${f}`);
  }
  for (const n of r.notes) out.push(style.dim(`note: ${n}`));
  return out;
}
