// The facts parsers: each section's function on its own, then whole captured-style outputs of the host types
// stackscale meets (test/fixtures/facts/, one full script output per host).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_RECORD } from '../../src/facts/gather.js';
import {
  choosePhp, dbServiceName, FactsParseError, parseCores, parseDbPackageLine, parseDbSection, parseDbVersionLine,
  parseDeploymentRecord, parseFacts, parseFileSection, parseHostname, parseInit, parseMemTotal, parseOsRelease,
  parsePackageLine, parsePhpSection, parsePhpVersionLine, parseProxysqlSection, parseProxysqlVersionLine,
  parseRedisSection, parseRedisVersionLine, parseServices, parseSomaxconn, splitSections, upstreamVersion, workerRssBytes,
} from '../../src/facts/parse.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'facts');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const lines = (s: string): string[] => s.split('\n');

describe('splitSections', () => {
  it('splits on the markers, keeps the marker argument, and sees the end marker', () => {
    const out = ['noise before', '@@stackscale:section os', 'ID=debian', '@@stackscale:section file /etc/a b.conf', 'exists no', '@@stackscale:end', ''].join('\n');
    const { sections, complete } = splitSections(out);
    expect(complete).toBe(true);
    expect(sections).toEqual([
      { name: 'os', arg: '', lines: ['ID=debian'] },
      { name: 'file', arg: '/etc/a b.conf', lines: ['exists no'] },
    ]);
  });

  it('reports an output cut short', () => {
    expect(splitSections('@@stackscale:section os\nID=debian\n').complete).toBe(false);
  });

  it('takes CRLF output as well', () => {
    const { sections } = splitSections('@@stackscale:section hostname\r\nweb1\r\n@@stackscale:end\r\n');
    expect(sections[0].lines).toEqual(['web1']);
  });
});

