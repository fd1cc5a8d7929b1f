import { hostname, userInfo } from 'node:os';
import { EXIT, InvalidInputError, UserError } from '../../errors.js';
import { assemblePlan } from '../../plan/assemble.js';
import { hasChanges, maskSecrets } from '../../plan/build.js';
import { closeAll, collectFacts, reachable, reachedResources, type Collected } from '../../plan/collect.js';
import { readRemoteState, replicationSecrets } from '../../plan/remote.js';
import { applyReplication } from '../../replication/run.js';
import type { Plan } from '../../plan/types.js';
import type { SecretValues } from '../../render/types.js';
import { TOOL_VERSION } from '../../version.js';
import { newDeployId } from '../../apply/record.js';
import { thisMachine } from '../../apply/lock.js';
import { ROLE_ORDER, runStages, stageOf } from '../../apply/stages.js';
import type { ApplyResult, EngineOptions, HostJob, HostResult } from '../../apply/types.js';
import type { ReplicationSpec } from '../../replication/spec.js';
import type { CommandContext } from '../main.js';
import { exposureWarnings, loadInputs, runInputProblems, sizeAndCheck, type Inputs } from '../inputs.js';
import { makeConnector, progressLine } from '../connect.js';
import { printPlan } from '../print-plan.js';
import { confirmOrRefuse } from '../confirm.js';

/** `stackscale apply`: plan, print, confirm, then deploy host by host in role order (src/apply). */
export async function apply(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const inputs = loadInputs(ctx, { requireSite: true });
  for (const w of exposureWarnings(inputs.site)) ctx.io.stderr(`${w}\n`);
  const { secrets, problems: missing } = runInputProblems(inputs, io);
  if (missing.length > 0) throw new InvalidInputError(missing);
  sizeAndCheck(inputs);

  const collected = await connectAll(ctx, inputs);
  try {
    const sizing = sizeAndCheck(inputs, reachedResources(collected));
    const outcomes = collected.map((c) => (c.ok ? { host: c.host.name, facts: c.facts } : { host: c.host.name }));
    const remote = await readRemoteState(sizing, inputs.site, reachable(collected), secrets);
    const { plan, files, sql } = assemblePlan(sizing, inputs.site, outcomes, secrets, remote);
    printPlan(plan, out); // on stderr with --json: the result document owns stdout

    const changes = hasChanges(plan);
    if (changes && !(await confirmOrRefuse(io, options.yes, `Apply these changes to ${plan.hosts.length} host(s)?`, 'apply'))) {
      out.warn('apply: nothing done (not confirmed)');
      return EXIT.error;
    }
    const jobs: HostJob[] = collected.flatMap((c) => {
      if (!c.ok) return [];
      const hostPlan = plan.hosts.find((h) => h.host === c.host.name);
      if (!hostPlan) return [];
      return [{ host: c.host.name, roles: c.host.roles, transport: c.transport, facts: c.facts, plan: hostPlan, files: files.get(c.host.name) ?? [], sql: sql.get(c.host.name) ?? [] }];
    });
    const deployId = newDeployId(new Date());
    const engine = engineOptions(ctx, deployId, plan.profile, secrets);
    const concurrency = Number(options.concurrency ?? 10);
    // Databases first; then replication (accounts, seeding, pointing replicas at the primary) once every database
    // runs on its new settings; then ProxySQL, cache and web, which depend on it.
    const dbJobs = jobs.filter((j) => stageOf(j.roles) <= ROLE_ORDER.indexOf('db-replica'));
    const restJobs = jobs.filter((j) => !dbJobs.includes(j));
    const first = await runStages(dbJobs, engine, concurrency);
    const replicated = first.ok && remote.replication ? await replicate(ctx, remote.replication.spec, collected, secrets, engine.mask) : { ok: true, notes: [] };
    const go = first.ok && replicated.ok;
    const rest: ApplyResult = go
      ? await runStages(restJobs, engine, concurrency)
      : { ok: false, deployId, hosts: restJobs.map((j) => skipped(j.host, `not touched: ${first.ok ? 'replication' : 'an earlier stage'} failed`)) };
    const result = mergeResults(mergeResults(first, { ok: replicated.ok, deployId, hosts: [], notes: replicated.notes }), rest);
    return report(ctx, result, 'apply', plan);
  } finally {
    await closeAll(collected);
  }
}

/**
 * Connect to every host of the run and read its facts. A deployment goes ahead only when every host answered:
 * the role order matters, and a half-reached site must not be half-deployed (exit 4, nothing changed).
 */
