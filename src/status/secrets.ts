// The two secrets status uses (the Redis password, the ProxySQL admin password), read as config reads every secret.
import { resolveSecrets } from '../config/secrets.js';
import { SECRET_KEYS, type SecretKey, type Site } from '../config/types.js';
import { UserError } from '../errors.js';

/**
 * Only the two secrets status needs. A missing one is no error here: the probe falls back to the host's own config
 * (read as root, kept off argv), and a note says so.
 */
export function statusSecrets(site: Site, env: NodeJS.ProcessEnv, notes: string[]): { redisPassword?: string; proxysqlAdminPassword?: string } {
  return {
    redisPassword: oneSecret(site, 'redis_password', env, notes),
    proxysqlAdminPassword: oneSecret(site, 'proxysql_admin_password', env, notes),
  };
}

/**
 * One secret through config's resolveSecrets, which reads every secret the site's roles need: it is given a one-host
 * site whose every secret entry is this key's reference, so env/file rules stay config's and nothing else is asked for.
 */
export function oneSecret(site: Site, key: SecretKey, env: NodeJS.ProcessEnv, notes: string[]): string | undefined {
  const ref = site.secrets[key];
  const needs = key === 'redis_password' ? 'cache' : 'proxysql';
  if (!ref || !site.hosts.some((h) => h.roles.includes(needs))) return undefined;
  const probe: Site = {
    ...site,
    hosts: [{ ...site.hosts[0], roles: [needs] }],
    secrets: Object.fromEntries(SECRET_KEYS.map((k) => [k, ref])),
  };
  try {
    return resolveSecrets(probe, env)[key];
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const why = [...new Set(err.problems.map((p) => p.message))].join('; ');
    notes.push(`secrets.${key}: ${why}; using the password in the host's own config`);
    return undefined;
  }
}
