import { EXIT } from '../../errors.js';
import { resolveSecrets } from '../../config/secrets.js';
import { closeAll, type Collected } from '../../plan/collect.js';
import { summarise } from '../../plan/build.js';
import type { SecretValues } from '../../config/types.js';
import { applyHost } from '../../apply/host.js';
import { newDeployId, type Deployment, type StateFile } from '../../apply/record.js';
import { ORIGINAL, originalJob, pickTarget, readState, rollbackJob } from '../../apply/rollback.js';
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
    for (const c of collected) if (c.ok) states.set(c.host.name, await readState(c.transport));
    if (options.list) return list(ctx, states);

    const to = options.to as string | undefined;
    const jobs: HostJob[] = [];
    const targets = new Map<string, Deployment>();
    for (const c of collected) {
      if (!c.ok) continue;
      if (to === ORIGINAL) {
        const state = states.get(c.host.name);
        targets.set(c.host.name, { deployId: ORIGINAL, time: '', profile: state?.profile ?? '', toolVersion: '', kind: 'rollback', files: [] });
        jobs.push(await originalJob(c.transport, { name: c.host.name, roles: c.host.roles }, c.facts, state, secrets));
        continue;
      }
      const target = pickTarget(c.host.name, states.get(c.host.name), to);
      targets.set(c.host.name, target);
      jobs.push(await rollbackJob(c.transport, { name: c.host.name, roles: c.host.roles }, c.facts, target, secrets));
    }
    const label = `rollback to ${[...new Set([...targets.values()].map((t) => t.deployId))].join(', ')}`;
    const plan = summarise(label, jobs.map((j) => j.plan));
    printPlan(plan, out);
    for (const j of jobs) for (const r of j.remove ?? []) out.line(`${j.host}: remove ${r.path} (stackscale created it)`);
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
    // The oldest entry: the host before stackscale (rollback --to original).
    const originals = state?.originals;
    if (originals && !state?.originalsIncomplete) {
      const restore = originals.filter((o) => o.existed).map((o) => o.path);
      const remove = originals.filter((o) => !o.existed).map((o) => o.path);
      doc[host].push({ deployId: ORIGINAL, time: '', profile: '', kind: 'rollback', files: [...restore, ...remove] });
      out.line(`  ${ORIGINAL}  before stackscale: ${restore.length} file(s) to restore, ${remove.length} it created to remove (--to original)`);
    } else if (kept.length > 0) {
      out.line(`  (${ORIGINAL} unknown: first deployed by a stackscale that kept no originals)`);
    }
  }
  if (out.json) out.document({ ok: true, deployments: doc });
  return EXIT.ok;
}
