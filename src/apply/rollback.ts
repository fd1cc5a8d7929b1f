// Rollback as a deployment: the files an earlier deployment left on the host, read back from the copies it kept,
// become the wanted files of a new run through the same engine (check, back up, swap, reload, health, restore).
import { UserError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { planHost } from '../plan/build.js';
import { withProxysqlRestart } from '../plan/assemble.js';
import { proxysqlRestartOnlyChanges } from '../proxysql/admin.js';
import { proxysqlFromConfigSql } from '../render/proxysql-admin.js';
import type { SqlStep } from '../sql-step.js';
import { STATE_FILE } from '../host-paths.js';
import type { RenderedFile } from '../render/types.js';
import type { Service } from '../daemons/services.js';
import type { SecretValues } from '../config/types.js';
import { SERVICE_ORDER } from './services.js';
import type { Transport } from '../transport/types.js';
import { parseState, type Deployment, type StateFile } from './record.js';
import type { ApplyResult, EngineOptions, HostJob } from './types.js';
import { applyHost } from './host.js';
import { runStages } from './stages.js';

export async function readState(t: Transport): Promise<StateFile | undefined> {
  return parseState((await t.readFile(STATE_FILE))?.toString('utf8'));
}

/** --to ID, else the deployment before the last one. */
export function pickTarget(host: string, state: StateFile | undefined, to: string | undefined): Deployment {
  const kept = state?.deployments ?? [];
  if (kept.length === 0) throw new UserError({ where: host, message: 'no deployment recorded on this host: nothing to roll back to' });
  if (to) {
    const d = kept.find((k) => k.deployId === to);
    if (!d) throw new UserError({ where: host, message: `deployment ${to} is not kept on this host`, fix: `one of: ${kept.map((k) => k.deployId).join(', ')} (see rollback --list)` });
    return d;
  }
  if (kept.length < 2) {
    throw new UserError({ where: host, message: `only one deployment (${kept[0].deployId}) is recorded: there is no earlier one`, fix: 'pass --to ID to re-apply a kept deployment' });
  }
  return kept[1];
}

/** The files as the target deployment left them, byte for byte, from its own copies on the host. */
export async function deployedFiles(t: Transport, host: string, target: Deployment): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  for (const f of target.files) {
    const content = await t.readFile(f.snapshot);
    if (content === null) {
      throw new UserError({ where: host, message: `the copy of ${f.path} kept by deployment ${target.deployId} is missing (${f.snapshot})`, fix: 'pick another deployment with --to' });
    }
    files.push({ host, path: f.path, content: content.toString('utf8'), mode: f.mode, owner: f.owner, group: f.group, service: f.service, secrets: f.secrets });
  }
  return files;
}

/** One host's rollback job: its plan is the usual one (files against facts), so it prints and applies like apply's. */
export async function rollbackJob(
  t: Transport, host: { name: string; roles: string[] }, facts: HostFacts, target: Deployment, secrets: SecretValues,
): Promise<HostJob> {
  const files = await deployedFiles(t, host.name, target);
  return jobOf(t, host, facts, files, secrets);
}

/**
 * The job for restored files. A running ProxySQL runs from its database and ignores a restored cnf, so when the cnf
 * changes its runtime is loaded from it through the admin interface (the same SQL undoes that on a failure: it loads
 * the cnf put back), and ProxySQL restarts when a variable it takes only at start differs.
 */
function jobOf(t: Transport, host: { name: string; roles: string[] }, facts: HostFacts, files: RenderedFile[], secrets: SecretValues): HostJob {
  const cnf = files.find((f) => f.service === 'proxysql');
  const current = cnf && facts.files[cnf.path];
  const reload = cnf && facts.proxysql?.running && current?.exists && current.content !== cnf.content;
  if (!reload) return { host: host.name, roles: host.roles, transport: t, facts, plan: planHost(host, files, facts, secrets), files, sql: [] };
  const statements = proxysqlFromConfigSql();
  const step: SqlStep = {
    target: 'proxysql-admin',
    purpose: `ProxySQL runs from its database, not from the restored ${cnf.path}: its tables are emptied and loaded from the cnf, LOAD ... TO RUNTIME, SAVE ... TO DISK`,
    statements,
    undo: statements,
  };
  const plan = planHost(host, files, facts, secrets, [{ ...step, undo: undefined }]);
  const restart = proxysqlRestartOnlyChanges(current.content, cnf.content);
  return { host: host.name, roles: host.roles, transport: t, facts, plan: restart.length ? withProxysqlRestart(plan, restart) : plan, files, sql: [step] };
}

