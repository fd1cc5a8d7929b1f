// One host's deployment, in the order that keeps it whole (Ansible's copy path, Kamal's lock): lock; write candidates
// beside their destinations and verify them; run each daemon's checker (candidates.ts); back up and rename into place;
// reload, restart or set at runtime (host-actions.ts); health-check; on a failure after the swap put every file back
// and re-apply (put-back.ts); record the deployment (write-record.ts). The decisions (which files, which action) were
// made in the plan; this module only carries them out.
import { posix } from 'node:path';
import type { RenderedFile } from '../render/types.js';
import type { FileChange, ServiceAction } from '../plan/types.js';
import type { SqlStep } from '../sql-step.js';
import { acquireLock, releaseLock } from './lock.js';
import { PENDING_FILE, backupPath, copyInto, findLeftovers, removeFiles, swap, tempPath } from './file-steps.js';
import { healthCheck, runSql, type Outcome } from './services.js';
import { parsePending, type Pending } from './record.js';
import { prepareDirs, stageCandidates } from './candidates.js';
import { actionsToRun, contentNow, proxysqlAdminAccess, runAction, touchedServices } from './host-actions.js';
import { StepFailure, defaultSleep, fail, lines, must, type HealthTiming } from './host-step.js';
import { putBack, type Swapped } from './put-back.js';
import { writeRecord } from './write-record.js';
import type { EngineOptions, HostJob, HostResult } from './types.js';

/** Files the plan says must be written: new, changed, or with a different mode/owner. */
export function filesToWrite(job: HostJob): { change: FileChange; file: RenderedFile }[] {
  return job.plan.files
    .filter((c) => c.status !== 'unchanged' || c.metaChanged)
    .map((change) => ({ change, file: job.files.find((f) => f.path === change.path) as RenderedFile }))
    .filter((x) => x.file !== undefined);
}

export async function applyHost(job: HostJob, opts: EngineOptions, extra: { kind?: 'apply' | 'rollback'; restoredFrom?: string } = {}): Promise<HostResult> {
  const t = job.transport;
  const result: HostResult = { host: job.host, status: 'unchanged', changed: [], actions: [], steps: [], notes: [] };
  const say = (step: string): void => opts.progress(job.host, step);
  const toWrite = filesToWrite(job);
  const dirs = [...new Set(job.files.map((f) => posix.dirname(f.path)))].sort();

  // Read-only look first: with nothing to change and nothing left by an interrupted run, the host is not touched
  // at all: no lock, no record, no reload (the last record still describes what the host runs).
  const leftovers = dirs.length ? lines((await t.run(findLeftovers(dirs, false))).stdout) : [];
  const pending = parsePending((await t.readFile(PENDING_FILE))?.toString('utf8'));
  const dirsToFix = (job.plan.dirs ?? []).filter((d) => d.status !== 'unchanged');
  if (toWrite.length === 0 && dirsToFix.length === 0 && job.sql.length === 0 && leftovers.length === 0 && !pending && !(job.remove?.length)) {
    say('unchanged: nothing to do');
    return result;
  }

  say('taking the lock');
  await acquireLock(t, {
    owner: opts.owner, timeoutMs: opts.lockTimeoutMs, breakLock: opts.breakLock,
    sleep: opts.sleep ?? defaultSleep, now: opts.now ?? (() => new Date()), progress: say,
  });
  try {
    if (leftovers.length > 0) {
      await t.run(findLeftovers(dirs, true));
      result.notes.push(`removed ${leftovers.length} temp file(s) left by an interrupted run: ${leftovers.join(', ')}`);
      say(`removed leftover temp files: ${leftovers.join(', ')}`);
    }
    if (pending) {
      result.notes.push(`deployment ${pending.deployId} was interrupted after its files were swapped: its services are re-applied`);
      say(`deployment ${pending.deployId} was interrupted: converging its services`);
    }
    await deploy(job, opts, toWrite, pending, result, extra);
  } finally {
    try {
      await releaseLock(t);
      say('lock released');
    } catch (err) {
      result.notes.push(`could not release the lock: ${(err as Error).message}`);
    }
  }
  return result;
}