export async function connectAll(ctx: CommandContext, inputs: Inputs): Promise<Collected[]> {
  const hosts = inputs.site.hosts.filter((h) => inputs.only.includes(h.name));
  const collected = await collectFacts(hosts, await makeConnector(ctx), {
    concurrency: Number(ctx.options.concurrency ?? 10),
    progress: progressLine(ctx),
    app: inputs.site.app,
  });
  const failed = collected.filter((c): c is Extract<Collected, { ok: false }> => !c.ok);
  if (failed.length > 0) {
    await closeAll(collected);
    throw new UserError(
      failed.flatMap((f) => f.error.problems.map((p) => ({ ...p, where: p.where ?? f.host.name, message: `${p.message}; nothing was changed on any host` }))),
      failed.some((f) => f.error.exitCode === EXIT.unreachable) ? EXIT.unreachable : EXIT.error,
    );
  }
  return collected;
}

export function engineOptions(ctx: CommandContext, deployId: string, profile: string, secrets: SecretValues): EngineOptions {
  const { options } = ctx;
  const user = (() => {
    try {
      return userInfo().username;
    } catch {
      return ctx.io.env.USER ?? 'unknown';
    }
  })();
  const progress = progressLine(ctx);
  return {
    deployId,
    profile,
    toolVersion: TOOL_VERSION,
    owner: { user, machine: hostname(), ...thisMachine(), pid: process.pid, time: new Date().toISOString(), deployId },
    lockTimeoutMs: Number(options.lockTimeout ?? 0) * 1000,
    breakLock: Boolean(options.breakLock),
    progress,
    mask: (text) => maskSecrets(text, secrets),
  };
}

/** The summary on stderr (stdout without --json), the result as one JSON document with --json; exit 0 or 1. */
export function report(ctx: CommandContext, result: ApplyResult, verb: 'apply' | 'rollback', plan?: Plan): number {
  const { out } = ctx;
  const s = out.style;
  const line = (t: string): void => (out.json ? ctx.io.stderr(t + '\n') : out.line(t));
  line('');
  for (const h of result.hosts) {
    const status =
      h.status === 'applied' ? s.green('applied') : h.status === 'unchanged' ? s.dim('unchanged') : h.status === 'skipped' ? s.yellow('skipped') : s.red(h.status);
    const what = h.status === 'applied' ? ` ${h.changed.length} file(s)${h.actions.length ? `; ${h.actions.join(', ')}` : ''}` : '';
    line(`${h.host}: ${status}${what}`);
    if (h.error) {
      line(`  failed at ${h.error.step}: ${h.error.message}`);
      if (h.error.output) for (const l of h.error.output.split('\n')) line(`    ${l}`);
    }
    for (const n of h.notes) line(`  ${n}`);
  }
  for (const n of result.notes ?? []) line(n);
  const applied = result.hosts.filter((h) => h.status === 'applied').length;
  const failed = result.hosts.filter((h) => h.status === 'failed' || h.status === 'rolled-back').length;
  line(
    result.ok
      ? `${verb}: ${applied ? `deployment ${result.deployId} on ${applied} host(s)` : 'nothing to change'}, ${result.hosts.length - applied} unchanged`
      : s.red(`${verb} failed on ${failed} host(s); later stages were not touched`),
  );
  if (out.json) out.document({ ok: result.ok, deployId: result.deployId, verb, summary: plan?.summary, hosts: result.hosts, notes: result.notes ?? [] });
  return result.ok ? EXIT.ok : EXIT.error;
}

function skipped(host: string, why: string): HostResult {
  return { host, status: 'skipped', changed: [], actions: [], steps: [], notes: [why] };
}

function mergeResults(a: ApplyResult, b: ApplyResult): ApplyResult {
  return { ok: a.ok && b.ok, deployId: a.deployId, hosts: [...a.hosts, ...b.hosts], notes: [...(a.notes ?? []), ...(b.notes ?? [])] };
}

/** Replication after the databases run on their new settings: accounts, seed or repair, catch-up. Never throws. */
async function replicate(
  ctx: CommandContext,
  spec: ReplicationSpec,
  collected: Collected[],
  secrets: SecretValues,
  mask: (t: string) => string,
): Promise<{ ok: boolean; notes: string[] }> {
  const transports = new Map([...reachable(collected)].map(([h, r]) => [h, r.transport]));
  const progress = progressLine(ctx);
  try {
    // With --host, only the replicas in this run are set up; the others are left as they are.
    const inRun = { ...spec, replicas: spec.replicas.filter((r) => transports.has(r.host)) };
    const outcomes = await applyReplication(inRun, transports, replicationSecrets(secrets), { log: (l) => progress('replication', mask(l)) });
    return { ok: true, notes: outcomes.map((o) => `replication ${o.host}: ${o.action === 'none' ? 'following the primary, nothing to do' : `${o.action} (${o.why})`}`) };
  } catch (err) {
    const message = mask(err instanceof Error ? err.message : String(err));
    progress('replication', `FAILED: ${message}`);
    return { ok: false, notes: [`replication failed: ${message}`] };
  }
}
