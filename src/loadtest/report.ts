// From what was measured to what is judged: the site's figures over the run (from the samples), each check against
// the profile's target, and the report `--json` prints. Pure: the CLI gathers, this decides.
import type { Profile } from '../config/types.js';
import { EXIT } from '../errors.js';
import type { SiteSample } from './sample.js';
import { LOADTEST_SCHEMA, type LoadPlan, type RunResult } from './types.js';

/** Errors above this share of requests fail the run (the capacity guide's service level: under 0.1%). */
export const MAX_ERROR_RATIO = 0.001;
/** The cache hit ratio may fall this far below the profile's before the check fails (5 points). */
export const HIT_RATIO_BAND = 0.05;

export interface SampledFigures {
  cache_hit_ratio: number | null;
  cache_lookups: number;
  /** Most MySQL client connections at once on one database host during the run (the sampler's own not counted). */
  db_connections_max: number | null;
  /** New MySQL connections during the run, per hour, summed over the database hosts (the sampler's own not counted). */
  connections_per_hour: number | null;
  /** Times the FPM pools hit pm.max_children during the run, summed over the web hosts. */
  fpm_max_children_reached: number | null;
  fpm_active_max: number | null;
  fpm_listen_queue_max: number | null;
  proxysql_used_max: number | null;
  hosts: { host: string; cpu_max: number | null; memory_used_max: number | null }[];
}

export type CheckName = 'avg_latency' | 'errors' | 'cache_hit_ratio' | 'db_connections' | 'connections_per_hour' | 'fpm_max_children_reached';

export interface Check {
  name: CheckName;
  /** What is held against what, for people: `avg 143.2 ms < 200 ms`. */
  text: string;
  value: number | null;
  target: number;
  verdict: 'pass' | 'fail' | 'unknown';
  note?: string;
}

export interface LoadtestReport {
  schema: typeof LOADTEST_SCHEMA;
  time: string;
  profile: string;
  targets: string[];
  users: number;
  think_s: number;
  ramp: { users: number; seconds: number }[];
  duration_s: number;
  offered_rps: number;
  requests: number;
  errors: number;
  errors_by_kind: RunResult['errors_by_kind'];
  status_codes: Record<string, number>;
  throughput_rps: number;
  latency_ms: RunResult['latency_ms'];
  cache_hit_ratio: number | null;
  db_connections_max: number | null;
  connections_per_hour: number | null;
  fpm_max_children_reached: number | null;
  stopped_by: RunResult['stopped_by'];
  peak_connections: number;
  client: RunResult['client'];
  site: SampledFigures;
  verdict: 'pass' | 'fail';
  exitCode: 0 | 1;
  checks: Check[];
  intervals: RunResult['intervals'];
  samples: SiteSample[];
  notes: string[];
}

const maxOf = (xs: (number | null | undefined)[]): number | null => {
  const v = xs.filter((x): x is number => typeof x === 'number');
  return v.length ? Math.max(...v) : null;
};

/** What the site did during the run, from the first and last sample (counters) and every sample (peaks). */
export function sampledFigures(samples: SiteSample[]): SampledFigures {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const names = first ? Object.keys(first.hosts) : [];
  const delta = (pick: (s: SiteSample, h: string) => number | undefined | null): number | null => {
    if (!first || samples.length < 2) return null;
    let sum = 0;
    let any = false;
    for (const h of names) {
      const a = pick(first, h);
      const b = pick(last, h);
      if (typeof a === 'number' && typeof b === 'number') {
        sum += Math.max(0, b - a);
        any = true;
      }
    }
    return any ? sum : null;
  };
  const hits = delta((s, h) => s.hosts[h]?.redis?.hits);
  const misses = delta((s, h) => s.hosts[h]?.redis?.misses);
  const lookups = (hits ?? 0) + (misses ?? 0);
  // Each MySQL sample is one connection of the sampler's own, and holds one thread while it reads.
  const dbHosts = names.filter((h) => samples.some((s) => s.hosts[h]?.mysql));
  const ownConnections = dbHosts.length * Math.max(0, samples.length - 1);
  const newConnections = delta((s, h) => s.hosts[h]?.mysql?.connections);
  const seconds = first && last ? last.t - first.t : 0;
  return {
    cache_hit_ratio: hits === null || lookups === 0 ? null : round4(hits / lookups),
    cache_lookups: lookups,
    db_connections_max: dbPeak(samples, dbHosts),
    connections_per_hour: newConnections === null || seconds <= 0 ? null : Math.round((Math.max(0, newConnections - ownConnections) / seconds) * 3600),
    fpm_max_children_reached: delta((s, h) => s.hosts[h]?.fpm?.maxChildrenReached),
    fpm_active_max: maxOf(samples.flatMap((s) => names.map((h) => s.hosts[h]?.fpm?.active))),
    fpm_listen_queue_max: maxOf(samples.flatMap((s) => names.map((h) => s.hosts[h]?.fpm?.listenQueue))),
    proxysql_used_max: maxOf(samples.flatMap((s) => names.map((h) => s.hosts[h]?.proxysql?.used))),
    hosts: names.map((h) => ({ host: h, cpu_max: maxOf(cpuShares(samples, h)), memory_used_max: maxOf(samples.map((s) => (s.hosts[h]?.mem ? s.hosts[h].mem.total - s.hosts[h].mem.available : null))) })),
  };
}

