// Service names and control commands per flavour and init system, as argv arrays (Kamal's habit: tests assert the
// exact command). systemd hosts get `systemctl`, hosts without systemd (containers, old VPS images) the Debian init
// scripts through `service`.
import type { HostFacts } from '../facts/types.js';

/** What a file belongs to: a daemon, the kernel's sysctls, or stackscale's own files (which no daemon reloads). */
export type Service = 'php-fpm' | 'redis' | 'mysql' | 'proxysql' | 'stackscale' | 'nginx' | 'sysctl' | MonitorService;

/** Prometheus, Alertmanager and the exporters of a site with a monitor host (Debian's prometheus-* packages). */
export const MONITOR_SERVICES = ['prometheus', 'alertmanager', 'node-exporter', 'mysqld-exporter', 'redis-exporter', 'nginx-exporter'] as const;
export type MonitorService = (typeof MONITOR_SERVICES)[number];

/** A verb of the init system (`systemctl <verb> X`, `service X <verb>`); not the plan's ServiceAction. */
export type ServiceVerb = 'reload' | 'restart' | 'start' | 'stop' | 'status';

/**
 * The unit / init-script name of a service on this host: `php8.2-fpm`, `redis-server`, `mariadb` or `mysql` (as
 * facts found it: MariaDB before 10.4 and MySQL install `mysql`), `proxysql`. Before facts know the host, the
 * Debian 12 names.
 */
export function serviceName(facts: HostFacts, service: Service): string {
  switch (service) {
    case 'php-fpm':
      return facts.php?.service ?? 'php8.2-fpm';
    case 'redis':
      return facts.redis?.service ?? 'redis-server';
    case 'mysql':
      return facts.db?.service ?? (facts.db?.flavour === 'mysql' ? 'mysql' : 'mariadb');
    case 'proxysql':
      return 'proxysql';
    case 'prometheus':
      return 'prometheus';
    case 'alertmanager':
    case 'node-exporter':
    case 'mysqld-exporter':
    case 'redis-exporter':
    case 'nginx-exporter':
      return `prometheus-${service}`;
    case 'nginx':
      return 'nginx';
    case 'sysctl':
      throw new Error('serviceName: "sysctl" is not a daemon');
    case 'stackscale':
      throw new Error('serviceName: "stackscale" is not a daemon');
  }
}

/**
 * `systemctl reload php8.2-fpm` on systemd, `service php8.2-fpm reload` otherwise. Starting a ProxySQL whose database
 * exists goes through its package's `initial` variants (`--initial`: the cnf is read again, the database renamed to
 * proxysql.db.bak), because a plain start would ignore the new cnf.
 */
export function serviceCommand(facts: HostFacts, service: Service, action: ServiceVerb): string[] {
  const name = serviceName(facts, service);
  if (service === 'proxysql' && action === 'start' && facts.proxysql?.database) {
    return facts.initSystem === 'systemd' ? ['systemctl', 'start', 'proxysql-initial'] : ['service', 'proxysql', 'initial'];
  }
  return facts.initSystem === 'systemd' ? ['systemctl', action, name] : ['service', name, action];
}

/** Exits 0 only when the service runs: `systemctl is-active --quiet X`, or the init script's `status`. */
export function isActiveCommand(facts: HostFacts, service: Service): string[] {
  const name = serviceName(facts, service);
  return facts.initSystem === 'systemd' ? ['systemctl', 'is-active', '--quiet', name] : ['service', name, 'status'];
}

/**
 * A daemon's own config test of a file, where it has one (docs/daemons.md): `php-fpmX.Y -t -y F`;
 * MySQL 8.0.16+ `mysqld --defaults-file=F --validate-config`; MariaDB (no --validate-config, MDEV-31527)
 * `mariadbd --defaults-file=F --help --verbose`, which exits non-zero on an unknown variable or a bad value.
 * Redis and ProxySQL have no check mode: undefined (apply/checkers.ts starts a throw-away Redis instead).
 */
export function configTestCommand(facts: HostFacts, service: Service, file: string): string[] | undefined {
  if (service === 'php-fpm') {
    const bin = facts.php?.fpmBinary ?? `/usr/sbin/php-fpm${facts.php?.version ?? '8.2'}`;
    return [bin, '-t', '-y', file];
  }
  if (service === 'mysql') {
    const mysql = facts.db?.flavour === 'mysql';
    const bin = facts.db?.serverBinary ?? (mysql ? '/usr/sbin/mysqld' : '/usr/sbin/mariadbd');
    return mysql ? [bin, `--defaults-file=${file}`, '--validate-config'] : [bin, `--defaults-file=${file}`, '--help', '--verbose'];
  }
  return undefined;
}
