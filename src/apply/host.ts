// One host's deployment, in the order that keeps it whole (Ansible's copy path, Kamal's lock): lock; write candidates
// beside their destinations and verify them; run each daemon's checker; back up and rename into place; reload,
// restart or set at runtime; health-check; on a failure after the swap put every file back and re-apply. The
// decisions (which files, which action) were made in the plan; this module only carries them out.
import { posix } from 'node:path';
import type { RenderedFile } from '../render/types.js';
import type { Service } from '../daemons/services.js';
import type { FileChange, ServiceAction } from '../plan/types.js';
import type { SqlStep } from '../sql-step.js';
import { STATE_FILE } from '../host-paths.js';
import { parseRedisConf } from '../daemons/config-files.js';
import { proxysqlAdminFromCnf } from '../proxysql/admin.js';
import { acquireLock, releaseLock } from './lock.js';
import {
  NO_PARSER_EXIT, PENDING_FILE, backupPath, copyInto, ensureDir, findLeftovers, listDeployments, removeFiles, removeTrees,
  restore, sha256sum, swap, tempPath, snapshotPath, originalPath,
} from './file-steps.js';
import { checkerFailed, checkersFor } from './checkers.js';
import { redisEndpoint } from '../daemons/health.js';
import { SERVICE_ORDER, controlService, healthCheck, mysqlRuntime, redisRuntime, runSql, sysctlRuntime, type Outcome } from './services.js';
import { dirsToPrune, nextState, parsePending, parseState, type Deployment, type Pending, type RecordedFile } from './record.js';
import type { EngineOptions, HostJob, HostResult } from './types.js';

class StepFailure extends Error {
  constructor(readonly step: string, message: string, readonly output?: string) {
    super(message);
  }
}

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
  const health = { sleep: opts.sleep ?? defaultSleep, now: opts.now ?? (() => new Date()), timeoutMs: opts.healthTimeoutMs ?? 15_000 };

  // 2-3: candidates beside their destinations, verified, checked. A failure here changes nothing live.
  try {
    // A new file may be the first of its directory (/etc/stackscale, nginx's systemd drop-in directory).
    const newDirs = [...new Set(toWrite.filter(({ change }) => change.status === 'new').map(({ file }) => posix.dirname(file.path)))];
    if (newDirs.length > 0) await must(t.run(['mkdir', '-p', '--', ...newDirs]), 'write', `create ${newDirs.join(', ')}`);
    for (const [i, { file, change }] of toWrite.entries()) {
      await t.writeFile({ path: temps[i], content: file.content, mode: file.mode, owner: file.owner, group: file.group });
      const sum = await t.run(sha256sum(temps[i]));
      const got = sum.stdout.trim().split(/\s+/)[0];
      if (sum.code !== 0 || got !== change.sha256) {
        throw new StepFailure('write', `${file.path}: the candidate's sha256 is ${got || 'unreadable'}, the plan's ${change.sha256}`);
      }
      step(`write ${file.path}`, { ok: true, detail: `candidate ${temps[i]} written, sha256 verified` });
    }
    const checkers = checkersFor(toWrite.map(({ file }, i) => ({ file, temp: temps[i] })), job.facts);
    for (const [i, { file }] of toWrite.entries()) {
      const checker = checkers[i];
      if (!checker) continue;
      const res = await t.run(checker.argv, { timeoutMs: 60_000 });
      if (file.service === 'proxysql' && res.code === NO_PARSER_EXIT) {
        result.notes.push(`${file.path}: neither ProxySQL nor a libconfig parser (python3-libconf) on the host, ProxySQL's file was not checked`);
        continue;
      }
      if (checkerFailed(file.service, res.code, res.stderr)) {
        const output = opts.mask(`${res.stderr}${res.stdout}`.trim());
        throw new StepFailure('check', `${checker.name} rejected the candidate for ${file.path} (exit ${res.code})`, output);
      }
      step(`check ${file.path}`, { ok: true, detail: `${checker.name}: ok` });
    }
  } catch (err) {
    await t.run(removeFiles(temps)).catch(() => undefined);
    return fail(result, err, say, opts, 'nothing was swapped or reloaded; the live files are untouched');
  }

  // 3b: the directories the daemons write into, before any file points a daemon at them. Creating a directory or
  // tightening its owner is not undone by a rollback: an empty log directory harms nothing.
  for (const d of (job.plan.dirs ?? []).filter((x) => x.status !== 'unchanged')) {
    const r = await t.run(ensureDir(d.path, d.mode, d.owner, d.group));
    const mode = d.mode.toString(8).padStart(4, '0');
    if (r.code !== 0) {
      await t.run(removeFiles(temps)).catch(() => undefined);
      return fail(result, new StepFailure('dir', `could not ${d.status === 'new' ? 'create' : 'fix'} ${d.path} (${mode} ${d.owner}:${d.group}): ${r.stderr.trim() || `exit ${r.code}`}`), say, opts,
        'nothing was swapped or reloaded; the live files are untouched');
    }
    step(`dir ${d.path}`, { ok: true, detail: `${d.status === 'new' ? 'created' : 'fixed'}: ${mode} ${d.owner}:${d.group}, for ${d.why}` });
  }

  // 4: back up and swap. From here a failure puts every file back.
  const actions = actionsToRun(job, pending);
  const swapped: { path: string; backup: string | null }[] = [];
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
      const o = await runSql(t, job.facts, sql.target, sql.statements, proxysqlAdminAccess(job));
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

