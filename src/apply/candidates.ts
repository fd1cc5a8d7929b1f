// Steps 2-3b of a host's deployment, before anything live changes: every candidate written beside its destination,
// its sha256 verified against the plan's, checked by the daemon's own checker; then the directories the daemons write
// into. A failure here throws a StepFailure and leaves the live files untouched.
import { posix } from 'node:path';
import type { RenderedFile } from '../render/types.js';
import type { FileChange } from '../plan/types.js';
import { NO_PARSER_EXIT, ensureDir, sha256sum } from './file-steps.js';
import { checkerFailed, checkersFor } from './checkers.js';
import type { Outcome } from './services.js';
import { StepFailure, must } from './host-step.js';
import type { EngineOptions, HostJob, HostResult } from './types.js';

/** Write, verify and check each candidate (`temps[i]` is `toWrite[i]`'s temp path). */
export async function stageCandidates(
  job: HostJob, opts: EngineOptions, toWrite: { change: FileChange; file: RenderedFile }[], temps: string[],
  result: HostResult, step: (name: string, o: Outcome) => void,
): Promise<void> {
  const t = job.transport;
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
}

/**
 * The directories the daemons write into, before any file points a daemon at them. Creating a directory or
 * tightening its owner is not undone by a rollback: an empty log directory harms nothing.
 */
export async function prepareDirs(job: HostJob, step: (name: string, o: Outcome) => void): Promise<void> {
  for (const d of (job.plan.dirs ?? []).filter((x) => x.status !== 'unchanged')) {
    const r = await job.transport.run(ensureDir(d.path, d.mode, d.owner, d.group));
    const mode = d.mode.toString(8).padStart(4, '0');
    if (r.code !== 0) {
      throw new StepFailure('dir', `could not ${d.status === 'new' ? 'create' : 'fix'} ${d.path} (${mode} ${d.owner}:${d.group}): ${r.stderr.trim() || `exit ${r.code}`}`);
    }
    step(`dir ${d.path}`, { ok: true, detail: `${d.status === 'new' ? 'created' : 'fixed'}: ${mode} ${d.owner}:${d.group}, for ${d.why}` });
  }
}
