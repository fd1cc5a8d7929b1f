// The plan's service actions on one host, forward (after the swap) and back (after a restore): which to run and in
// what order, and each one run against the file in force. Shared by the deployment (host.ts) and its undo (put-back.ts).
import type { RenderedFile } from '../render/types.js';
import type { Service } from '../daemons/services.js';
import type { ServiceAction } from '../plan/types.js';
import { parseRedisConf } from '../daemons/config-files.js';
import { redisEndpoint } from '../daemons/health.js';
import { proxysqlAdminFromCnf } from '../proxysql/admin.js';
import { SERVICE_ORDER, controlService, mysqlRuntime, redisRuntime, sysctlRuntime, type Outcome } from './services.js';
import type { Pending } from './record.js';
import type { HostJob } from './types.js';

/** The plan's actions in service order, plus whatever an interrupted run had left to do. */
export function actionsToRun(job: HostJob, pending: Pending | undefined): ServiceAction[] {
  const actions = [...job.plan.actions];
  for (const p of pending?.actions ?? []) {
    if (actions.some((a) => a.service === p.service) || p.service === 'stackscale') continue;
    // An interrupted runtime change may have half-happened: restart (or reload php-fpm) to be sure.
    const kind = p.service === 'php-fpm' || p.service === 'nginx' ? 'reload' : p.service === 'proxysql' ? 'admin' : p.service === 'sysctl' ? 'runtime' : 'restart';
    actions.push({ service: p.service, kind, why: 'converging a deployment that was interrupted' });
  }
  return actions.sort((a, b) => SERVICE_ORDER.indexOf(a.service) - SERVICE_ORDER.indexOf(b.service));
}

export function touchedServices(actions: ServiceAction[], toWrite: { file: RenderedFile }[]): Service[] {
  const set = new Set<Service>([...actions.map((a) => a.service), ...toWrite.map((w) => w.file.service)]);
  return SERVICE_ORDER.filter((s) => set.has(s));
}

/** The service's main file as it is on the host after the swap ('new') or before it ('old'). */
export function contentNow(job: HostJob, service: Service, which: 'new' | 'old'): string | undefined {
  const file = job.files.find((f) => f.service === service);
  if (!file) return undefined;
  return which === 'new' ? file.content : job.facts.files[file.path]?.content;
}

export async function runAction(job: HostJob, action: ServiceAction, direction: 'forward' | 'back'): Promise<Outcome> {
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
    return { ok: true, detail: direction === 'forward' ? 'through the admin interface (SQL below)' : "the cnf was restored; ProxySQL's runtime is as the undo SQL above left it" };
  }
  return { ok: true, detail: 'nothing to do' };
}

/** For undoing CONFIG SET: the old file's values, with Redis's defaults for settings the old file did not set. */
function backValues(names: string[], oldText: string): string {
  const old = parseRedisConf(oldText);
  const defaults: Record<string, string> = { maxmemory: '0', 'maxmemory-policy': 'noeviction', maxclients: '10000', timeout: '0', requirepass: '""' };
  return names.map((n) => `${n} ${old.get(n) ?? defaults[n] ?? ''}`).join('\n');
}

/**
 * The login ProxySQL's admin SQL runs with: the sized one on an apply. A rollback's cnf comes from an earlier
 * deployment and may name another login ('after': the one in force once its SQL has loaded that cnf), while ProxySQL
 * still runs on the host's current cnf ('before': the one its own SQL logs in with).
 */
export function proxysqlAdminAccess(job: HostJob, which: 'before' | 'after' = 'after'): { port: number; user: string; password?: string } | undefined {
  if (job.endpoints?.proxysqlAdmin) return job.endpoints.proxysqlAdmin;
  const cnf = job.files.find((f) => f.service === 'proxysql');
  if (!cnf) return undefined;
  const current = job.facts.files[cnf.path];
  return proxysqlAdminFromCnf(which === 'before' && current?.exists ? current.content : cnf.content);
}
