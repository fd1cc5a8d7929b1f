// Undoing one host's deployment after a failure past the swap: every swapped file put back (or removed if it was new),
// the ProxySQL admin SQL undone, the services re-applied on the old files and health-checked again.
import type { RenderedFile } from '../render/types.js';
import type { ServiceAction } from '../plan/types.js';
import type { SqlStep } from '../sql-step.js';
import { PENDING_FILE, removeFiles, restore } from './file-steps.js';
import { healthCheck, runSql } from './services.js';
import { contentNow, proxysqlAdminAccess, runAction, touchedServices } from './host-actions.js';
import type { HealthTiming } from './host-step.js';
import type { EngineOptions, HostJob, HostResult } from './types.js';

/** A file the deployment replaced (with its backup) or created (backup null). */
export interface Swapped {
  path: string;
  backup: string | null;
}

/** Put every swapped file back (or remove it if it was new), re-apply, re-check. True when the host is healthy. */
export async function putBack(
  job: HostJob, swapped: Swapped[], actions: ServiceAction[], result: HostResult,
  opts: EngineOptions, health: HealthTiming, sqlRan: SqlStep[] = [],
): Promise<boolean> {
  const t = job.transport;
  const say = (s: string): void => opts.progress(job.host, s);
  let ok = true;
  for (const s of swapped) {
    const r = s.backup ? await t.run(restore(s.backup, s.path)) : await t.run(removeFiles([s.path]));
    ok &&= r.code === 0;
    say(`restore ${s.path}: ${r.code === 0 ? (s.backup ? `put back from ${s.backup}` : 'removed (it was new)') : `FAILED: ${r.stderr.trim()}`}`);
  }
  // ProxySQL's admin changes live in its database, not in the restored cnf: undo them there (after the files, for a
  // rollback's undo reads the restored cnf), before the restart below, so that it comes up on the old values. It logs in
  // as the SQL that ran left ProxySQL ('after': on an apply the sized login either way).
  for (const sql of sqlRan) {
    const o = await runSql(t, job.facts, sql.target, sql.undo ?? [], proxysqlAdminAccess(job, 'after'));
    ok &&= o.ok;
    say(`undo sql ${sql.target}: ${opts.mask(o.detail)}${o.ok ? '' : ` FAILED: ${opts.mask(o.output ?? '')}`}`);
  }
  for (const action of actions) {
    const o = await runAction(job, action, 'back');
    ok &&= o.ok;
    say(`re-apply ${action.service}: ${opts.mask(o.detail)}${o.ok ? '' : ' FAILED'}`);
  }
  for (const service of touchedServices(actions, swapped.map((s) => ({ file: job.files.find((f) => f.path === s.path) as RenderedFile })))) {
    const o = await healthCheck(t, job.facts, service, contentNow(job, service, 'old'), job.roles, health);
    ok &&= o.ok;
    say(`re-check ${service}: ${opts.mask(o.detail)}`);
  }
  if (ok) {
    await t.run(removeFiles([PENDING_FILE])).catch(() => undefined);
    result.notes.push('rolled back: the previous files are in place and their services answer');
  } else {
    result.notes.push('the rollback itself did not complete cleanly: check the host (the next apply converges from the in-flight marker)');
  }
  say(ok ? 'rolled back: previous files in place, services answering' : 'rollback incomplete: check the host');
  return ok;
}
