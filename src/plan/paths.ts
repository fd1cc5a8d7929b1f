// Every path stackscale may manage on a host of the given roles, for every flavour and PHP version it knows, so facts
// can read them all in the one round trip that also tells which flavour and version the host has.
import type { Role } from '../config/types.js';

export const STATE_FILE = '/var/lib/stackscale/state.json';
export const BACKUP_DIR = '/var/backups/stackscale';
export const LOCK_DIR = '/var/lib/stackscale/lock';

const PHP_VERSIONS = ['7.4', '8.0', '8.1', '8.2', '8.3', '8.4'];

export function candidatePaths(roles: readonly Role[]): string[] {
  const paths: string[] = [];
  if (roles.includes('web')) paths.push(...PHP_VERSIONS.map((v) => `/etc/php/${v}/fpm/pool.d/www.conf`));
  if (roles.includes('cache')) paths.push('/etc/redis/redis.conf');
  if (roles.includes('db-primary') || roles.includes('db-replica')) {
    paths.push('/etc/mysql/mariadb.conf.d/60-stackscale.cnf', '/etc/mysql/mysql.conf.d/60-stackscale.cnf');
  }
  if (roles.includes('proxysql')) paths.push('/etc/proxysql.cnf');
  // The repository keys accepted on first use (src/packages/repository.ts REPO_KEYS_FILE), read with the facts.
  if (roles.some((r) => r === 'proxysql' || r === 'db-primary' || r === 'db-replica')) paths.push('/var/lib/stackscale/repo-keys.json');
  return paths;
}