/** `rollback --to original`: the label its deployment is recorded and listed under. */
export const ORIGINAL = 'original';

/**
 * The job that puts a host back as it was before stackscale: every file it replaced gets its original content (and
 * mode and owner) back, every file it created goes, and each service touched restarts (or reloads) on its own
 * configuration. The record names the originals; a host first deployed by a version that kept none is refused.
 */
export async function originalJob(
  t: Transport, host: { name: string; roles: string[] }, facts: HostFacts, state: StateFile | undefined, secrets: SecretValues,
): Promise<HostJob> {
  if (!state) throw new UserError({ where: host.name, message: 'no deployment recorded on this host: stackscale has changed nothing here' });
  if (!state.originals || state.originalsIncomplete) {
    throw new UserError({
      where: host.name,
      message: 'this host was first deployed by a stackscale that did not keep the original files, so they are not all known',
      fix: `roll back to its oldest kept deployment instead (rollback --list), or restore from /var/backups/stackscale by hand`,
    });
  }
  const current = new Map(state.files.map((f) => [f.path, f]));
  const files: RenderedFile[] = [];
  for (const o of state.originals.filter((x) => x.existed && x.copy)) {
    const content = await t.readFile(o.copy!);
    if (content === null) throw new UserError({ where: host.name, message: `the original of ${o.path} is missing (${o.copy})`, fix: 'restore it by hand; nothing was changed' });
    // Shown like the file it replaces: a managed file that held secrets is never diffed.
    const secretsHeld = current.get(o.path)?.secrets ?? [];
    files.push({ host: host.name, path: o.path, content: content.toString('utf8'), mode: o.mode ?? 0o644, owner: o.owner ?? 'root', group: o.group ?? 'root', service: o.service, secrets: secretsHeld });
  }
  const remove: { path: string; service: Service }[] = [];
  for (const o of state.originals.filter((x) => !x.existed)) {
    if ((await t.run(['test', '-e', o.path])).code === 0) remove.push({ path: o.path, service: o.service });
  }
  const job = jobOf(t, host, facts, files, secrets);
  const plan = job.plan;
  // A service whose stackscale file is removed restarts, to come up on its own configuration again.
  for (const r of remove) {
    plan.actions = plan.actions.filter((a) => a.service !== r.service);
    plan.actions.push({ service: r.service, kind: 'restart', why: `${r.path} is removed (stackscale created it): back to the service's own configuration` });
  }
  plan.actions.sort((a, b) => SERVICE_ORDER.indexOf(a.service) - SERVICE_ORDER.indexOf(b.service));
  return { ...job, remove };
}

/** What a rollback of the reached hosts will do: one job per host, the deployment each goes back to, the plan shown. */
export interface RollbackPlan {
  jobs: HostJob[];
  targets: Map<string, Deployment>;
  label: string;
}

/** Each host's job back to `to` (a deployment id, ORIGINAL, or the one before the last when undefined). */
export async function planRollback(
  hosts: { host: { name: string; roles: string[] }; transport: Transport; facts: HostFacts }[],
  states: Map<string, StateFile | undefined>,
  to: string | undefined,
  secrets: SecretValues,
): Promise<RollbackPlan> {
  const jobs: HostJob[] = [];
  const targets = new Map<string, Deployment>();
  for (const c of hosts) {
    const host = { name: c.host.name, roles: c.host.roles };
    if (to === ORIGINAL) {
      const state = states.get(c.host.name);
      targets.set(c.host.name, { deployId: ORIGINAL, time: '', profile: state?.profile ?? '', toolVersion: '', kind: 'rollback', files: [] });
      jobs.push(await originalJob(c.transport, host, c.facts, state, secrets));
      continue;
    }
    const target = pickTarget(c.host.name, states.get(c.host.name), to);
    targets.set(c.host.name, target);
    jobs.push(await rollbackJob(c.transport, host, c.facts, target, secrets));
  }
  return { jobs, targets, label: `rollback to ${[...new Set([...targets.values()].map((t) => t.deployId))].join(', ')}` };
}

/** The rollback through the engine, each host recorded with the profile of the deployment it went back to. */
export async function runRollback(r: RollbackPlan, engine: EngineOptions, concurrency: number): Promise<ApplyResult> {
  return runStages(r.jobs, engine, concurrency, (job, o) => {
    const target = r.targets.get(job.host) as Deployment;
    return applyHost(job, { ...o, profile: target.profile }, { kind: 'rollback', restoredFrom: target.deployId });
  });
}
