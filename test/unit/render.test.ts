import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/errors.js';
import { renderHost, renderSite, renderedPath, writeRendered } from '../../src/render/render.js';
import { compileTemplate, renderTemplate, TEMPLATE_DIR, TEMPLATES } from '../../src/render/templates.js';
import { versionAtLeast } from '../../src/util/versions.js';
import { secretPlaceholder, type RenderedFile } from '../../src/render/types.js';
import { SECRET_KEYS } from '../../src/config/types.js';
import { referenceSecrets, referenceSite, referenceSizing } from '../fixtures/sizing.js';

const site = referenceSite();

function files(flavour: 'mariadb' | 'mysql' = 'mariadb', version?: string, secrets = referenceSecrets): RenderedFile[] {
  return renderSite(referenceSizing(flavour, version), site, secrets);
}

function file(list: RenderedFile[], host: string, service: RenderedFile['service']): RenderedFile {
  const f = list.find((x) => x.host === host && x.service === service);
  if (!f) throw new Error(`no ${service} file on ${host}`);
  return f;
}

/** The non-comment, non-blank lines of a file. */
function settings(content: string): string[] {
  return content.split('\n').filter((l) => l.trim() !== '' && !/^\s*[#;]/.test(l));
}

describe('renderSite', () => {
  test('every managed file, with owner, mode, service and the secrets it holds, in apply order per host', () => {
    expect(files().map((f) => [f.host, f.path, f.mode.toString(8), `${f.owner}:${f.group}`, f.service, f.secrets.join(',')])).toEqual([
      ['web1', '/etc/redis/redis.conf', '640', 'redis:redis', 'redis', 'redis_password'],
      ['web1', '/etc/php/8.2/fpm/pool.d/www.conf', '644', 'root:root', 'php-fpm', ''],
      ['web1', '/etc/stackscale/app.php', '640', 'root:www-data', 'php-fpm', 'app_db_password,redis_password'],
      ['proxy1', '/etc/proxysql.cnf', '640', 'root:proxysql', 'proxysql', 'proxysql_admin_password,proxysql_monitor_password,app_db_password'],
      ['db1', '/etc/mysql/mariadb.conf.d/60-stackscale.cnf', '644', 'root:root', 'mysql', ''],
      ['db2', '/etc/mysql/mariadb.conf.d/60-stackscale.cnf', '644', 'root:root', 'mysql', ''],
    ]);
  });

  test('is deterministic', () => {
    expect(files()).toEqual(files());
  });

  test('renderHost gives the host\'s share of renderSite', () => {
    const sizing = referenceSizing();
    const db1 = sizing.hosts.find((h) => h.host.name === 'db1')!;
    expect(renderHost(db1, sizing, site, referenceSecrets)).toEqual(files().filter((f) => f.host === 'db1'));
  });

  test('every file says it is managed and why each number is what it is', () => {
    for (const f of files()) {
      expect(f.content, f.path).toMatch(/^(<\?php\n\/\/|[#;]) Managed by stackscale/);
      // The files that hold sized numbers say why; the app config and the systemd drop-in only carry them on.
      if (!/app\.php$|stackscale-limits\.conf$/.test(f.path)) expect(f.content, f.path).toMatch(/Why each number is what it is:|=.*: /);
    }
    expect(file(files(), 'web1', 'php-fpm').content).toContain(';   pm.max_children = 200: 1000 users x 0.20 in flight at peak; 200 x 40 MB = 7.8 GB <= 9.6 GB budget on web1\n');
  });
});

describe('PHP-FPM pool', () => {
  test('holds the guide\'s figures for 1000 users', () => {
    expect(settings(file(files(), 'web1', 'php-fpm').content)).toEqual([
      '[www]',
      'user = www-data',
      'group = www-data',
      'listen = /run/php/php8.2-fpm.sock',
      'listen.owner = www-data',
      'listen.group = www-data',
      'listen.mode = 0660',
      'listen.backlog = 511',
      'pm = dynamic',
      'pm.max_children = 200',
      'pm.start_servers = 50',
      'pm.min_spare_servers = 30',
      'pm.max_spare_servers = 100',
      'pm.max_requests = 1000',
      'pm.status_path = /fpm-status',
      'ping.path = /fpm-ping',
      'request_terminate_timeout = 60s',
    ]);
  });

  test('ondemand and static pools carry no dynamic-only settings', () => {
    for (const pm of ['static', 'ondemand'] as const) {
      const sizing = referenceSizing();
      const web = sizing.hosts[0];
      web.fpm!.pm = { value: pm, why: 'test' };
      const pool = renderHost(web, sizing, site, {}).find((f) => f.service === 'php-fpm')!.content;
      expect(pool).toContain(`\npm = ${pm}\n`);
      expect(pool).not.toMatch(/start_servers|spare_servers/);
    }
  });

  test('a derivation text with newlines stays one comment line', () => {
    const sizing = referenceSizing();
    const web = sizing.hosts[0];
    web.fpm!.maxRequests = { value: 500, why: 'line one\nline two', pinned: true };
    const pool = renderHost(web, sizing, site, {}).find((f) => f.service === 'php-fpm')!.content;
    expect(pool).toContain(';   pm.max_requests = 500 (pinned by the profile): line one line two\n');
    expect(settings(pool)).toContain('pm.max_requests = 500');
  });
});

describe('redis.conf', () => {
  test('cache settings, Debian paths, and the password quoted for Redis', () => {
    expect(settings(file(files(), 'web1', 'redis').content)).toEqual([
      'bind 127.0.0.1 -::1 10.0.0.10',
      'port 6379',
      'protected-mode yes',
      'tcp-backlog 511',
      'timeout 300',
      'tcp-keepalive 300',
      'daemonize yes',
      'pidfile /run/redis/redis-server.pid',
      'loglevel notice',
      'logfile /var/log/redis/redis-server.log',
      'dir /var/lib/redis',
      'maxmemory 1073741824',
      'maxmemory-policy allkeys-lru',
      'maxclients 1000',
      'save ""',
      'appendonly no',
      'requirepass "r3dis pa\\"ss\\\\word"',
    ]);
  });

  test('a plain password stays bare; a pinned RDB schedule is written as Redis reads it', () => {
    const sizing = referenceSizing();
    const web = sizing.hosts[0];
    web.redis!.save = { value: '3600 1 300 100', why: 'pinned', pinned: true };
    web.redis!.appendonly = { value: true, why: 'pinned', pinned: true };
    const conf = renderHost(web, sizing, site, { redis_password: 'Plain-Pw_1' }).find((f) => f.service === 'redis')!.content;
    expect(settings(conf)).toEqual(expect.arrayContaining(['save 3600 1 300 100', 'appendonly yes', 'requirepass Plain-Pw_1']));
  });
});

describe('MySQL / MariaDB drop-ins', () => {
  test('MariaDB primary and replica', () => {
    const list = files('mariadb', '10.11');
    const common = [
      'max_connections = 130',
      'innodb_buffer_pool_size = 4294967296',
      'thread_cache_size = 100',
      'table_open_cache = 2000',
      'slow_query_log = 1',
      'long_query_time = 0.2',
      'slow_query_log_file = /var/log/mysql/mariadb-slow.log',
    ];
    const repl = ['log_bin = mariadb-bin', 'binlog_format = ROW', 'gtid_domain_id = 0', 'gtid_strict_mode = 1', 'log_slave_updates = 1', 'relay_log = mariadb-relay-bin'];
    expect(settings(file(list, 'db1', 'mysql').content)).toEqual(['[mysqld]', 'bind_address = 10.0.0.31', ...common, 'server_id = 1', ...repl, 'read_only = OFF']);
    expect(settings(file(list, 'db2', 'mysql').content)).toEqual(['[mysqld]', 'bind_address = 10.0.0.32', ...common, 'server_id = 2', ...repl, 'read_only = ON']);
  });

  test.each([
    ['8.0', 'log_replica_updates'],
    ['8.4', 'log_replica_updates'],
    ['8.0.36', 'log_replica_updates'],
    ['8.0.22', 'log_slave_updates'],
  ])('MySQL %s: GTID settings, %s, super_read_only on the replica, no binlog_format', (version, updates) => {
    const list = files('mysql', version);
    const primary = file(list, 'db1', 'mysql');
    const replica = file(list, 'db2', 'mysql');
    expect(primary.path).toBe('/etc/mysql/mysql.conf.d/60-stackscale.cnf');
    const repl = ['log_bin = mysql-bin', 'gtid_mode = ON', 'enforce_gtid_consistency = ON', `${updates} = ON`, 'relay_log = mysql-relay-bin'];
    expect(settings(primary.content).slice(-8)).toEqual(['server_id = 1', ...repl, 'read_only = OFF', 'super_read_only = OFF']);
    expect(settings(replica.content).slice(-8)).toEqual(['server_id = 2', ...repl, 'read_only = ON', 'super_read_only = ON']);
    expect(settings(primary.content)).toContain('slow_query_log_file = /var/log/mysql/mysql-slow.log');
    expect(primary.content).not.toMatch(/^binlog_format|^gtid_domain_id|^gtid_strict_mode|^log_slave_updates = 1/m);
  });

  test('versionAtLeast reads partial and suffixed versions', () => {
    expect(versionAtLeast('8.0', [8, 0, 26])).toBe(true);
    expect(versionAtLeast('8.0.25', [8, 0, 26])).toBe(false);
    expect(versionAtLeast('8.4.3', [8, 0, 26])).toBe(true);
    expect(versionAtLeast('8.0.26-log', [8, 0, 26])).toBe(true);
    expect(versionAtLeast('5.7.44', [8, 0, 26])).toBe(false);
  });
});

describe('secrets', () => {
  test('absent secrets render as marked placeholders, and no secret value appears', () => {
    const list = files('mariadb', '10.11', {});
    expect(file(list, 'web1', 'redis').content).toContain(`\nrequirepass ${secretPlaceholder('redis_password')}\n`);
    const cnf = file(list, 'proxy1', 'proxysql').content;
    expect(cnf).toContain(`admin_credentials = "admin:${secretPlaceholder('proxysql_admin_password')}"`);
    expect(cnf).toContain(`monitor_password = "${secretPlaceholder('proxysql_monitor_password')}"`);
    expect(cnf).toContain(`password = "${secretPlaceholder('app_db_password')}"`);
    const all = list.map((f) => f.content).join('\n');
    for (const key of SECRET_KEYS) {
      const value = referenceSecrets[key]!;
      expect(all).not.toContain(value);
    }
  });

  test('given secrets replace the placeholders', () => {
    const all = files().map((f) => f.content).join('\n');
    expect(all).not.toContain('STACKSCALE-SECRET-NOT-RENDERED');
    expect(all).toContain('admin_credentials = "admin:adm1n pw"');
  });

  test('a ProxySQL secret its cnf reader cannot carry is refused, naming the key but not the value', () => {
    const bad = { ...referenceSecrets, proxysql_admin_password: 'pa:ss', app_db_password: "o'neil" };
    let err: unknown;
    try {
      files('mariadb', '10.11', bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const message = (err as UserError).message;
    expect(message).toContain('proxy1 secrets.proxysql_admin_password');
    expect(message).toContain('proxy1 secrets.app_db_password');
    expect(message).not.toContain('pa:ss');
    expect(message).not.toContain("o'neil");
  });
});

describe('templates', () => {
  test('are found in the package root, one file each', () => {
    for (const name of TEMPLATES) {
      expect(statSync(join(TEMPLATE_DIR, `${name}.hbs`)).isFile()).toBe(true);
    }
  });

  test('are strict: a missing value throws instead of rendering empty', () => {
    expect(() => compileTemplate('a = {{a}}\nb = {{b}}\n')({ a: 1 })).toThrow(/"b" not defined/);
    expect(() => renderTemplate('redis.conf', { profile: '1000', host: 'web1', derivations: [] })).toThrow(/template redis\.conf\.hbs: "bind" not defined/);
  });

  test('do not HTML-escape', () => {
    expect(compileTemplate('{{v}}')({ v: `<&>"'` })).toBe(`<&>"'`);
  });
});

describe('writeRendered', () => {
  test('writes DIR/<host>/<path>, secret files 0600 and others their own mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackscale-render-'));
    try {
      const list = files('mariadb', '10.11', {});
      const written = await writeRendered(list, dir);
      expect(written).toEqual(list.map((f) => join(dir, f.host, f.path)));
      for (const [i, f] of list.entries()) {
        expect(readFileSync(written[i], 'utf8')).toBe(f.content);
        expect(statSync(written[i]).mode & 0o777, f.path).toBe(f.secrets.length > 0 ? 0o600 : 0o644);
      }
      // Rewriting keeps the modes right (a file that existed is not left with its old mode).
      await writeRendered(list, dir);
      expect(statSync(join(dir, 'web1/etc/redis/redis.conf')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses paths that would leave the output directory', () => {
    expect(() => renderedPath('/out', { host: 'web1', path: '/etc/../../x' })).toThrow(/normalised/);
    expect(() => renderedPath('/out', { host: 'web1', path: 'etc/x' })).toThrow(/absolute/);
    expect(() => renderedPath('/out', { host: '..', path: '/etc/x' })).toThrow(/host name/);
    expect(renderedPath('/out', { host: 'web1', path: '/etc/x' })).toBe('/out/web1/etc/x');
  });
});
