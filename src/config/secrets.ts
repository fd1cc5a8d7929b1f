// Secret values, read where the site file says (env:NAME or file:PATH) at the moment they are needed. Problems name
// the key and the variable or file, never the value.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { InvalidInputError, type Problem } from '../errors.js';
import type { SecretValues } from './types.js';
import { shownPath } from './source.js';
import type { Role, SecretKey, Site } from './types.js';

/** Which secrets each role's files and SQL need. */
export const NEEDED_BY: Record<SecretKey, Role[]> = {
  redis_password: ['cache'],
  app_db_password: ['db-primary', 'proxysql'],
  replication_password: ['db-replica'],
  proxysql_admin_password: ['proxysql'],
  proxysql_monitor_password: ['proxysql'],
  // The exporter's account on the db hosts exists only on a site that has a monitor host.
  mysqld_exporter_password: ['monitor'],
  alert_webhook_url: ['monitor'],
  alert_smtp_password: ['monitor'],
};

/** Secrets needed only when the site file asks for what they serve. */
function wanted(site: Site, key: SecretKey): boolean {
  if (key === 'alert_webhook_url') return site.monitor?.webhook === true;
  if (key === 'alert_smtp_password') return site.monitor?.email !== undefined && site.secrets.alert_smtp_password !== undefined;
  if (key === 'mysqld_exporter_password') return site.hosts.some((h) => h.roles.includes('db-primary') || h.roles.includes('db-replica'));
  return true;
}

/** The secrets the site's roles need, each with the first host that needs it. */
export function requiredSecrets(site: Site): { key: SecretKey; host: string; role: Role }[] {
  const out: { key: SecretKey; host: string; role: Role }[] = [];
  for (const [key, roles] of Object.entries(NEEDED_BY) as [SecretKey, Role[]][]) {
    const host = site.hosts.find((h) => h.roles.some((r) => roles.includes(r)));
    if (host && wanted(site, key)) out.push({ key, host: host.name, role: host.roles.find((r) => roles.includes(r))! });
  }
  return out;
}

/**
 * Every secret the site's roles need, read from the environment or files (relative to the site file). All problems at
 * once as an InvalidInputError: a missing `secrets` entry, an unset variable, an unreadable or empty file.
 */
export function resolveSecrets(site: Site, env: NodeJS.ProcessEnv = process.env): SecretValues {
  const where = site.file ? shownPath(site.file) : 'built-in site';
  const values: SecretValues = {};
  const problems: Problem[] = [];
  for (const { key, host, role } of requiredSecrets(site)) {
    const ref = site.secrets[key];
    const path = `secrets.${key}`;
    if (!ref) {
      problems.push({ where, path, message: `missing: the ${role} role on ${host} needs it`, fix: `add ${key}: env:NAME or file:PATH under secrets` });
      continue;
    }
    if (ref.kind === 'env') {
      const v = env[ref.name];
      if (v === undefined || v === '') {
        problems.push({ where, path, message: `environment variable ${ref.name} is ${v === undefined ? 'not set' : 'empty'}`, fix: `set ${ref.name}, or point ${key} at file:PATH` });
      } else {
        values[key] = v;
      }
      continue;
    }
    const file = resolve(site.file ? dirname(site.file) : process.cwd(), ref.path.replace(/^~(?=\/)/, homedir()));
    try {
      // One trailing newline is the editor's, not the secret's.
      const v = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if (v === '') problems.push({ where, path, message: `secret file ${shownPath(file)} is empty`, fix: 'write the secret into it' });
      else values[key] = v;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push({ where, path, message: `cannot read secret file ${shownPath(file)} (${code})`, fix: 'check the path and that this user may read it' });
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return values;
}
