// Service names and commands per init system and DB flavour: exact argv.
import { describe, expect, it } from 'vitest';
import { configTestCommand, isActiveCommand, serviceCommand, serviceName } from '../../src/daemons/services.js';
import type { HostFacts } from '../../src/facts/types.js';

const debian12: HostFacts = {
  host: 'web1', os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, hostname: 'web1',
  memory: 8 * 2 ** 30, cores: 4, somaxconn: 4096, initSystem: 'systemd', files: {},
  php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: true },
  db: { flavour: 'mariadb', version: '10.11.6', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: true },
  redis: { version: '7.0.15', service: 'redis-server', running: true },
};
const ubuntuMysql: HostFacts = {
  ...debian12,
  initSystem: 'sysv',
  php: { version: '8.1', poolDir: '/etc/php/8.1/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.1', service: 'php8.1-fpm', running: true },
  db: { flavour: 'mysql', version: '8.0.36', service: 'mysql', serverBinary: '/usr/sbin/mysqld', running: true },
};

describe('serviceCommand', () => {
  it.each([
    [debian12, 'php-fpm', 'reload', ['systemctl', 'reload', 'php8.2-fpm']],
    [debian12, 'redis', 'restart', ['systemctl', 'restart', 'redis-server']],
    [debian12, 'mysql', 'start', ['systemctl', 'start', 'mariadb']],
    [debian12, 'proxysql', 'status', ['systemctl', 'status', 'proxysql']],
    [ubuntuMysql, 'php-fpm', 'reload', ['service', 'php8.1-fpm', 'reload']],
    [ubuntuMysql, 'mysql', 'restart', ['service', 'mysql', 'restart']],
    [ubuntuMysql, 'redis', 'stop', ['service', 'redis-server', 'stop']],
  ] as const)('%#: %s %s', (facts, service, action, argv) => {
    expect(serviceCommand(facts, service, action)).toEqual(argv);
  });
});

describe('serviceName', () => {
  it('falls back to the Debian 12 names before the host has the service', () => {
    const bare: HostFacts = { ...debian12, php: undefined, db: undefined, redis: undefined };
    expect(['php-fpm', 'redis', 'mysql', 'proxysql'].map((s) => serviceName(bare, s as 'php-fpm'))).toEqual(['php8.2-fpm', 'redis-server', 'mariadb', 'proxysql']);
    expect(() => serviceName(bare, 'stackscale')).toThrow(/not a daemon/);
  });

  it('uses what facts found: MariaDB 10.3 installs `mysql`', () => {
    const old: HostFacts = { ...debian12, db: { ...debian12.db!, version: '10.3.39', service: 'mysql' } };
    expect(serviceName(old, 'mysql')).toBe('mysql');
  });
});

describe('isActiveCommand', () => {
  it('systemctl is-active, or the init script status', () => {
    expect(isActiveCommand(debian12, 'redis')).toEqual(['systemctl', 'is-active', '--quiet', 'redis-server']);
    expect(isActiveCommand(ubuntuMysql, 'mysql')).toEqual(['service', 'mysql', 'status']);
  });
});

describe('configTestCommand', () => {
  it('php-fpm -t, mariadbd --help --verbose, mysqld --validate-config; none for Redis and ProxySQL', () => {
    expect(configTestCommand(debian12, 'php-fpm', '/tmp/c.conf')).toEqual(['/usr/sbin/php-fpm8.2', '-t', '-y', '/tmp/c.conf']);
    expect(configTestCommand(debian12, 'mysql', '/tmp/c.cnf')).toEqual(['/usr/sbin/mariadbd', '--defaults-file=/tmp/c.cnf', '--help', '--verbose']);
    expect(configTestCommand(ubuntuMysql, 'mysql', '/tmp/c.cnf')).toEqual(['/usr/sbin/mysqld', '--defaults-file=/tmp/c.cnf', '--validate-config']);
    expect(configTestCommand(debian12, 'redis', '/tmp/r.conf')).toBeUndefined();
    expect(configTestCommand(debian12, 'proxysql', '/tmp/p.cnf')).toBeUndefined();
  });
});
