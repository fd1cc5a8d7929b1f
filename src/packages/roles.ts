// Which packages each role needs on a host, where each comes from, and which of them the host lacks. Pure: facts and
// the site in, a list out, so tests assert exact package lists.
import type { Role, Site } from '../config/types.js';
import type { HostFacts } from '../facts/types.js';
import { phpVersionFor } from '../facts/platform.js';

export type PackageSource = 'distro' | 'proxysql' | 'mysql';

export interface PackageNeed {
  name: string;
  role: Role;
  source: PackageSource;
}

/** Every package the host's roles need, each once, in install order. */
export function roleNeeds(roles: readonly Role[], facts: HostFacts, site: Pick<Site, 'phpVersion' | 'database' | 'webServer'> & { hosts?: Site['hosts'] }): PackageNeed[] {
  const out: PackageNeed[] = [];
  const add = (role: Role, source: PackageSource, ...names: string[]): void => {
    for (const name of names) if (!out.some((n) => n.name === name)) out.push({ name, role, source });
  };
  const mysql = site.database?.flavour === 'mysql';
  // nginx is the web role's server unless the site keeps its own (`web_server: none`); an lb is always nginx.
  const nginx = site.webServer !== 'none';
  for (const role of ['db-primary', 'db-replica', 'proxysql', 'cache', 'web', 'lb'] as const) {
    if (!roles.includes(role)) continue;
    if (role === 'db-primary' || role === 'db-replica') {
      if (mysql) add(role, 'mysql', 'mysql-server');
      else add(role, 'distro', 'mariadb-server');
    }
    if (role === 'proxysql') {
      add(role, 'proxysql', 'proxysql');
      // the admin interface is driven with a MySQL client
      if (mysql) add(role, 'mysql', 'mysql-client');
      else add(role, 'distro', 'mariadb-client');
    }
    if (role === 'cache') add(role, 'distro', 'redis-server');
    if (role === 'web') {
      const v = phpVersionFor(facts, site);
      add(role, 'distro', ...(nginx ? ['nginx'] : []), `php${v}-fpm`, `php${v}-mysql`, `php${v}-redis`, `php${v}-opcache`);
    }
    if (role === 'lb') add(role, 'distro', 'nginx');
  }
  // A site with a monitor host: Prometheus and Alertmanager there, and on every host the exporters its roles call for
  // (config/monitor-targets.ts); cron runs the PHP-FPM status script on web hosts.
  if (site.hosts?.some((h) => h.roles.includes('monitor'))) {
    const first = roles[0];
    if (roles.includes('monitor')) add('monitor', 'distro', 'prometheus', 'prometheus-alertmanager');
    if (first) add(first, 'distro', 'prometheus-node-exporter');
    if (roles.includes('db-primary')) add('db-primary', 'distro', 'prometheus-mysqld-exporter');
    else if (roles.includes('db-replica')) add('db-replica', 'distro', 'prometheus-mysqld-exporter');
    if (roles.includes('cache')) add('cache', 'distro', 'prometheus-redis-exporter');
    if (roles.includes('web')) add('web', 'distro', 'cron', ...(nginx ? ['prometheus-nginx-exporter'] : []));
    // ProxySQL's figures go through a script run by cron as well (its own endpoint cannot be bound to one address).
    if (roles.includes('proxysql')) add('proxysql', 'distro', 'cron');
  }
  return out;
}

/**
 * Any of Debian's nginx packages counts as nginx. A host that serves PHP through another server (Apache) says
 * `web_server: none` in the site file, and then gets no nginx at all (roleNeeds).
 */
const ANY_NGINX = ['nginx', 'nginx-core', 'nginx-full', 'nginx-light', 'nginx-extras'];
const ANY_DB_SERVER = /^(mariadb-server|mysql-server|mysql-community-server|percona-server-server)/;
const ANY_DB_CLIENT = /^(mariadb-client|mysql-client|mysql-community-client|default-mysql-client)/;

/**
 * Is the need met already? A daemon found by its binary counts (a build in /usr/local, or another vendor's package of
 * it): stackscale tunes what is there rather than installing a second copy. Without a dpkg database (not Debian or
 * Ubuntu) only the daemons can be told; nginx is then taken as present.
 */
export function satisfied(need: PackageNeed, facts: HostFacts): boolean {
  const pkgs = facts.packages;
  const has = (name: string): boolean => Boolean(pkgs && name in pkgs);
  const anyPkg = (re: RegExp): boolean => Boolean(pkgs && Object.keys(pkgs).some((p) => re.test(p)));
  const n = need.name;
  if (n === 'mariadb-server' || n === 'mysql-server') return Boolean(facts.db) || anyPkg(ANY_DB_SERVER);
  if (n === 'mariadb-client' || n === 'mysql-client') return anyPkg(ANY_DB_CLIENT) || (!pkgs && Boolean(facts.db));
  if (n === 'redis-server') return Boolean(facts.redis) || has(n);
  if (n === 'proxysql') return Boolean(facts.proxysql) || has(n);
  if (n === 'nginx') return !pkgs || ANY_NGINX.some(has);
  const fpm = /^php(\d+\.\d+)-fpm$/.exec(n);
  if (fpm) return facts.php?.version === fpm[1] || has(n);
  return !pkgs || has(n);
}

export function missingPackages(roles: readonly Role[], facts: HostFacts, site: Pick<Site, 'phpVersion' | 'database' | 'webServer'> & { hosts?: Site['hosts'] }): PackageNeed[] {
  return roleNeeds(roles, facts, site).filter((need) => !satisfied(need, facts));
}

/** The init-script / unit names of what the installed packages run, to enable at boot and start. */
export function servicesOf(needs: PackageNeed[]): string[] {
  const out: string[] = [];
  for (const { name } of needs) {
    if (name === 'mariadb-server') out.push('mariadb');
    else if (name === 'mysql-server') out.push('mysql');
    else if (name === 'redis-server') out.push('redis-server');
    else if (name === 'proxysql') out.push('proxysql');
    else if (name === 'nginx') out.push('nginx');
    else if (/^php\d+\.\d+-fpm$/.test(name)) out.push(name);
    else if (name.startsWith('prometheus') || name === 'cron') out.push(name);
  }
  return out;
}
