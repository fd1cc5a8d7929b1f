// `stackscale rollback [--to ID] [--list]` (src/apply/rollback.ts).
import { EXIT } from '../../errors.js';
import { summarise } from '../../plan/build.js';
import { engineOptions } from '../../apply/deploy.js';
import { newDeployId, type StateFile } from '../../apply/record.js';
import { ORIGINAL, planRollback, readState, runRollback } from '../../apply/rollback.js';
import { SiteSession } from '../../session/session.js';
import { printPlan } from '../print-plan.js';
import { confirmOrRefuse } from '../confirm.js';
import { reportDeployment } from '../apply-report.js';
import { progressLine, sessionRequest, type CommandContext } from '../context.js';

/**
 * `stackscale rollback [--to ID] [--list]`: put back the files of an earlier deployment, byte for byte, from the copy
 * that deployment kept on the host, through the same path as apply (check, back up, swap, reload, health, restore on
 * failure). A rollback is itself a deployment: it is recorded, so a second rollback goes forward again.
 */
export async function rollback(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const session = SiteSession.open(sessionRequest(ctx, { quietWithJson: false }));
  // Secrets are needed only to mask output; a rollback must work even where they are not set any more.
  const secrets = session.availableSecrets();
  await session.connect();
  const reached = await session.requireAllReached('nothing was changed on any host');
  try {
    const states = new Map<string, StateFile | undefined>();
    for (const c of reached) states.set(c.host.name, await readState(c.transport));
    if (options.list) return list(ctx, states);

    const planned = await planRollback(reached, states, options.to as string | undefined, secrets);
    const plan = summarise(planned.label, planned.jobs.map((j) => j.plan));
    printPlan(plan, out);
    for (const j of planned.jobs) for (const r of j.remove ?? []) out.line(`${j.host}: remove ${r.path} (stackscale created it)`);
    if (!(await confirmOrRefuse(io, options.yes, `Roll back ${planned.jobs.length} host(s) (${planned.label})?`, 'roll back'))) {
      out.warn('rollback: nothing done (not confirmed)');
      return EXIT.error;
    }
    const deployId = newDeployId(new Date());
    const engine = engineOptions({ deployId, profile: planned.label, secrets, lockTimeoutS: Number(options.lockTimeout ?? 0), breakLock: Boolean(options.breakLock), progress: progressLine(ctx), env: io.env });
    const result = await runRollback(planned, engine, session.concurrency);
    return reportDeployment(ctx, result, 'rollback', plan);
  } finally {
    await session.close();
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
