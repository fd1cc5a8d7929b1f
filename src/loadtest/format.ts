// The report for people: the figures, then each check with its verdict, then the notes.
import type { Style } from '../util/style.js';
import type { LoadtestReport } from './report.js';
import type { Progress } from './types.js';

const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`);
const n = (x: number | null) => (x === null ? 'n/a' : String(x));

export function formatLoadtest(r: LoadtestReport, style: Style): string[] {
  const l = r.latency_ms;
  const kinds = Object.entries(r.errors_by_kind).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    style.bold(`load test: ${r.users} users, ${r.think_s} s think (offered ${r.offered_rps} req/s) against ${r.targets.join(', ')}, profile ${r.profile}`),
    `  requests        ${r.requests} in ${r.duration_s} s, ${r.throughput_rps} req/s answered, peak ${r.peak_connections} in flight`,
    `  latency (ms)    avg ${l.avg}  p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}  (from the scheduled send time)`,
    `  errors          ${r.errors}${kinds ? ` (${kinds})` : ''}`,
    `  cache hit ratio ${pct(r.cache_hit_ratio)} over ${r.site.cache_lookups} lookups`,
    `  DB connections  peak ${n(r.db_connections_max)}, new per hour ${n(r.connections_per_hour)}${r.site.proxysql_used_max !== null ? `, ProxySQL pool in use peak ${r.site.proxysql_used_max}` : ''}`,
    `  PHP-FPM         max children reached ${n(r.fpm_max_children_reached)}, active peak ${n(r.site.fpm_active_max)}, listen queue peak ${n(r.site.fpm_listen_queue_max)}`,
    ...r.site.hosts.map((h) => `  host ${h.host.padEnd(10)} CPU peak ${pct(h.cpu_max)}, memory used peak ${h.memory_used_max === null ? 'n/a' : `${Math.round(h.memory_used_max / 2 ** 20)} MiB`}`),
    `  client          CPU ${pct(r.client.cpu_avg)} of a core on average (peak ${pct(r.client.cpu_max)}), event loop delay p99 ${r.client.loop_delay_p99_ms} ms${r.client.resent ? `; ${r.client.resent} GET requests sent again after the server closed their kept-alive connection first` : ''}`,
    '',
  ];
  for (const c of r.checks) {
    const mark = c.verdict === 'pass' ? style.green('pass') : c.verdict === 'fail' ? style.red('FAIL') : style.yellow('n/a ');
    lines.push(`  ${mark}  ${c.text}${c.note ? style.dim(` (${c.note})`) : ''}`);
  }
  for (const note of r.notes) lines.push(style.yellow(`  note: ${note}`));
  lines.push('', r.verdict === 'pass' ? style.green('verdict: pass, every target holds') : style.red(`verdict: fail (${r.checks.filter((c) => c.verdict === 'fail').map((c) => c.name).join(', ')})`));
  return lines;
}

/**
 * The one-line progress display (a terminal only). An interval timer can fire a millisecond or two before a whole
 * second has passed by the monotonic clock (libuv times from the loop's cached clock), so the seconds shown allow
 * 50 ms of that; a run's final line, after the last answers drained, never shows more than its duration.
 */
export function progressText(p: Progress, duration: number): string {
  const seconds = Math.min(Math.floor(p.elapsed + 0.05), Math.round(duration));
  return `${seconds}/${Math.round(duration)} s  users ${p.users}  ${Math.round(p.rps)} req/s  p95 ${p.p95 === null ? '-' : `${Math.round(p.p95)} ms`}  errors ${p.errors}`;
}