describe('section parsers', () => {
  it('os-release: quoted and unquoted values', () => {
    expect(parseOsRelease(lines('PRETTY_NAME="Ubuntu 22.04.4 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"'))).toEqual({
      id: 'ubuntu',
      versionId: '22.04',
      prettyName: 'Ubuntu 22.04.4 LTS',
    });
    expect(parseOsRelease([])).toEqual({ id: 'unknown', versionId: '', prettyName: 'unknown' });
  });

  it('hostname', () => {
    expect(parseHostname(['', 'web1', ''])).toBe('web1');
  });

  it('MemTotal in kB -> bytes', () => {
    expect(parseMemTotal(['MemTotal:       24684092 kB'])).toBe(24684092 * 1024);
    expect(parseMemTotal([])).toBeUndefined();
  });

  it('cores: nproc, else getconf', () => {
    expect(parseCores(['nproc 4', 'online 8'])).toBe(4);
    expect(parseCores(['nproc ', 'online 8'])).toBe(8);
    expect(parseCores(['nproc ', 'online '])).toBeUndefined();
  });

  it('somaxconn, 4096 when unreadable', () => {
    expect(parseSomaxconn(['65535'])).toBe(65535);
    expect(parseSomaxconn([])).toBe(4096);
  });

  it('init: systemd only with /run/systemd/system and pid 1 systemd', () => {
    expect(parseInit(['run-systemd yes', 'pid1 systemd'])).toBe('systemd');
    expect(parseInit(['pid1 systemd'])).toBe('sysv');
    expect(parseInit(['run-systemd yes', 'pid1 bash'])).toBe('sysv');
    expect(parseInit(['pid1 init'])).toBe('sysv');
  });

  it('worker RSS: the largest of few workers, the P95 of many, in bytes', () => {
    expect(workerRssBytes([])).toBeUndefined();
    expect(workerRssBytes([38212, 52344, 40108])).toBe(52344 * 1024);
    const many = Array.from({ length: 40 }, (_, i) => 30000 + i * 100);
    many.push(900000); // one bloated worker does not set the size
    // 41 values, nearest rank ceil(0.95 * 41) = 39 -> the 39th smallest
    expect(workerRssBytes(many)).toBe((30000 + 38 * 100) * 1024);
  });

  it('PHP banner', () => {
    expect(parsePhpVersionLine('PHP 8.2.36 (fpm-fcgi) (built: Nov 18 2026 20:02:04)')).toBe('8.2.36');
    expect(parsePhpVersionLine('PHP 8.1.2-1ubuntu2.18 (fpm-fcgi) (built: Jun 14 2024 15:52:55)')).toBe('8.1.2');
    expect(parsePhpVersionLine('')).toBeUndefined();
  });

  it('a php section without its banner falls back to the binary name', () => {
    const p = parsePhpSection('8.3', ['binary /usr/sbin/php-fpm8.3', 'version ', 'running no']);
    expect(p).toMatchObject({ version: '8.3', fpmBinary: '/usr/sbin/php-fpm8.3', poolDir: '/etc/php/8.3/fpm/pool.d', hasPoolDir: false, running: false });
    expect(p.workerRss).toBeUndefined();
  });

  it('of several PHP versions: the running one, then one with a pool dir, then the newest', () => {
    const mk = (version: string, running: boolean, hasPoolDir: boolean) =>
      ({ version, running, hasPoolDir, fpmBinary: '', poolDir: '' });
    expect(choosePhp([mk('8.3', false, true), mk('7.4', true, true)])?.version).toBe('7.4');
    expect(choosePhp([mk('8.3', false, false), mk('8.1', false, true)])?.version).toBe('8.1');
    expect(choosePhp([mk('8.1', false, true), mk('8.3', false, true), mk('8.10', false, true)])?.version).toBe('8.10');
    expect(choosePhp([])).toBeUndefined();
  });

  it.each([
    ['mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)', 'mariadb', '10.11.19'],
    ['/usr/sbin/mariadbd  Ver 10.11.8-MariaDB-0ubuntu0.24.04.1 for debian-linux-gnu on x86_64 (Ubuntu 24.04)', 'mariadb', '10.11.8'],
    ['mariadbd  Ver 11.4.3-MariaDB-ubu2404 for debian-linux-gnu on x86_64 (mariadb.org binary distribution)', 'mariadb', '11.4.3'],
    ['mysqld  Ver 10.5.23-MariaDB-0+deb11u1 for debian-linux-gnu on x86_64 (Debian 11)', 'mariadb', '10.5.23'],
    ['mysqld  Ver 8.0.36-0ubuntu0.22.04.1 for Linux on x86_64 ((Ubuntu))', 'mysql', '8.0.36'],
    ['/usr/sbin/mysqld  Ver 8.0.39-0ubuntu0.24.04.2 for Linux on x86_64 ((Ubuntu))', 'mysql', '8.0.39'],
    ['/usr/sbin/mysqld  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)', 'mysql', '8.4.3'],
  ])('DB version: %s', (line, flavour, version) => {
    expect(parseDbVersionLine(line)).toEqual({ flavour, version });
  });

  it('DB version: not a version line', () => {
    expect(parseDbVersionLine('')).toBeUndefined();
    expect(parseDbVersionLine('mysqld: command not found')).toBeUndefined();
  });

  it('DB service name by flavour and what the host has', () => {
    const none = parseServices([]);
    expect(dbServiceName('mysql', parseServices(['systemd mysql']), 'systemd')).toBe('mysql');
    expect(dbServiceName('mariadb', parseServices(['systemd mariadb', 'systemd mysql']), 'systemd')).toBe('mariadb');
    expect(dbServiceName('mariadb', parseServices(['systemd mariadb', 'initd mysql']), 'sysv')).toBe('mysql');
    expect(dbServiceName('mariadb', none, 'systemd')).toBe('mariadb');
  });

  it('Redis and ProxySQL versions', () => {
    expect(parseRedisVersionLine('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0')).toBe('7.0.15');
    expect(parseRedisVersionLine('Redis server v=6.0.16 sha=00000000:0 malloc=jemalloc-5.2.1 bits=64 build=a3fdef44459b3ad6')).toBe('6.0.16');
    expect(parseRedisVersionLine('')).toBeUndefined();
    expect(parseProxysqlVersionLine('ProxySQL version 2.6.3-12-g2f9d4bc, codename Truls')).toBe('2.6.3');
    expect(parseProxysqlVersionLine('')).toBeUndefined();
  });

  it('a managed file: stat, sha256, content from base64 (any bytes)', () => {
    const content = 'bind 127.0.0.1\n# héllo\n';
    const b64 = Buffer.from(content).toString('base64');
    expect(parseFileSection('/etc/redis/redis.conf', ['exists yes', 'stat 640 redis redis', `sha256 ${sha(content)}`, 'content', b64])).toEqual({
      path: '/etc/redis/redis.conf',
      exists: true,
      mode: 0o640,
      owner: 'redis',
      group: 'redis',
      sha256: sha(content),
      content,
    });
  });

  it('a managed file: missing, empty, unreadable, and no sha256sum on the host', () => {
    expect(parseFileSection('/x', ['exists no'])).toEqual({ path: '/x', exists: false });
    expect(parseFileSection('/x', [])).toEqual({ path: '/x', exists: false });
    expect(parseFileSection('/x', ['exists yes', 'stat 2755 root www-data', `sha256 ${sha('')}`, 'content'])).toEqual({
      path: '/x', exists: true, mode: 0o2755, owner: 'root', group: 'www-data', sha256: sha(''), content: '',
    });
    // exists but could not be read (a directory, or no permission): no content, so no pretend-empty file
    expect(parseFileSection('/x', ['exists yes', 'stat 755 root root'])).toEqual({ path: '/x', exists: true, mode: 0o755, owner: 'root', group: 'root' });
    expect(parseFileSection('/x', ['exists yes', 'stat 644 root root', 'content', Buffer.from('abc').toString('base64')]).sha256).toBe(sha('abc'));
  });

  it('deployment record: the top-level deployment; anything malformed counts as none', () => {
    const rec = { deployId: 'd1', time: '2025-01-01T00:00:00Z', profile: '700', toolVersion: '0.1.0', kind: 'apply',
      files: [{ path: '/a', sha256: 'ab', backup: null, snapshot: '/s' }], deployments: [] };
    expect(parseDeploymentRecord(JSON.stringify(rec))).toEqual({
      deployId: 'd1', time: '2025-01-01T00:00:00Z', profile: '700', toolVersion: '0.1.0', files: [{ path: '/a', sha256: 'ab', backup: null }],
    });
    expect(parseDeploymentRecord(undefined)).toBeUndefined();
    expect(parseDeploymentRecord('not json {')).toBeUndefined();
    expect(parseDeploymentRecord('[]')).toBeUndefined();
    expect(parseDeploymentRecord(JSON.stringify({ ...rec, files: 'x' }))).toBeUndefined();
    expect(parseDeploymentRecord(JSON.stringify({ ...rec, files: [{ path: 1 }] }))).toBeUndefined();
    expect(parseDeploymentRecord(JSON.stringify({ ...rec, deployId: '' }))).toBeUndefined();
    // an older or partial record: no profile or tool version reads as '', a backup that is not a path as none
    const { profile: _p, toolVersion: _t, ...bare } = rec;
    expect(parseDeploymentRecord(JSON.stringify({ ...bare, files: [{ path: '/a', sha256: 'ab', backup: 5 }] }))).toEqual({
      deployId: 'd1', time: '2025-01-01T00:00:00Z', profile: '', toolVersion: '', files: [{ path: '/a', sha256: 'ab', backup: null }],
    });
  });
});