/** The plan's actions in service order, plus whatever an interrupted run had left to do. */
function actionsToRun(job: HostJob, pending: Pending | undefined): ServiceAction[] {
  const actions = [...job.plan.actions];
  for (const p of pending?.actions ?? []) {
    if (actions.some((a) => a.service === p.service) || p.service === 'stackscale') continue;
    // An interrupted runtime change may have half-happened: restart (or reload php-fpm) to be sure.
    const kind = p.service === 'php-fpm' || p.service === 'nginx' ? 'reload' : p.service === 'proxysql' ? 'admin' : p.service === 'sysctl' ? 'runtime' : 'restart';
    actions.push({ service: p.service, kind, why: 'converging a deployment that was interrupted' });
  }
  return actions.sort((a, b) => SERVICE_ORDER.indexOf(a.service) - SERVICE_ORDER.indexOf(b.service));
}

function touchedServices(actions: ServiceAction[], toWrite: { file: RenderedFile }[]): Service[] {
  const set = new Set<Service>([...actions.map((a) => a.service), ...toWrite.map((w) => w.file.service)]);
  return SERVICE_ORDER.filter((s) => set.has(s));
}

/** The service's main file as it is on the host after the swap ('new') or before it ('old'). */
function contentNow(job: HostJob, service: Service, which: 'new' | 'old'): string | undefined {
  const file = job.files.find((f) => f.service === service);
  if (!file) return undefined;
  return which === 'new' ? file.content : job.facts.files[file.path]?.content;
}

async function runAction(job: HostJob, action: ServiceAction, direction: 'forward' | 'back'): Promise<Outcome> {
  const t = job.transport;
  const names = (action.settings ?? []).map((s) => s.name);
  if (action.kind === 'reload' || action.kind === 'restart' || action.kind === 'start') {
    const kind = direction === 'back' && action.kind === 'start' ? 'restart' : action.kind;
    return controlService(t, job.facts, action.service, kind);
  }
  if (action.kind === 'runtime' && action.service === 'redis') {
    const oldText = contentNow(job, 'redis', 'old');
    const newText = contentNow(job, 'redis', 'new') ?? '';
    // Forward: authenticate with the password in force now (the old file's, as the host has it). Back: the new one
    // is in force: as sized when apply rendered it.
    const auth = direction === 'forward' ? redisEndpoint(oldText) : (job.endpoints?.redis ?? redisEndpoint(newText));
    return redisRuntime(t, auth.port, auth.password, names, direction === 'forward' ? newText : backValues(names, oldText ?? ''));
  }
  if (action.kind === 'runtime' && action.service === 'mysql') {
    const file = direction === 'forward' ? contentNow(job, 'mysql', 'new') : contentNow(job, 'mysql', 'old');
    return mysqlRuntime(t, job.facts, names, file ?? '');
  }
  if (action.kind === 'runtime' && action.service === 'sysctl') {
    const file = job.files.find((f) => f.service === 'sysctl');
    return file ? sysctlRuntime(t, file.path) : { ok: true, detail: 'no sysctl file' };
  }
  if (action.kind === 'admin') {
    // The admin SQL is run as the host's SQL steps; a restore of the cnf alone does not reach ProxySQL's runtime.
    return { ok: true, detail: direction === 'forward' ? 'through the admin interface (SQL below)' : 'the cnf was restored; ProxySQL runtime tables are left as they are' };
  }
  return { ok: true, detail: 'nothing to do' };
}

/** For undoing CONFIG SET: the old file's values, with Redis's defaults for settings the old file did not set. */
function backValues(names: string[], oldText: string): string {
  const old = parseRedisConf(oldText);
  const defaults: Record<string, string> = { maxmemory: '0', 'maxmemory-policy': 'noeviction', maxclients: '10000', timeout: '0', requirepass: '""' };
  return names.map((n) => `${n} ${old.get(n) ?? defaults[n] ?? ''}`).join('\n');
}

