import { hostname, userInfo } from 'node:os';
import { EXIT, InvalidInputError, UserError } from '../../errors.js';
import { assemblePlan } from '../../plan/assemble.js';
import { hasChanges } from '../../plan/build.js';
import { maskText } from '../../mask.js';
import { closeAll, collectFacts, reachable, reachedHosts, reachedResources, type Collected } from '../../plan/collect.js';
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
import { packageContext, loadedKeys } from '../../packages/context.js';
import type { PackageContext } from '../../packages/plan.js';
import { installRefusals, installStage } from '../../packages/stage.js';
import { gatherFacts } from '../../facts/gather.js';
import { candidatePaths, STATE_FILE } from '../../plan/paths.js';
import { replicationSpec } from '../../replication/spec.js';
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
    let sizing = sizeAndCheck(inputs, reachedResources(collected, inputs.site));
    const outcomes = collected.map((c) => (c.ok ? { host: c.host.name, facts: c.facts } : { host: c.host.name }));
    let remote = await readRemoteState(sizing, inputs.site, reachable(collected), secrets);
    const packages = await packageContext(inputs.site, reachedHosts(collected), { install: options.install as boolean | undefined });
    let assembled = assemblePlan(sizing, inputs.site, outcomes, secrets, remote, packages);
    printPlan(assembled.plan, out); // on stderr with --json: the result document owns stdout
    const refusal = installRefusals(assembled.plan, Boolean(options.acceptNewRepoKey));
    if (refusal) throw new UserError(refusal.problems, refusal.exitCode);

    const changes = hasChanges(assembled.plan);
    if (changes && !(await confirmOrRefuse(io, options.yes, `Apply these changes to ${assembled.plan.hosts.length} host(s)?`, 'apply'))) {
      out.warn('apply: nothing done (not confirmed)');
      return EXIT.error;
    }
    // Packages first, on every host that lacks some; a failed install stops the run before any file changes.
    const installed = await installAll(ctx, collected, assembled.plan, packages);
    if (!installed.ok) return report(ctx, installed.result, 'apply', assembled.plan);
    if (installed.hosts.size > 0) {
      // The packages brought their own default files and daemons: plan again on what the hosts have now, so the
      // package's file is the one backed up and replaced, and every installed daemon is started on stackscale's.
      for (const c of collected) if (c.ok && installed.hosts.has(c.host.name)) c.facts = await gatherFacts(c.transport, [...candidatePaths(c.host.roles), STATE_FILE]);
      sizing = sizeAndCheck(inputs, reachedResources(collected, inputs.site));
      remote = await readRemoteState(sizing, inputs.site, reachable(collected), secrets);
      const again = collected.map((c) => (c.ok ? { host: c.host.name, facts: c.facts } : { host: c.host.name }));
      assembled = assemblePlan(sizing, inputs.site, again, secrets, remote, packages);
      progressLine(ctx)('apply', 'packages installed; the plan on the installed packages:');
      printPlan(assembled.plan, out);
    }
    const { plan, files, sql } = assembled;
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
    // A database installed by this run did not run at plan time: its replication is set up now that it does.
    const replSpec = remote.replication?.spec ?? (installed.hosts.size > 0 ? replicationSpec(sizing, inputs.site) : undefined);
    const replicated = first.ok && replSpec ? await replicate(ctx, replSpec, collected, secrets, engine.mask) : { ok: true, notes: [] };
    const go = first.ok && replicated.ok;
    const rest: ApplyResult = go
      ? await runStages(restJobs, engine, concurrency)
      : { ok: false, deployId, hosts: restJobs.map((j) => skipped(j.host, `not touched: ${first.ok ? 'replication' : 'an earlier stage'} failed`)) };
    const result = mergeResults(mergeResults(first, { ok: replicated.ok, deployId, hosts: [], notes: replicated.notes }), rest);
    addInstallNotes(result, installed.results);
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
    mask: (text) => maskText(text, secrets),
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
  // Files only: the packages a fresh host got from stackscale stay (removing them could take data with them).
  if (verb === 'rollback') line(s.dim('rollback restores files; packages stackscale installed are not removed'));
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

/** Install on every host whose plan says so (src/packages/stage.ts); a failure stops everything before any file changes. */
async function installAll(ctx: CommandContext, collected: Collected[], plan: Plan, packages: PackageContext): Promise<Installed> {
  const jobs = collected.flatMap((c) => {
    const install = c.ok ? plan.hosts.find((h) => h.host === c.host.name)?.install : undefined;
    return c.ok && install ? [{ host: c.host.name, transport: c.transport, facts: c.facts, install }] : [];
  });
  const results = await installStage(jobs, loadedKeys(packages), {
    lockTimeoutS: Number(ctx.options.lockTimeout ?? 0),
    concurrency: Number(ctx.options.concurrency ?? 10),
    progress: progressLine(ctx),
  });
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

interface Installed {
  ok: boolean;
  hosts: Set<string>;
  results: HostResult[];
  result: ApplyResult;
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