describe('package lines (the version from the Debian package that ships the binary)', () => {
  it.each([
    ['1:10.11.19-0+deb12u1', '10.11.19'], // Debian 12 mariadb-server-core
    ['1:10.6.18-0ubuntu0.22.04.1', '10.6.18'], // Ubuntu 22.04 mariadb-server-core-10.6
    ['1:10.11.8-0ubuntu0.24.04.1', '10.11.8'], // Ubuntu 24.04 mariadb-server-core
    ['1:11.4.3+maria~ubu2404', '11.4.3'], // mariadb.org: no Debian revision
    ['8.0.39-0ubuntu0.22.04.1', '8.0.39'], // Ubuntu mysql-server-core-8.0
    ['8.4.3-1debian12', '8.4.3'], // Oracle's mysql-community-server-core
    ['8.2.36-1~deb12u1', '8.2.36'], // Debian 12 php8.2-fpm
    ['8.3.6-0ubuntu0.24.04.2', '8.3.6'], // Ubuntu 24.04 php8.3-fpm
    ['8.2.20-1+0~20240607.39+debian11~1.gbp5e5d87', '8.2.20'], // sury.org
    ['5:7.0.15-1~deb12u10', '7.0.15'], // Debian 12 redis-server
    ['6:7.4.1-1rl1~bookworm1', '7.4.1'], // packages.redis.io
    ['2.7.1', '2.7.1'], // proxysql
    ['2.6.3-12-g2f9d4bc', '2.6.3'], // only the last hyphen starts the revision
  ])('upstream version of %s', (debian, upstream) => {
    expect(upstreamVersion(debian)).toBe(upstream);
  });

  it('upstream version: nothing without X.Y', () => {
    expect(upstreamVersion('')).toBeUndefined();
    expect(upstreamVersion('1:git20240101-1')).toBeUndefined();
    expect(upstreamVersion('7-1')).toBeUndefined();
  });

  it('a package line: name and upstream version; malformed lines give nothing', () => {
    expect(parsePackageLine('redis-server 5:7.0.15-1~deb12u10')).toEqual({ name: 'redis-server', version: '7.0.15' });
    expect(parsePackageLine('redis-server')).toBeUndefined();
    expect(parsePackageLine('redis-server ')).toBeUndefined();
    expect(parsePackageLine('')).toBeUndefined();
  });

  it.each([
    ['mariadb-server-core 1:10.11.19-0+deb12u1', 'mariadb', '10.11.19'],
    ['mariadb-server-core-10.6 1:10.6.18-0ubuntu0.22.04.1', 'mariadb', '10.6.18'],
    ['mariadb-server-core-10.5 1:10.5.23-0+deb11u1', 'mariadb', '10.5.23'],
    ['mysql-server-core-8.0 8.0.39-0ubuntu0.22.04.1', 'mysql', '8.0.39'],
    ['mysql-community-server-core 8.4.3-1debian12', 'mysql', '8.4.3'],
  ])('DB package: %s', (line, flavour, version) => {
    expect(parseDbPackageLine(line)).toEqual({ flavour, version });
  });

  it('DB package: the flavour only from names the script asks dpkg about', () => {
    expect(parseDbPackageLine('percona-server-server 8.0.36-28-1.bookworm')).toBeUndefined();
    expect(parseDbPackageLine('mariadb-server-core')).toBeUndefined();
  });

  it('the banner, when there is one, wins over the package line', () => {
    const services = parseServices(['systemd mariadb']);
    const db = parseDbSection(
      ['binary /usr/sbin/mariadbd', 'package mysql-server-core-8.0 8.0.39-0ubuntu0.22.04.1', 'version /usr/sbin/mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu', 'running no'],
      services, 'systemd',
    );
    expect(db).toMatchObject({ flavour: 'mariadb', version: '10.11.6', service: 'mariadb' });
    expect(parsePhpSection('8.2', ['binary /usr/sbin/php-fpm8.2', 'package php8.2-fpm 8.2.36-1~deb12u1', 'version PHP 8.2.20 (fpm-fcgi)']).fullVersion).toBe('8.2.20');
    expect(parseRedisSection(['binary /usr/bin/redis-server', 'package redis-server 5:7.0.15-1', 'version Redis server v=7.2.4 sha=0'])?.version).toBe('7.2.4');
    expect(parseProxysqlSection(['binary /usr/bin/proxysql', 'package proxysql 2.7.1', 'version ProxySQL version 2.6.3-12-g2f9d4bc, codename Truls'])?.version).toBe('2.6.3');
    expect(parseProxysqlSection(['binary /usr/bin/proxysql', 'package proxysql 2.4.8', 'running no', 'database yes'])).toEqual({ version: '2.4.8', running: false, database: true });
    expect(parseProxysqlSection(['binary /usr/bin/proxysql', 'package proxysql 2.4.8', 'running no', 'database no'])).toEqual({ version: '2.4.8', running: false, database: false });
  });

  it('the banner path still parses, and a banner that failed (empty) falls back to the package line', () => {
    expect(parseRedisSection(['binary /usr/local/bin/redis-server', 'version Redis server v=7.2.4 sha=0', 'running yes'])).toEqual({ version: '7.2.4', service: 'redis-server', running: true });
    expect(parseRedisSection(['binary /usr/bin/redis-server', 'package redis-server 5:7.0.15-1~deb12u10', 'version ', 'running no'])?.version).toBe('7.0.15');
    expect(parseRedisSection(['binary /usr/bin/redis-server', 'version ', 'running no'])).toBeUndefined(); // as before: no version, no redis
  });

  it('PHP from its package: the same install as from the banner', () => {
    const rest = ['pooldir /etc/php/8.2/fpm/pool.d', 'running yes', 'rss 40000'];
    expect(parsePhpSection('8.2', ['binary /usr/sbin/php-fpm8.2', 'package php8.2-fpm 8.2.36-1~deb12u1', ...rest])).toEqual(
      parsePhpSection('8.2', ['binary /usr/sbin/php-fpm8.2', 'version PHP 8.2.36 (fpm-fcgi) (built: Nov 18 2026 20:02:04)', ...rest]),
    );
  });
});

