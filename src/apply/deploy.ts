// A confirmed plan deployed on a connected site: packages first (then a second plan on what they brought), the
// databases, replication as the plan decided it, then ProxySQL, cache and web. Each host through src/apply/host.ts.
import { hostname, userInfo } from 'node:os';
import { EXIT, UserError } from '../errors.js';
import { gatherFacts } from '../facts/gather.js';
import { maskText } from '../mask.js';
import { loadedKeys } from '../packages/context.js';
import { installStage } from './install-stage.js';
import { candidatePaths } from '../render/paths.js';
import { replicationSecrets } from '../plan/remote.js';
import { planSite, type SitePlan } from '../plan/run.js';
import type { Plan } from '../plan/types.js';
import type { SecretValues } from '../config/types.js';
import { applyReplication, planReplication, replicationDrift, type ReplicationPlan } from '../replication/run.js';
import { replicationSpec, type ReplicationSpec } from '../replication/spec.js';
import type { SiteSession } from '../session/session.js';
import type { ReachedHost } from '../session/collect.js';
import type { Transport } from '../transport/types.js';
import { TOOL_VERSION } from '../version.js';
import { endpointsFor } from './endpoints.js';
import { thisMachine } from './lock.js';
import { newDeployId } from './record.js';
import { ROLE_ORDER, runStages, stageOf } from './stages.js';
import type { ApplyResult, EngineOptions, HostJob, HostResult } from './types.js';

export interface DeployOptions {
  /** Seconds to wait for another apply's lock or the dpkg lock (--lock-timeout). */
  lockTimeoutS: number;
  breakLock: boolean;
  progress: (host: string, step: string) => void;
  env: NodeJS.ProcessEnv;
  /** Told the plan made again once packages were installed (the CLI prints it). */
  replanned?: (plan: Plan) => void;
}

export interface Deployed {
  result: ApplyResult;
  /** The plan that ran: the confirmed one, or the one made again after installing packages. */
  plan: Plan;
}

/** Exit code and message when the hosts changed between the plan shown and its execution: plan again. */
export class StalePlanError extends UserError {}

/** What the engine needs for one deployment (apply and rollback). */
export function engineOptions(o: { deployId: string; profile: string; secrets: SecretValues; lockTimeoutS: number; breakLock: boolean; progress: EngineOptions['progress']; env: NodeJS.ProcessEnv }): EngineOptions {
  const user = (() => {
    try {
      return userInfo().username;
    } catch {
      return o.env.USER ?? 'unknown';
    }
  })();
  return {
    deployId: o.deployId,
    profile: o.profile,
    toolVersion: TOOL_VERSION,
    owner: { user, machine: hostname(), ...thisMachine(), pid: process.pid, time: new Date().toISOString(), deployId: o.deployId },
    lockTimeoutMs: o.lockTimeoutS * 1000,
    breakLock: o.breakLock,
    progress: o.progress,
    mask: (text) => maskText(text, o.secrets),
  };
}

/**
 * Runs `confirmed` on the session's hosts (every one reached). Before anything changes, the replication state is read
 * again: if it no longer gives the SQL the plan showed, nothing is done and a StalePlanError says to plan again.
 */
export async function deploySite(session: SiteSession, confirmed: SitePlan, secrets: SecretValues, o: DeployOptions): Promise<Deployed> {
  await checkStillHolds(session, confirmed, secrets);
  const collected = session.collected.flatMap((c) => (c.ok ? [c] : []));
  // Packages first, on every host that lacks some; a failed install stops the run before any file changes.
  const installed = await installAll(collected, confirmed.plan, confirmed, o, session.concurrency);
  if (!installed.ok) return { result: installed.result, plan: confirmed.plan };
  let planned = confirmed;
  if (installed.hosts.size > 0) {
    // The packages brought their own default files and daemons: plan again on what the hosts have now, so the
    // package's file is the one backed up and replaced, and every installed daemon is started on stackscale's.
    for (const c of collected) if (installed.hosts.has(c.host.name)) c.facts = await gatherFacts(c.transport, candidatePaths(c.host.roles, session.site.app));
    planned = await planSite(session, secrets, { packages: confirmed.packages });
    o.replanned?.(planned.plan);
  }
  const { plan, files, sql } = planned;
  const jobs: HostJob[] = collected.flatMap((c) => {
    const hostPlan = plan.hosts.find((h) => h.host === c.host.name);
    if (!hostPlan) return [];
    const endpoints = endpointsFor(planned.sizing.hosts.find((h) => h.host.name === c.host.name), secrets);
    return [{ host: c.host.name, roles: c.host.roles, transport: c.transport, facts: c.facts, plan: hostPlan, files: files.get(c.host.name) ?? [], sql: sql.get(c.host.name) ?? [], endpoints }];
  });
  const deployId = newDeployId(new Date());
  const engine = engineOptions({ deployId, profile: plan.profile, secrets, lockTimeoutS: o.lockTimeoutS, breakLock: o.breakLock, progress: o.progress, env: o.env });
  // Databases first; then replication (accounts, seeding, pointing replicas at the primary) once every database
  // runs on its new settings; then ProxySQL, cache and web, which depend on it.
  const dbJobs = jobs.filter((j) => stageOf(j.roles) <= ROLE_ORDER.indexOf('db-replica'));
  const restJobs = jobs.filter((j) => !dbJobs.includes(j));
  const first = await runStages(dbJobs, engine, session.concurrency);
  // A database installed by this run did not run at plan time: its replication is set up now that it does.
  const replSpec = planned.remote.replication?.spec ?? (installed.hosts.size > 0 ? replicationSpec(planned.sizing, session.site) : undefined);
  const transports = new Map([...session.reachable()].map(([h, r]) => [h, r.transport]));
  const replicated = first.ok && replSpec ? await replicate(replSpec, planned.replication, transports, secrets, engine.mask, o.progress) : { ok: true, notes: [] };
  const go = first.ok && replicated.ok;
  const rest: ApplyResult = go
    ? await runStages(restJobs, engine, session.concurrency)
    : { ok: false, deployId, hosts: restJobs.map((j) => skipped(j.host, `not touched: ${first.ok ? 'replication' : 'an earlier stage'} failed`)) };
  const result = mergeResults(mergeResults(first, { ok: replicated.ok, deployId, hosts: [], notes: replicated.notes }), rest);
  addInstallNotes(result, installed.results);
  return { result, plan };
}

