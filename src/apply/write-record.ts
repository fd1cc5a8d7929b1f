// The last step of a host's deployment: the record in state.json (read through record.ts's zod shapes), a copy of
// every file as deployed, the originals kept the first time a path is replaced, old backup sets pruned.
import { posix } from 'node:path';
import { STATE_FILE } from '../host-paths.js';
import { copyInto, listDeployments, originalPath, removeTrees, snapshotPath } from './file-steps.js';
import { dirsToPrune, nextState, parseState, type Deployment, type RecordedFile } from './record.js';
import { lines, must } from './host-step.js';
import type { Swapped } from './put-back.js';
import type { EngineOptions, HostJob, HostResult } from './types.js';

export async function writeRecord(
  job: HostJob, opts: EngineOptions, swapped: Swapped[],
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