/** A fixture as the script prints it where dpkg knows the binaries: each banner line replaced by a package line. */
function withPackages(name: string, packageFor: Record<string, string>): string {
  let text = fixture(name);
  for (const [banner, pkg] of Object.entries(packageFor)) {
    const line = `version ${banner}\n`;
    expect(text, `${name} has ${line}`).toContain(line);
    text = text.replace(line, `package ${pkg}\n`);
  }
  expect(text).not.toMatch(/^version /m);
  return text;
}

describe('whole outputs with package lines: the same facts as from the banners', () => {
  const all = ['/etc/php/8.2/fpm/pool.d/www.conf', '/etc/php/8.1/fpm/pool.d/www.conf', '/etc/php/8.3/fpm/pool.d/www.conf', '/etc/redis/redis.conf',
    '/etc/mysql/mariadb.conf.d/60-stackscale.cnf', '/etc/mysql/mysql.conf.d/60-stackscale.cnf', '/etc/proxysql.cnf', DEPLOYMENT_RECORD];
  it.each<[string, Record<string, string>]>([
    ['debian12-mariadb1011.txt', {
      'PHP 8.2.20 (fpm-fcgi) (built: Jun 14 2024 15:52:55)': 'php8.2-fpm 8.2.20-1~deb12u1',
      '/usr/sbin/mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)': 'mariadb-server-core 1:10.11.6-0+deb12u1',
      'Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0': 'redis-server 5:7.0.15-1~deb12u1',
    }],
    ['ubuntu2204-mysql80.txt', {
      'PHP 8.1.2-1ubuntu2.18 (fpm-fcgi) (built: Jun 14 2024 15:52:55)': 'php8.1-fpm 8.1.2-1ubuntu2.18',
      '/usr/sbin/mysqld  Ver 8.0.36-0ubuntu0.22.04.1 for Linux on x86_64 ((Ubuntu))': 'mysql-server-core-8.0 8.0.36-0ubuntu0.22.04.1',
      'Redis server v=6.0.16 sha=00000000:0 malloc=jemalloc-5.2.1 bits=64 build=a3fdef44459b3ad6': 'redis-server 5:6.0.16-1ubuntu1',
      'ProxySQL version 2.6.3-12-g2f9d4bc, codename Truls': 'proxysql 2.6.3',
    }],
    ['ubuntu2404-mysql80.txt', {
      'PHP 8.3.6 (fpm-fcgi) (built: Jun 14 2024 15:52:55)': 'php8.3-fpm 8.3.6-0ubuntu0.24.04.2',
      '/usr/sbin/mysqld  Ver 8.0.39-0ubuntu0.24.04.2 for Linux on x86_64 ((Ubuntu))': 'mysql-server-core-8.0 8.0.39-0ubuntu0.24.04.2',
      'Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=d81b8ff71cfb150e': 'redis-server 5:7.0.15-1build2',
    }],
    ['ubuntu2404-mariadb1011.txt', {
      'PHP 8.3.6 (fpm-fcgi) (built: Jun 14 2024 15:52:55)': 'php8.3-fpm 8.3.6-0ubuntu0.24.04.2',
      '/usr/sbin/mariadbd  Ver 10.11.8-MariaDB-0ubuntu0.24.04.1 for debian-linux-gnu on x86_64 (Ubuntu 24.04)': 'mariadb-server-core 1:10.11.8-0ubuntu0.24.04.1',
    }],
    ['debian12-mysql84.txt', {
      '/usr/sbin/mysqld  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)': 'mysql-community-server-core 8.4.3-1debian12',
    }],
    ['ubuntu2404-mariadb114.txt', {
      '/usr/sbin/mariadbd  Ver 11.4.3-MariaDB-ubu2404 for debian-linux-gnu on x86_64 (mariadb.org binary distribution)': 'mariadb-server-core 1:11.4.3+maria~ubu2404',
    }],
    ['debian11-mariadb105-sysv.txt', {
      'PHP 7.4.33 (fpm-fcgi) (built: Feb 14 2023 18:31:54)': 'php7.4-fpm 7.4.33-1+deb11u5',
      'PHP 8.2.20 (fpm-fcgi) (built: Jun 14 2024 15:52:55)': 'php8.2-fpm 8.2.20-1+0~20240607.39+debian11~1.gbp5e5d87',
      '/usr/sbin/mysqld  Ver 10.5.23-MariaDB-0+deb11u1 for debian-linux-gnu on x86_64 (Debian 11)': 'mariadb-server-core-10.5 1:10.5.23-0+deb11u1',
      'Redis server v=6.0.16 sha=00000000:0 malloc=jemalloc-5.2.1 bits=64 build=6d95e1af3a2c082a': 'redis-server 5:6.0.16-1+deb11u2',
    }],
  ])('%s', (name, packageFor) => {
    const fromBanners = parseFacts('h', fixture(name), all, DEPLOYMENT_RECORD);
    const fromPackages = parseFacts('h', withPackages(name, packageFor), all, DEPLOYMENT_RECORD);
    expect(fromPackages).toEqual(fromBanners);
  });

  it('Ubuntu 22.04: MariaDB 10.6, PHP 8.1, Redis 6.0 and ProxySQL 2.7, all from packages', () => {
    const f = parseFacts('shop', fixture('ubuntu2204-mariadb106-packages.txt'), [], DEPLOYMENT_RECORD);
    expect(f.os.versionId).toBe('22.04');
    expect(f.php).toEqual({ version: '8.1', poolDir: '/etc/php/8.1/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.1', service: 'php8.1-fpm', running: true, workerRss: 30112 * 1024 });
    expect(f.db).toEqual({ flavour: 'mariadb', version: '10.6.18', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: true });
    expect(f.redis).toEqual({ version: '6.0.16', service: 'redis-server', running: true });
    expect(f.proxysql).toEqual({ version: '2.7.1', running: false });
  });
});

