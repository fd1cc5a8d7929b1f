// Assemble the plan: rendered files against the host's facts. Pure: no transport, no printing.
import type { HostFacts } from '../facts/types.js';
import type { RenderedFile } from '../render/types.js';
import type { Service } from '../daemons/services.js';
import type { SecretValues } from '../config/types.js';
import type { DirChange, FileChange, HostPlan, Plan, ServiceAction, SqlStep } from './types.js';
import { maskText } from '../mask.js';
import { decideAction, serviceRunning } from './actions.js';
import { parseIniOptions } from '../daemons/config-files.js';
import { PatchMemo } from './patch.js';
import { sha256 } from '../util/sha256.js';

export { sha256 };

export function planFile(file: RenderedFile, facts: HostFacts, secrets: SecretValues): FileChange {
  const current = facts.files[file.path];
  const exists = Boolean(current?.exists);
  const before = current?.content;
  const status = !exists ? 'new' : before === file.content ? 'unchanged' : 'changed';
  const recorded = facts.lastDeployment?.files.find((f) => f.path === file.path);
  const drift = Boolean(exists && recorded && current?.sha256 && recorded.sha256 !== current.sha256);
  const metaChanged =
    exists && (current?.mode !== file.mode || current?.owner !== file.owner || current?.group !== file.group);
  const change: FileChange = {
    path: file.path,
    service: file.service,
    status,
    drift,
    mode: file.mode,
    owner: file.owner,
    group: file.group,
    metaChanged: Boolean(metaChanged),
    secrets: file.secrets,
    sha256: sha256(file.content),
  };
  if (status !== 'unchanged' && file.secrets.length === 0) change.diff = maskedPatch(file.path, before ?? '', file.content, secrets);
  return change;
}

/** One memo of patches per run (per secrets object): hosts of one role share most of their patches (plan/patch.ts). */
const patchMemos = new WeakMap<object, PatchMemo>();

function maskedPatch(path: string, before: string, after: string, secrets: SecretValues): string {
  let memo = patchMemos.get(secrets);
  if (!memo) patchMemos.set(secrets, (memo = new PatchMemo()));
  return maskText(memo.patch(`${path} (on host)`, `${path} (planned)`, before, after), secrets);
}

/** The directories the host's daemons write into, against what the host has (facts stat them like files). */
export function planDirs(files: RenderedFile[], facts: HostFacts): DirChange[] {
  const out: DirChange[] = [];
  for (const file of files) {
    for (const d of file.dirs ?? []) {
      if (out.some((o) => o.path === d.path)) continue;
      const cur = facts.files[d.path];
      const status = !cur?.exists ? 'new' : cur.mode !== d.mode || cur.owner !== d.owner || cur.group !== d.group ? 'changed' : 'unchanged';
      const change: DirChange = { path: d.path, service: file.service, status, mode: d.mode, owner: d.owner, group: d.group, why: d.why };
      if (cur?.exists) change.current = { mode: cur.mode, owner: cur.owner, group: cur.group };
      out.push(change);
    }
  }
  return out;
}

/**
 * MariaDB and MySQL turn the slow log off when they cannot open its file, and open it again only when told: once
 * the directory is there, SET GLOBAL of the file and the switch (values from the deployed file) brings it back
 * without a restart. Redis opens its logfile for every line it writes, so it needs nothing.
 */
const REOPEN: Partial<Record<Service, string[]>> = { mysql: ['slow_query_log_file', 'slow_query_log'] };

function dirAction(dirs: DirChange[], files: RenderedFile[], prior: ServiceAction | undefined, service: Service): ServiceAction | undefined {
  const names = REOPEN[service];
  const fixed = dirs.filter((d) => d.service === service && d.status !== 'unchanged');
  if (!names || fixed.length === 0) return prior;
  if (prior && prior.kind !== 'runtime') return prior; // a restart or start opens the file anyway
  const conf = parseIniOptions(files.find((f) => f.service === service)?.content ?? '');
  const settings = [...(prior?.settings ?? [])];
  for (const n of names) if (conf.has(n) && !settings.some((s) => s.name === n)) settings.push({ name: n, value: conf.get(n) as string });
  const why = `${fixed.map((d) => d.path).join(', ')} ${fixed.some((d) => d.status === 'new') ? 'is created' : 'is fixed'}: the server reopens its slow log (SET GLOBAL)`;
  return { service, kind: 'runtime', why: prior ? `${prior.why}; ${why}` : why, settings };
}

const STRENGTH: Record<ServiceAction['kind'], number> = { runtime: 1, admin: 1, reload: 2, start: 3, restart: 4 };

/** One action per service: the strongest any of its changed files needs. */
export function planActions(files: RenderedFile[], changes: FileChange[], facts: HostFacts, dirs: DirChange[] = []): ServiceAction[] {
  const byService = new Map<Service, ServiceAction>();
  for (const file of files) {
    const change = changes.find((c) => c.path === file.path);
    if (!change || (change.status === 'unchanged' && !change.metaChanged)) continue;
    const action = decideAction(file.service, file, facts.files[file.path]?.content, facts);
    if (!action) continue;
    const prior = byService.get(file.service);
    if (!prior || STRENGTH[action.kind] > STRENGTH[prior.kind]) byService.set(file.service, action);
  }
  for (const service of new Set(dirs.map((d) => d.service))) {
    if (!serviceRunning(facts, service)) continue; // a start opens the files anyway
    const action = dirAction(dirs, files, byService.get(service), service);
    if (action) byService.set(service, action);
  }
  return [...byService.values()];
}

export function planHost(
  host: { name: string; roles: string[] },
  files: RenderedFile[],
  facts: HostFacts,
  secrets: SecretValues,
  sql: SqlStep[] = [],
): HostPlan {
  const changes = files.map((f) => planFile(f, facts, secrets));
  const dirs = planDirs(files, facts);
  return { host: host.name, roles: host.roles, files: changes, dirs, actions: planActions(files, changes, facts, dirs), sql };
}

export function summarise(profile: string, hosts: HostPlan[]): Plan {
  const files = hosts.flatMap((h) => h.files);
  return {
    profile,
    hosts,
    summary: {
      hosts: hosts.length,
      installs: hosts.filter((h) => h.install).length,
      changedFiles: files.filter((f) => f.status === 'changed').length,
      newFiles: files.filter((f) => f.status === 'new').length,
      unchangedFiles: files.filter((f) => f.status === 'unchanged').length,
      drifted: files.filter((f) => f.drift).length,
      actions: hosts.reduce((n, h) => n + h.actions.length + h.sql.length, 0),
      failedHosts: hosts.filter((h) => h.error).length,
    },
  };
}

/** True when applying the plan would change something on some host. */
export function hasChanges(plan: Plan): boolean {
  return plan.hosts.some(
    (h) =>
      Boolean(h.install) ||
      h.files.some((f) => f.status !== 'unchanged' || f.metaChanged) ||
      h.sql.length > 0 ||
      (h.dirs ?? []).some((d) => d.status !== 'unchanged'),
  );
}