/**
 * The most connections one database host held during the run. Samples every few seconds miss short peaks, so where
 * the server's own high-water mark (Max_used_connections) rose during the run, that exact peak is taken; otherwise the
 * run stayed below the earlier mark, and the sampled peak (less the sampler's own connection) is what is known.
 */
export function dbPeak(samples: SiteSample[], dbHosts: string[]): number | null {
  const peaks = dbHosts.map((h) => {
    const seen = samples.map((s) => s.hosts[h]?.mysql).filter((m) => m !== undefined);
    if (seen.length === 0) return null;
    const sampled = Math.max(0, ...seen.map((m) => m.threadsConnected - 1));
    const first = seen[0].maxUsed;
    const last = seen[seen.length - 1].maxUsed;
    return first !== null && last !== null && last > first ? Math.max(sampled, last) : sampled;
  });
  return maxOf(peaks);
}

/** A host's CPU use between consecutive samples (share of all its cores). */
export function cpuShares(samples: SiteSample[], host: string): (number | null)[] {
  return samples.slice(1).map((s, i) => {
    const a = samples[i].hosts[host]?.cpu;
    const b = s.hosts[host]?.cpu;
    if (!a || !b || b.total <= a.total) return null;
    return round4((b.busy - a.busy) / (b.total - a.total));
  });
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** Every target of the profile held against what was measured. */
export function checksFor(run: RunResult, site: SampledFigures | undefined, profile: Profile, perHourLimit: number | undefined): Check[] {
  const w = profile.workload;
  const checks: Check[] = [];
  const avg = run.latency_ms.avg;
  checks.push({
    name: 'avg_latency', value: avg, target: w.responseTargetMs, verdict: run.ok + run.errors > 0 && avg < w.responseTargetMs ? 'pass' : 'fail',
    text: `average response ${avg} ms < ${w.responseTargetMs} ms (response_target_ms)`,
  });
  const ratio = run.requests > 0 ? run.errors / run.requests : 0;
  checks.push({
    name: 'errors', value: round4(ratio), target: MAX_ERROR_RATIO, verdict: run.requests > 0 && ratio < MAX_ERROR_RATIO ? 'pass' : 'fail',
    text: `errors ${run.errors} of ${run.requests} (${pct(ratio)}) < ${pct(MAX_ERROR_RATIO)}`,
  });
  const unknown = (name: CheckName, target: number, text: string, note: string): Check => ({ name, value: null, target, verdict: 'unknown', text, note });
  if (!site) return checks;

  const target = w.cacheHitRatio;
  if (site.cache_hit_ratio === null) checks.push(unknown('cache_hit_ratio', target, `cache hit ratio >= ${pct(target - HIT_RATIO_BAND)}`, 'no Redis lookups were measured (no cache host sampled, or the app does not use it)'));
  else {
    const r = site.cache_hit_ratio;
    const low = r < target - HIT_RATIO_BAND;
    const high = r > target + HIT_RATIO_BAND;
    checks.push({
      name: 'cache_hit_ratio', value: r, target, verdict: low ? 'fail' : 'pass',
      text: `cache hit ratio ${pct(r)} within ${pct(target)} ± 5 points (cache_hit_ratio) over ${site.cache_lookups} lookups`,
      note: low
        ? 'more requests reach the database than the profile plans: check the TTLs and which endpoints cache'
        : high
          ? 'above the band: the cache absorbs more than the profile plans (few distinct keys for this request rate); not a failure'
          : undefined,
    });
  }
  const maxDb = w.dbConnections.max;
  if (site.db_connections_max === null) checks.push(unknown('db_connections', maxDb, `DB connections <= ${maxDb}`, 'no database host sampled'));
  else checks.push({ name: 'db_connections', value: site.db_connections_max, target: maxDb, verdict: site.db_connections_max <= maxDb ? 'pass' : 'fail', text: `DB connections peak ${site.db_connections_max} <= ${maxDb} (db_connections.max)` });
  if (perHourLimit !== undefined) {
    if (site.connections_per_hour === null) checks.push(unknown('connections_per_hour', perHourLimit, `connections per hour < ${perHourLimit}`, 'no database host sampled'));
    else checks.push({ name: 'connections_per_hour', value: site.connections_per_hour, target: perHourLimit, verdict: site.connections_per_hour < perHourLimit ? 'pass' : 'fail', text: `new DB connections ${site.connections_per_hour}/hour < ${perHourLimit} (app.max_connections_per_hour)` });
  }
  if (site.fpm_max_children_reached === null) checks.push(unknown('fpm_max_children_reached', 0, 'FPM max children reached (must stay 0)', 'no FPM status page read (pm.status_path unset, or no web host sampled)'));
  else checks.push({ name: 'fpm_max_children_reached', value: site.fpm_max_children_reached, target: 0, verdict: site.fpm_max_children_reached === 0 ? 'pass' : 'fail', text: `FPM max children reached ${site.fpm_max_children_reached} times during the run (must stay 0)`, note: site.fpm_max_children_reached > 0 ? 'requests waited for a PHP worker: pm.max_children is too small for this load' : undefined });
  return checks;
}

export function assembleLoadtest(args: { plan: LoadPlan; run: RunResult; samples: SiteSample[] | undefined; profile: Profile; perHourLimit?: number; notes: string[]; now?: Date }): LoadtestReport {
  const { plan, run, profile } = args;
  const site = args.samples ? sampledFigures(args.samples) : undefined;
  const checks = checksFor(run, site, profile, args.perHourLimit);
  const failed = checks.some((c) => c.verdict === 'fail');
  const notes = [...args.notes];
  if (run.client.saturated) {
    notes.push(`the load generator itself was busy (CPU ${pct(run.client.cpu_avg)} of a core on average, event loop delay p99 ${run.client.loop_delay_p99_ms} ms): its latencies include its own delay; run it from a larger machine or with fewer users`);
  }
  if (run.stopped_by === 'max-requests') notes.push(`stopped at --max-requests ${plan.maxRequests} before the duration`);
  if (run.abandoned > 0) notes.push(`${run.abandoned} requests were still unanswered at the end and counted as timeouts`);
  return {
    schema: LOADTEST_SCHEMA,
    time: (args.now ?? new Date()).toISOString(),
    profile: profile.name,
    targets: plan.targets,
    users: plan.users,
    think_s: plan.thinkSeconds,
    ramp: plan.ramp,
    duration_s: run.duration_s,
    offered_rps: run.offered_rps,
    requests: run.requests,
    errors: run.errors,
    errors_by_kind: run.errors_by_kind,
    status_codes: run.status_codes,
    throughput_rps: run.throughput_rps,
    latency_ms: run.latency_ms,
    cache_hit_ratio: site?.cache_hit_ratio ?? null,
    db_connections_max: site?.db_connections_max ?? null,
    connections_per_hour: site?.connections_per_hour ?? null,
    fpm_max_children_reached: site?.fpm_max_children_reached ?? null,
    stopped_by: run.stopped_by,
    peak_connections: run.peak_connections,
    client: run.client,
    site: site ?? emptySite(),
    verdict: failed ? 'fail' : 'pass',
    exitCode: failed ? EXIT.error : EXIT.ok,
    checks,
    intervals: run.intervals,
    samples: args.samples ?? [],
    notes,
  };
}

function emptySite(): SampledFigures {
  return { cache_hit_ratio: null, cache_lookups: 0, db_connections_max: null, connections_per_hour: null, fpm_max_children_reached: null, fpm_active_max: null, fpm_listen_queue_max: null, proxysql_used_max: null, hosts: [] };
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