/**
 * What may have changed between the plan and the confirmation: the replication state (a replica stopped or broken,
 * an account created or dropped by hand). Read again now; a different decision stops the run before any change.
 */
async function checkStillHolds(session: SiteSession, confirmed: SitePlan, secrets: SecretValues): Promise<void> {
  const planned = confirmed.replication;
  if (!planned) return;
  const transports = new Map([...session.reachable()].map(([h, r]) => [h, r.transport]));
  const now = await planReplication(planned.spec, transports, replicationSecrets(secrets), planned);
  const drift = replicationDrift(planned, now);
  if (drift.length === 0) return;
  throw new StalePlanError(
    drift.map((d) => ({
      message: `replication changed since the plan was made: ${maskText(d, secrets)}; nothing was changed on any host`,
      fix: 'run `stackscale plan` to see the new plan, then apply again',
    })),
    EXIT.error,
  );
}

function skipped(host: string, why: string): HostResult {
  return { host, status: 'skipped', changed: [], actions: [], steps: [], notes: [why] };
}

function mergeResults(a: ApplyResult, b: ApplyResult): ApplyResult {
  return { ok: a.ok && b.ok, deployId: a.deployId, hosts: [...a.hosts, ...b.hosts], notes: [...(a.notes ?? []), ...(b.notes ?? [])] };
}

/** Replication after the databases run on their new settings: the plan's decisions, seeding, catch-up. Never throws. */
async function replicate(
  spec: ReplicationSpec,
  planned: ReplicationPlan | undefined,
  transports: Map<string, Transport>,
  secrets: SecretValues,
  mask: (t: string) => string,
  progress: (host: string, step: string) => void,
): Promise<{ ok: boolean; notes: string[] }> {
  try {
    // With --host, only the replicas in this run are set up; the others are left as they are.
    const inRun = { ...spec, replicas: spec.replicas.filter((r) => transports.has(r.host)) };
    const outcomes = await applyReplication(inRun, transports, replicationSecrets(secrets), { log: (l) => progress('replication', mask(l)) }, planned);
    return { ok: true, notes: outcomes.map((o) => `replication ${o.host}: ${o.action === 'none' ? 'following the primary, nothing to do' : `${o.action} (${o.why})`}`) };
  } catch (err) {
    const message = mask(err instanceof Error ? err.message : String(err));
    progress('replication', `FAILED: ${message}`);
    return { ok: false, notes: [`replication failed: ${message}`] };
  }
}

interface Installed {
  ok: boolean;
  hosts: Set<string>;
  results: HostResult[];
  result: ApplyResult;
}


/** Install on every host whose plan says so (src/packages/stage.ts); a failure stops everything before any file changes. */
async function installAll(collected: ReachedHost[], plan: Plan, planned: SitePlan, o: DeployOptions, concurrency: number): Promise<Installed> {
  const jobs = collected.flatMap((c) => {
    const install = plan.hosts.find((h) => h.host === c.host.name)?.install;
    return install ? [{ host: c.host.name, transport: c.transport, facts: c.facts, install }] : [];
  });
  const results = await installStage(jobs, loadedKeys(planned.packages), { lockTimeoutS: o.lockTimeoutS, concurrency, progress: o.progress });
  const failed = results.filter((r) => r.status === 'failed');
  const result: ApplyResult = {
    ok: failed.length === 0,
    deployId: '',
    hosts: [
      ...failed.map((r) => ({ ...r, notes: ['no configuration was changed on this host'] })),
      ...collected
        .filter((c) => !failed.some((r) => r.host === c.host.name))
        .map((c) => {
          const done = results.find((r) => r.host === c.host.name);
          const why = 'an install failed, so nothing was configured on any host';
          return done ? { ...skipped(c.host.name, `packages installed, not configured: ${why}`), steps: done.steps } : skipped(c.host.name, `not touched: ${why}`);
        }),
    ],
  };
  return { ok: result.ok, hosts: new Set(results.filter((r) => r.status !== 'failed').map((r) => r.host)), results, result };
}

/** The installs, as notes on each host's result. */
function addInstallNotes(result: ApplyResult, installs: HostResult[]): void {
  for (const i of installs) {
    const h = result.hosts.find((x) => x.host === i.host);
    const what = i.steps.filter((s) => s.detail?.startsWith('installed ')).map((s) => s.detail as string);
    if (h && what.length) {
      h.notes.unshift(...what);
      h.steps.unshift(...i.steps);
    }
  }
}