/** Put every swapped file back (or remove it if it was new), re-apply, re-check. True when the host is healthy. */
async function putBack(
  job: HostJob, swapped: { path: string; backup: string | null }[], actions: ServiceAction[], result: HostResult,
  opts: EngineOptions, health: { sleep: (ms: number) => Promise<void>; now: () => Date; timeoutMs: number }, sqlRan: SqlStep[] = [],
): Promise<boolean> {
  const t = job.transport;
  const say = (s: string): void => opts.progress(job.host, s);
  let ok = true;
  // ProxySQL's admin changes live in its database, not in the restored cnf: put the variables back there first, so
  // that the restart below comes up on the old ones.
  for (const sql of sqlRan) {
    const o = await runSql(t, job.facts, sql.target, sql.undo ?? [], proxysqlAdminAccess(job));
    ok &&= o.ok;
    say(`undo sql ${sql.target}: ${opts.mask(o.detail)}${o.ok ? '' : ` FAILED: ${opts.mask(o.output ?? '')}`}`);
  }
  for (const s of swapped) {
    const r = s.backup ? await t.run(restore(s.backup, s.path)) : await t.run(removeFiles([s.path]));
    ok &&= r.code === 0;
    say(`restore ${s.path}: ${r.code === 0 ? (s.backup ? `put back from ${s.backup}` : 'removed (it was new)') : `FAILED: ${r.stderr.trim()}`}`);
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

async function writeRecord(
  job: HostJob, opts: EngineOptions, swapped: { path: string; backup: string | null }[],
  result: HostResult, extra: { kind?: 'apply' | 'rollback'; restoredFrom?: string },
): Promise<void> {
  const t = job.transport;
  const id = opts.deployId;
  const files: RecordedFile[] = job.plan.files.map((c) => ({
    path: c.path, sha256: c.sha256, backup: swapped.find((s) => s.path === c.path)?.backup ?? null,
    snapshot: snapshotPath(id, c.path), service: c.service, mode: c.mode, owner: c.owner, group: c.group, secrets: c.secrets,
  }));
  for (const f of files) await must(t.run(copyInto(f.path, f.snapshot)), 'record', `keep a copy of ${f.path}`);
  const current: Deployment = {
    deployId: id, time: (opts.now ?? (() => new Date()))().toISOString(), profile: opts.profile, toolVersion: opts.toolVersion,
    kind: extra.kind ?? 'apply', ...(extra.restoredFrom ? { restoredFrom: extra.restoredFrom } : {}), files,
  };
  const previous = parseState((await t.readFile(STATE_FILE))?.toString('utf8'));
  const { state } = nextState(previous, current);
  // The first time a path is replaced, what it replaced is the original: keep it for `rollback --to original`.
  const originals = [...(previous?.originals ?? [])];
  for (const s of swapped) {
    if (originals.some((o) => o.path === s.path)) continue;
    const fact = job.facts.files[s.path];
    const service = job.files.find((f) => f.path === s.path)?.service ?? job.remove?.find((r) => r.path === s.path)?.service ?? 'php-fpm';
    if (s.backup) await must(t.run(copyInto(s.backup, originalPath(s.path))), 'record', `keep the original of ${s.path}`);
    originals.push({
      path: s.path, existed: s.backup !== null, copy: s.backup ? originalPath(s.path) : null,
      ...(fact?.mode !== undefined ? { mode: fact.mode } : {}), ...(fact?.owner ? { owner: fact.owner } : {}), ...(fact?.group ? { group: fact.group } : {}),
      service, since: id,
    });
  }
  state.originals = originals;
  if ((previous && previous.originals === undefined) || previous?.originalsIncomplete) state.originalsIncomplete = true;
  await t.writeFile({ path: STATE_FILE, content: JSON.stringify(state, null, 2) + '\n', mode: 0o600, owner: 'root', group: 'root' });
  const existing = lines((await t.run(listDeployments())).stdout);
  const prune = dirsToPrune(existing, state, id);
  if (prune.length > 0) {
    await t.run(removeTrees(prune.map((d) => posix.join('/var/backups/stackscale', d))));
    result.notes.push(`pruned ${prune.length} old backup set(s): ${prune.join(', ')}`);
  }
  result.steps.push({ step: 'record', ok: true, detail: `${STATE_FILE} written (deployment ${id})` });
  opts.progress(job.host, `record: ${STATE_FILE} written (deployment ${id})`);
}

function proxysqlAdminAccess(job: HostJob): { port: number; user: string; password?: string } | undefined {
  if (job.endpoints?.proxysqlAdmin) return job.endpoints.proxysqlAdmin;
  // A rollback's file comes from an earlier deployment: its login is the one in that file.
  const cnf = job.files.find((f) => f.service === 'proxysql');
  return cnf ? proxysqlAdminFromCnf(cnf.content) : undefined;
}

async function must(p: Promise<{ code: number; stderr: string }>, stepName: string, what: string): Promise<void> {
  const r = await p;
  if (r.code !== 0) throw new StepFailure(stepName, `could not ${what}: ${r.stderr.trim() || `exit ${r.code}`}`);
}

function fail(result: HostResult, err: unknown, say: (s: string) => void, opts: EngineOptions, consequence: string): void {
  const f = err instanceof StepFailure ? err : new StepFailure('internal', err instanceof Error ? err.message : String(err));
  result.status = 'failed';
  result.error = { step: f.step, message: opts.mask(f.message), ...(f.output ? { output: opts.mask(f.output) } : {}) };
  result.steps.push({ step: f.step, ok: false, detail: opts.mask(f.message) });
  say(`FAILED at ${f.step}: ${opts.mask(f.message)}`);
  if (f.output) for (const l of opts.mask(f.output).split('\n')) say(`  | ${l}`);
  if (consequence) {
    result.notes.push(consequence);
    say(consequence);
  }
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

