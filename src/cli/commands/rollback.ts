import { EXIT, UserError } from '../../errors.js';
import { resolveSecrets } from '../../config/secrets.js';
import { closeAll, type Collected } from '../../plan/collect.js';
import { planHost, summarise } from '../../plan/build.js';
import { STATE_FILE } from '../../plan/paths.js';
import type { HostPlan } from '../../plan/types.js';
import type { RenderedFile, SecretValues } from '../../render/types.js';
import type { Transport } from '../../transport/types.js';
import { applyHost } from '../../apply/host.js';
import { newDeployId, parseState, type Deployment, type StateFile } from '../../apply/record.js';
import { runStages } from '../../apply/stages.js';
import type { HostJob } from '../../apply/types.js';
import type { CommandContext } from '../main.js';
import { loadInputs } from '../inputs.js';
import { printPlan } from '../print-plan.js';
import { confirmOrRefuse } from '../confirm.js';
import { connectAll, engineOptions, report } from './apply.js';

/**
 * `stackscale rollback [--to ID] [--list]`: put back the files of an earlier deployment, byte for byte, from the copy
 * that deployment kept on the host, through the same path as apply (check, back up, swap, reload, health, restore on
 * failure). A rollback is itself a deployment: it is recorded, so a second rollback goes forward again.
 */
export async function rollback(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const inputs = loadInputs(ctx, { requireSite: true });
  // Secrets are needed only to mask output; a rollback must work even where they are not set any more.
  let secrets: SecretValues = {};
  try {
    secrets = resolveSecrets(inputs.site, io.env);
  } catch {
    secrets = {};
  }
  const collected = await connectAll(ctx, inputs);
  try {
    const states = new Map<string, StateFile | undefined>();
    for (const c of collected) if (c.ok) states.set(c.host.name, parseState((await c.transport.readFile(STATE_FILE))?.toString('utf8')));
    if (options.list) return list(ctx, states);

    const to = options.to as string | undefined;
    const jobs: HostJob[] = [];
    const targets = new Map<string, Deployment>();
    for (const c of collected) {
      if (!c.ok) continue;
      const target = pickTarget(c.host.name, states.get(c.host.name), to);
      targets.set(c.host.name, target);
      const files = await filesOf(c.transport, c.host.name, target);
      const hostPlan: HostPlan = planHost({ name: c.host.name, roles: c.host.roles }, files, c.facts, secrets);
      jobs.push({ host: c.host.name, roles: c.host.roles, transport: c.transport, facts: c.facts, plan: hostPlan, files, sql: [] });
    }
    const label = `rollback to ${[...new Set([...targets.values()].map((t) => t.deployId))].join(', ')}`;
    const plan = summarise(label, jobs.map((j) => j.plan));
    printPlan(plan, out);
    if (!(await confirmOrRefuse(io, options.yes, `Roll back ${jobs.length} host(s) (${label})?`, 'roll back'))) {
      out.warn('rollback: nothing done (not confirmed)');
      return EXIT.error;
    }
    const deployId = newDeployId(new Date());
    const base = engineOptions(ctx, deployId, label, secrets);
    const result = await runStages(jobs, base, Number(options.concurrency ?? 10), (job, o) => {
      const target = targets.get(job.host) as Deployment;
      return applyHost(job, { ...o, profile: target.profile }, { kind: 'rollback', restoredFrom: target.deployId });
    });
    return report(ctx, result, 'rollback', plan);
  } finally {
    await closeAll(collected as Collected[]);
  }
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
  if (kept.length < 2) throw new UserError({ where: host, message: `only one deployment (${kept[0].deployId}) is recorded: there is no earlier one`, fix: 'pass --to ID to re-apply a kept deployment' });
  return kept[1];
}

/** The files as the target deployment left them, from its own copies on the host. */
async function filesOf(t: Transport, host: string, target: Deployment): Promise<RenderedFile[]> {
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

function list(ctx: CommandContext, states: Map<string, StateFile | undefined>): number {
  const { out } = ctx;
  const doc: Record<string, unknown[]> = {};
  for (const [host, state] of states) {
    const kept = state?.deployments ?? [];
    doc[host] = kept.map((d) => ({ deployId: d.deployId, time: d.time, profile: d.profile, kind: d.kind, restoredFrom: d.restoredFrom, toolVersion: d.toolVersion, files: d.files.map((f) => f.path) }));
    out.line(out.style.bold(`== ${host}`) + (kept.length ? '' : ' (no deployment recorded)'));
    kept.forEach((d, i) => {
      const mark = i === 0 ? ' (current)' : i === 1 ? ' (rollback default)' : '';
      const kind = d.kind === 'rollback' ? `rollback to ${d.restoredFrom}` : `profile ${d.profile}`;
      out.line(`  ${d.deployId}  ${d.time}  ${kind}  ${d.files.length} file(s)${mark}`);
    });
  }
  if (out.json) out.document({ ok: true, deployments: doc });
  return EXIT.ok;
}
