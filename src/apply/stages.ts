// Hosts in role order: database primary, replicas, ProxySQL, cache, web, lb. Hosts of one stage run
// in parallel (bounded); a stage with a failed host stops every later stage, whose hosts are reported as skipped.
import type { Role } from '../config/types.js';
import { mapLimit } from '../util/limit.js';
import { applyHost } from './host.js';
import type { ApplyResult, EngineOptions, HostJob, HostResult } from './types.js';

export const ROLE_ORDER: Role[] = ['db-primary', 'db-replica', 'proxysql', 'cache', 'web', 'lb'];

/** A host's stage is that of its earliest role: a one-VPS site is one stage, its services ordered within the host. */
export function stageOf(roles: readonly string[]): number {
  const idx = roles.map((r) => ROLE_ORDER.indexOf(r as Role)).filter((i) => i >= 0);
  return idx.length ? Math.min(...idx) : ROLE_ORDER.length;
}

export function stagesOf<T extends { roles: readonly string[] }>(jobs: T[]): T[][] {
  const byStage = new Map<number, T[]>();
  for (const j of jobs) {
    const s = stageOf(j.roles);
    byStage.set(s, [...(byStage.get(s) ?? []), j]);
  }
  return [...byStage.keys()].sort((a, b) => a - b).map((k) => byStage.get(k) as T[]);
}

export type HostRunner = (job: HostJob, opts: EngineOptions) => Promise<HostResult>;

export async function runStages(jobs: HostJob[], opts: EngineOptions, concurrency: number, runner: HostRunner = applyHost): Promise<ApplyResult> {
  const results = new Map<string, HostResult>();
  let stopped = false;
  for (const stage of stagesOf(jobs)) {
    if (stopped) {
      for (const j of stage) {
        results.set(j.host, { host: j.host, status: 'skipped', changed: [], actions: [], steps: [], notes: ['not touched: an earlier stage failed'] });
        opts.progress(j.host, 'skipped: an earlier stage failed');
      }
      continue;
    }
    const done = await mapLimit(stage, concurrency, async (job) => {
      try {
        return await runner(job, opts);
      } catch (err) {
        const message = opts.mask(err instanceof Error ? err.message : String(err));
        opts.progress(job.host, `FAILED: ${message}`);
        return { host: job.host, status: 'failed', changed: [], actions: [], steps: [], notes: [], error: { step: 'host', message } } satisfies HostResult;
      }
    });
    for (const r of done) results.set(r.host, r);
    if (done.some((r) => r.status === 'failed' || r.status === 'rolled-back')) stopped = true;
  }
  const hosts = jobs.map((j) => results.get(j.host) as HostResult);
  return { ok: hosts.every((h) => h.status === 'applied' || h.status === 'unchanged'), deployId: opts.deployId, hosts };
}