describe('whole outputs of real host types', () => {
  it('Debian 12: PHP 8.2, MariaDB 10.11, Redis 7.0, systemd, files and the deployment record', () => {
    const paths = ['/etc/php/8.2/fpm/pool.d/www.conf', '/etc/redis/redis.conf', '/etc/mysql/mariadb.conf.d/60-stackscale.cnf', '/etc/php/8.3/fpm/pool.d/www.conf'];
    const f = parseFacts('web1', fixture('debian12-mariadb1011.txt'), paths, DEPLOYMENT_RECORD);
    expect(f).toMatchObject({
      host: 'web1',
      os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
      hostname: 'web1',
      memory: 8131604 * 1024,
      cores: 4,
      somaxconn: 4096,
      initSystem: 'systemd',
      php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: true, workerRss: 52344 * 1024 },
      db: { flavour: 'mariadb', version: '10.11.6', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: true },
      redis: { version: '7.0.15', service: 'redis-server', running: true },
    });
    expect(f.proxysql).toBeUndefined();
    expect(Object.keys(f.files)).toEqual(paths); // only what was asked for, not the state file
    const redis = f.files['/etc/redis/redis.conf'];
    expect(redis).toMatchObject({ exists: true, mode: 0o640, owner: 'redis', group: 'redis' });
    expect(redis.content).toContain('# héllo: non-ASCII survives base64');
    expect(redis.sha256).toBe(sha(redis.content!));
    expect(f.files['/etc/mysql/mariadb.conf.d/60-stackscale.cnf']).toEqual({ path: '/etc/mysql/mariadb.conf.d/60-stackscale.cnf', exists: false });
    expect(f.files['/etc/php/8.3/fpm/pool.d/www.conf'].exists).toBe(false); // asked, not in the output
    expect(f.lastDeployment).toMatchObject({ deployId: '20250101T120000Z-ab12', profile: '700', toolVersion: '0.1.0' });
    expect(f.lastDeployment?.files).toEqual([
      { path: '/etc/redis/redis.conf', sha256: redis.sha256, backup: '/var/backups/stackscale/20250101T120000Z-ab12/etc/redis/redis.conf' },
    ]);
  });

  it('Ubuntu 22.04: PHP 8.1 with 30 workers (P95), MySQL 8.0, Redis 6.0, ProxySQL 2.6', () => {
    const paths = ['/etc/php/8.1/fpm/pool.d/www.conf', '/etc/mysql/mysql.conf.d/60-stackscale.cnf', '/etc/proxysql.cnf', DEPLOYMENT_RECORD];
    const f = parseFacts('app', fixture('ubuntu2204-mysql80.txt'), paths, DEPLOYMENT_RECORD);
    expect(f.os).toEqual({ id: 'ubuntu', versionId: '22.04', codename: 'jammy', prettyName: 'Ubuntu 22.04.4 LTS' });
    expect(f.memory).toBe(16369736 * 1024);
    expect(f.cores).toBe(8);
    // 30 workers of 31000..60000 KiB: nearest rank ceil(28.5) = 29 -> 59000 KiB
    expect(f.php).toEqual({ version: '8.1', poolDir: '/etc/php/8.1/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.1', service: 'php8.1-fpm', running: true, workerRss: 59000 * 1024 });
    expect(f.db).toEqual({ flavour: 'mysql', version: '8.0.36', service: 'mysql', serverBinary: '/usr/sbin/mysqld', running: true });
    expect(f.redis).toEqual({ version: '6.0.16', service: 'redis-server', running: true });
    expect(f.proxysql).toEqual({ version: '2.6.3', running: true });
    expect(f.files['/etc/proxysql.cnf']).toMatchObject({ exists: true, mode: 0o640, owner: 'root', group: 'proxysql', content: 'datadir="/var/lib/proxysql"\n' });
    expect(f.files[DEPLOYMENT_RECORD]).toEqual({ path: DEPLOYMENT_RECORD, exists: false }); // asked for: reported
    expect(f.lastDeployment).toBeUndefined();
  });

  it('Ubuntu 24.04: PHP 8.3 stopped (no RSS), MySQL 8.0, Redis stopped, an empty pool file', () => {
    const f = parseFacts('db', fixture('ubuntu2404-mysql80.txt'), ['/etc/php/8.3/fpm/pool.d/www.conf'], DEPLOYMENT_RECORD);
    expect(f.os.versionId).toBe('24.04');
    expect(f.php).toEqual({ version: '8.3', poolDir: '/etc/php/8.3/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.3', service: 'php8.3-fpm', running: false });
    expect(f.db).toMatchObject({ flavour: 'mysql', version: '8.0.39', service: 'mysql' });
    expect(f.redis).toEqual({ version: '7.0.15', service: 'redis-server', running: false });
    expect(f.files['/etc/php/8.3/fpm/pool.d/www.conf']).toMatchObject({ exists: true, content: '', sha256: sha('') });
  });

  it("Ubuntu 24.04 with Ubuntu's MariaDB 10.11, no Redis or ProxySQL", () => {
    const f = parseFacts('db2', fixture('ubuntu2404-mariadb1011.txt'), [], DEPLOYMENT_RECORD);
    expect(f.db).toEqual({ flavour: 'mariadb', version: '10.11.8', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: true });
    expect(f.php?.workerRss).toBe(47800 * 1024);
    expect(f.redis).toBeUndefined();
    expect(f.proxysql).toBeUndefined();
    expect(f.files).toEqual({});
  });

  it('Debian 12 with MySQL 8.4, no PHP', () => {
    const f = parseFacts('db84', fixture('debian12-mysql84.txt'), [], DEPLOYMENT_RECORD);
    expect(f.db).toEqual({ flavour: 'mysql', version: '8.4.3', service: 'mysql', serverBinary: '/usr/sbin/mysqld', running: false });
    expect(f.php).toBeUndefined();
    expect(f.somaxconn).toBe(65535);
    expect(f.cores).toBe(16);
  });

  it('MariaDB 11.4 from mariadb.org', () => {
    const f = parseFacts('db114', fixture('ubuntu2404-mariadb114.txt'), [], DEPLOYMENT_RECORD);
    expect(f.db).toMatchObject({ flavour: 'mariadb', version: '11.4.3', service: 'mariadb' });
  });

  it('Debian 11 without systemd: MariaDB 10.5 as mysqld, two PHP versions, no sha256sum, a broken state file', () => {
    const www = '/etc/php/8.2/fpm/pool.d/www.conf';
    const f = parseFacts('legacy', fixture('debian11-mariadb105-sysv.txt'), [www], DEPLOYMENT_RECORD);
    expect(f.initSystem).toBe('sysv');
    expect(f.somaxconn).toBe(128);
    expect(f.db).toEqual({ flavour: 'mariadb', version: '10.5.23', service: 'mysql', serverBinary: '/usr/sbin/mysqld', running: true });
    expect(f.php).toMatchObject({ version: '8.2', service: 'php8.2-fpm', running: true, workerRss: 64000 * 1024 });
    expect(f.files[www].sha256).toBe(sha(f.files[www].content!));
    expect(f.files[www].content).toContain('pm.max_children = 5');
    expect(f.lastDeployment).toBeUndefined();
  });

  it('refuses an output cut short, or one without memory or cores', () => {
    const full = fixture('debian12-mariadb1011.txt');
    expect(() => parseFacts('h', full.replace('@@stackscale:end', ''), [], DEPLOYMENT_RECORD)).toThrow(FactsParseError);
    expect(() => parseFacts('h', full.replace(/MemTotal:.*/, ''), [], DEPLOYMENT_RECORD)).toThrow(/MemTotal/);
    expect(() => parseFacts('h', full.replace(/nproc 4\nonline 4/, ''), [], DEPLOYMENT_RECORD)).toThrow(/CPU count/);
  });
});