async function deploy(
  job: HostJob, opts: EngineOptions, toWrite: { change: FileChange; file: RenderedFile }[], pending: Pending | undefined,
  result: HostResult, extra: { kind?: 'apply' | 'rollback'; restoredFrom?: string },
): Promise<void> {
  const t = job.transport;
  const say = (step: string): void => opts.progress(job.host, step);
  const step = (name: string, o: Outcome): void => {
    result.steps.push({ step: name, ok: o.ok, detail: opts.mask(o.detail) });
    say(`${name}: ${opts.mask(o.detail)}`);
  };
  const id = opts.deployId;
  const temps = toWrite.map(({ file }) => tempPath(file.path, id));
  const health: HealthTiming = { sleep: opts.sleep ?? defaultSleep, now: opts.now ?? (() => new Date()), timeoutMs: opts.healthTimeoutMs ?? 15_000 };

  // 2-3b: candidates beside their destinations, verified, checked; the daemons' directories. A failure here changes
  // nothing live.
  try {
    await stageCandidates(job, opts, toWrite, temps, result, step);
    await prepareDirs(job, step);
  } catch (err) {
    await t.run(removeFiles(temps)).catch(() => undefined);
    return fail(result, err, say, opts, 'nothing was swapped or reloaded; the live files are untouched');
  }

  // 4: back up and swap. From here a failure puts every file back.
  const actions = actionsToRun(job, pending);
  const swapped: Swapped[] = [];
  const sqlRan: SqlStep[] = [];
  try {
    const marker: Pending = { deployId: id, actions: actions.map((a) => ({ service: a.service, kind: a.kind })) };
    await t.writeFile({ path: PENDING_FILE, content: JSON.stringify(marker) + '\n', mode: 0o600, owner: 'root', group: 'root' });
    for (const [i, { file }] of toWrite.entries()) {
      const existed = Boolean(job.facts.files[file.path]?.exists);
      const backup = existed ? backupPath(id, file.path) : null;
      if (backup) await must(t.run(copyInto(file.path, backup)), 'backup', `back up ${file.path}`);
      await must(t.run(swap(temps[i], file.path)), 'swap', `rename the candidate over ${file.path}`);
      swapped.push({ path: file.path, backup });
      result.changed.push(file.path);
      step(`swap ${file.path}`, { ok: true, detail: backup ? `in place, old file kept at ${backup}` : 'in place (new file)' });
    }
    for (const r of job.remove ?? []) {
      // Kept in this deployment's backups like a replaced file, so a failure below puts it back.
      const backup = backupPath(id, r.path);
      await must(t.run(copyInto(r.path, backup)), 'backup', `back up ${r.path}`);
      await must(t.run(removeFiles([r.path])), 'remove', `remove ${r.path}`);
      swapped.push({ path: r.path, backup });
      result.changed.push(r.path);
      step(`remove ${r.path}`, { ok: true, detail: `stackscale created it; kept at ${backup}` });
    }
    // 5: apply with the least disruption, database first. A ProxySQL restart comes after the admin SQL that saved
    // the restart-only variables it is for.
    const act = async (action: ServiceAction): Promise<void> => {
      const o = await runAction(job, action, 'forward');
      step(`${action.service} ${action.kind}`, o);
      result.actions.push(`${action.service} ${action.kind}`);
      if (!o.ok) throw new StepFailure('apply', `${action.service} ${action.kind} failed: ${opts.mask(o.detail)}`, o.output && opts.mask(o.output));
    };
    const afterSql = (a: ServiceAction): boolean => a.service === 'proxysql' && a.kind === 'restart';
    for (const action of actions.filter((a) => !afterSql(a))) await act(action);
    for (const sql of job.sql) {
      const o = await runSql(t, job.facts, sql.target, sql.statements, proxysqlAdminAccess(job, 'before'));
      if (sql.undo?.length) sqlRan.push(sql);
      step(`sql ${sql.target}`, { ...o, detail: `${sql.purpose}: ${o.detail}` });
      if (!o.ok) throw new StepFailure('sql', `${sql.purpose} failed`, o.output && opts.mask(o.output));
    }
    for (const action of actions.filter(afterSql)) await act(action);
    // 6: every service touched must answer on its new file.
    for (const service of touchedServices(actions, toWrite)) {
      const o = await healthCheck(t, job.facts, service, contentNow(job, service, 'new'), job.roles, health, job.endpoints);
      step(`health ${service}`, o);
      if (!o.ok) throw new StepFailure('health', `${service} is not healthy after the change: ${opts.mask(o.detail)}`, o.output && opts.mask(o.output));
    }
  } catch (err) {
    await t.run(removeFiles(temps.filter((_, i) => !swapped.some((s) => s.path === toWrite[i].file.path)))).catch(() => undefined);
    fail(result, err, say, opts, '');
    result.restored = await putBack(job, swapped, actions, result, opts, health, sqlRan);
    result.status = 'rolled-back';
    return;
  }

  // 8: the record, this deployment's copies, pruning; then the in-flight marker goes.
  await writeRecord(job, opts, swapped, result, extra);
  await t.run(removeFiles([PENDING_FILE]));
  result.status = 'applied';
  result.deployId = id;
  say(`applied: ${result.changed.length} file(s), ${result.actions.length ? result.actions.join(', ') : 'no service action'}`);
}
