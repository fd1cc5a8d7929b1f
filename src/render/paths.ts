// Every path stackscale may manage on a host of the given roles, for every flavour and PHP version it knows, so facts
// can read them all in the one round trip that also tells which flavour and version the host has.
import type { Role, Site } from '../config/types.js';
import { MYSQL_LOG_DIR } from './mysql.js';
import { REDIS_DATA_DIR, REDIS_LOG_DIR } from './redis.js';
import { APP_DEFAULTS } from '../config/site.js';
import { monitoringPaths } from '../monitor/paths.js';

/** nginx's files (web and lb roles): main file, server blocks, the LimitNOFILE drop-in, the accept-queue sysctls. */
const NGINX_PATHS = [
  '/etc/nginx/nginx.conf', '/etc/nginx/conf.d/stackscale-app.conf', '/etc/nginx/conf.d/stackscale-lb.conf',
  '/etc/systemd/system/nginx.service.d/stackscale-limits.conf', '/etc/sysctl.d/60-stackscale.conf',
];

const PHP_VERSIONS = ['7.4', '8.0', '8.1', '8.2', '8.3', '8.4'];

export function candidatePaths(roles: readonly Role[], app?: Site['app']): string[] {
  const paths: string[] = [];
  if (roles.includes('web')) {
    paths.push(...PHP_VERSIONS.map((v) => `/etc/php/${v}/fpm/pool.d/www.conf`));
    paths.push(app?.configFile ?? APP_DEFAULTS.configFile, ...(app?.envFile ? [app.envFile] : []));
  }
  if (roles.includes('web') || roles.includes('lb')) paths.push(...NGINX_PATHS);
  // Directories a daemon writes into are read too (existence, mode, owner), so the plan can create or fix them.
  if (roles.includes('cache')) paths.push('/etc/redis/redis.conf', REDIS_LOG_DIR, REDIS_DATA_DIR);
  if (roles.includes('db-primary') || roles.includes('db-replica')) {
    paths.push('/etc/mysql/mariadb.conf.d/60-stackscale.cnf', '/etc/mysql/mysql.conf.d/60-stackscale.cnf', MYSQL_LOG_DIR);
  }
  if (roles.includes('proxysql')) paths.push('/etc/proxysql.cnf');
  paths.push(...monitoringPaths(roles));
  // The repository keys accepted on first use (src/packages/repository.ts REPO_KEYS_FILE), read with the facts.
  if (roles.some((r) => r === 'proxysql' || r === 'db-primary' || r === 'db-replica')) paths.push('/var/lib/stackscale/repo-keys.json');
  return paths;
}
