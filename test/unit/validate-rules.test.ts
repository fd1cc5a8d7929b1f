// Cross-check rules over a sized site: php-fpm's ordering, server ids, one primary, the connection chain, backlogs,
// the per-hour limit; pins that break the model are named in the fix.
import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { loadProfile, parseProfile } from '../../src/config/profile.js';
import { defaultSite, loadSite, parseSite } from '../../src/config/site.js';
import type { Profile, Site } from '../../src/config/types.js';
import { sizeSite } from '../../src/sizing/model.js';
import { checkSizing, RULES, validateSite } from '../../src/validate/rules.js';

const GiB = 2 ** 30;
const splitSite = (): Site => loadSite('test/fixtures/config/site-split.yaml');

function pinned(pins: string): Profile {
  return parseProfile(
    'description: pinned\n' +
      'workload: {concurrent_users: 1000, peak_in_flight_ratio: 0.2, requests_per_user_per_minute: 6, php_time_ms: 120, response_target_ms: 200, ' +
      'cache_hit_ratio: 0.75, db_connections: {min: 50, max: 100}, worker_rss: 40M, queries_per_request: 4}\n' +
      `cache_ttls: {get_orders: 10}\npin: {${pins}}\n`,
    'pinned.yaml',
    'pinned',
  );
}

function problems(site: Site, profile: Profile): string[] {
  return checkSizing(sizeSite(site, profile)).map(formatProblem);
}

describe('the shipped profiles pass every rule where they fit', () => {
  test.each([
    ['300', 'split', splitSite],
    ['700', 'split', splitSite],
    ['1000', 'split', splitSite],
    ['1000', 'default all-in-one', defaultSite],
  ])('%s on the %s site', (name, _label, site) => {
    expect(checkSizing(sizeSite(site(), loadProfile(name, { baseDir: process.cwd() })))).toEqual([]);
  });

  test('every rule has a name and says what it protects', () => {
    expect(RULES.map((r) => r.name)).toEqual([
      'littles-law',
      'php-cpu',
      'fpm-order',
      'unique-server-ids',
      'one-primary',
      'proxysql-servers',
      'chain-frontend',
      'chain-backend',
      'pool-range',
      'redis-maxclients',
      'backlog-somaxconn',
      'nginx-connections',
      'memory',
      'connections-per-hour',
    ]);
    for (const r of RULES) expect(r.about.length).toBeGreaterThan(10);
  });
});

describe("php-fpm's ordering, with the pin named", () => {
  test.each([
    [
      'start_servers 500 over max_children 200',
      'fpm.start_servers: 500',
      [
        'web1 pm.start_servers: pm.start_servers 500 is above pm.max_children 200; php-fpm requires min_spare_servers (30) <= start_servers <= max_spare_servers (100) (the profile pins fpm.start_servers: pin a value from 30 to 100, or remove the pin)',
      ],
    ],
    [
      'start_servers below min_spare',
      'fpm.start_servers: 10',
      [
        'web1 pm.start_servers: pm.start_servers 10 is below pm.min_spare_servers 30; php-fpm requires min_spare_servers (30) <= start_servers <= max_spare_servers (100) (the profile pins fpm.start_servers: pin a value from 30 to 100, or remove the pin)',
      ],
    ],
    [
      'max_spare below min_spare',
      'fpm.max_spare_servers: 20',
      [
        'web1 pm.max_spare_servers: pm.max_spare_servers 20 is below pm.min_spare_servers 30 (the profile pins fpm.max_spare_servers: keep min_spare_servers <= max_spare_servers, or remove the pin)',
      ],
    ],
    [
      'min_spare 0',
      'fpm.min_spare_servers: 0',
      ['web1 pm.min_spare_servers: pm.min_spare_servers 0 must be above 0 for pm = dynamic (the profile pins fpm.min_spare_servers: pin a value from 1 up, or remove the pin)'],
    ],
    [
      'max_spare above max_children',
      'fpm.max_spare_servers: 300',
      ['web1 pm.max_spare_servers: pm.max_spare_servers 300 is above pm.max_children 200 (the profile pins fpm.max_spare_servers: pin a value from 30 to 200, or remove the pin)'],
    ],
    ['pm = static ignores the spare settings', 'fpm.pm: static, fpm.start_servers: 500', []],
    ['start_servers 0 lets php-fpm pick', 'fpm.start_servers: 0', []],
  ])('%s', (_name, pins, expected) => {
    // With nginx managed its sysctl file raises somaxconn to the largest backlog (test/unit/web-tier.test.ts); a site
    // keeping its own web server has the host's somaxconn as it is.
    expect(problems({ ...splitSite(), webServer: 'none' }, pinned(pins))).toEqual(expected);
  });
});

describe('the connection chain', () => {
  test.each([
    [
      'ProxySQL frontend below the PHP workers',
      'proxysql.max_connections: 150',
      [
        'proxy1 mysql-max_connections: ProxySQL mysql-max_connections 150 is below the 200 PHP workers that may connect (pm.max_children 200 on web1) (the profile pins proxysql.max_connections: pin at least 200, or remove the pin)',
      ],
    ],
    [
      'MySQL max_connections below the pool plus the reserve',
      'mysql.max_connections: 80',
      [
        'db1 max_connections: max_connections 80 less 12 reserved for admin, replication and monitor leaves 68, below the 100 pooled connections ProxySQL may open to it (the profile pins mysql.max_connections: pin at least 112, or remove the pin)',
        'db2 max_connections: max_connections 80 less 12 reserved for admin, replication and monitor leaves 68, below the 100 pooled connections ProxySQL may open to it (the profile pins mysql.max_connections: pin at least 112, or remove the pin)',
      ],
    ],
    ['a larger pinned backend pool raises max_connections with it', 'proxysql.backend_max_connections: 150', []],
    [
      'a pinned backend pool larger than a pinned max_connections',
      'proxysql.backend_max_connections: 150, mysql.max_connections: 120',
      [
        'db1 max_connections: max_connections 120 less 12 reserved for admin, replication and monitor leaves 108, below the 150 pooled connections ProxySQL may open to it (the profile pins mysql.max_connections: pin at least 162, or remove the pin)',
        'db2 max_connections: max_connections 120 less 12 reserved for admin, replication and monitor leaves 108, below the 150 pooled connections ProxySQL may open to it (the profile pins mysql.max_connections: pin at least 162, or remove the pin)',
      ],
    ],
    [
      'a backend pool below the profile minimum',
      'proxysql.backend_max_connections: 20',
      ["proxy1 mysql_servers.max_connections: 20 backend connections per server is below the profile's minimum pool of 50 (the profile pins proxysql.backend_max_connections: pin at least 50, or remove the pin)"],
    ],
    [
      'Redis maxclients below the PHP workers',
      'redis.maxclients: 100',
      ['web1 maxclients: Redis maxclients 100 is below the 200 PHP workers that may each hold a connection (the profile pins redis.maxclients: pin at least 200, or remove the pin)'],
    ],
    [
      'backlogs above somaxconn',
      'fpm.listen_backlog: 8192, redis.tcp_backlog: 65535',
      [
        'web1 listen.backlog: listen.backlog 8192 is above net.core.somaxconn 4096 on web1 (the profile pins fpm.listen_backlog: pin at most 4096, or raise net.core.somaxconn, or remove the pin)',
        'web1 tcp-backlog: tcp-backlog 65535 is above net.core.somaxconn 4096 on web1 (the profile pins redis.tcp_backlog: pin at most 4096, or raise net.core.somaxconn, or remove the pin)',
      ],
    ],
    ['listen.backlog -1 means somaxconn itself', 'fpm.listen_backlog: -1', []],
  ])('%s', (_name, pins, expected) => {
    // With nginx managed its sysctl file raises somaxconn to the largest backlog (test/unit/web-tier.test.ts); a site
    // keeping its own web server has the host's somaxconn as it is.
    expect(problems({ ...splitSite(), webServer: 'none' }, pinned(pins))).toEqual(expected);
  });

  test('several broken pins: every problem at once', () => {
    expect(problems(splitSite(), pinned('fpm.start_servers: 500, redis.maxclients: 100, proxysql.max_connections: 150')).map((p) => p.split(':')[0])).toEqual([
      'web1 pm.start_servers',
      'proxy1 mysql-max_connections',
      'web1 maxclients',
    ]);
  });
});

describe('the per-hour connection limit', () => {
  const site = (limit: number, proxysql: boolean): Site =>
    parseSite(
      `hosts:\n  web1: {address: 10.0.0.1, roles: [web${proxysql ? ', proxysql' : ''}], size: {memory: 16G, cores: 8}}\n` +
        '  db1: {address: 10.0.0.2, roles: [db-primary], size: {memory: 8G, cores: 4}}\n' +
        `app: {database: restro, db_user: restro, max_connections_per_hour: ${limit}}\nprofile: 1000\n`,
      'limit.yaml',
    );
  const p1000 = loadProfile('1000', { baseDir: process.cwd() });

  test('without ProxySQL, the 500/hour shared-hosting limit is far exceeded', () => {
    expect(problems(site(500, false), p1000)).toEqual([
      'app app.max_connections_per_hour: about 90000 connections an hour without pooling (1000 users x 6 requests/min x 60 x 25% cache misses: without a pool each request that reaches MySQL opens a connection) exceeds the DB user\'s limit of 500 (add a host with the proxysql role (pooled: about 200/hour per server), or raise the limit)',
    ]);
  });

  test('with ProxySQL the pool stays under 500/hour (and the guide\'s < 2000/hour)', () => {
    const s = sizeSite(site(500, true), p1000);
    expect(s.chain.connectionsPerHourWithPool.value).toBe(200);
    expect(checkSizing(s)).toEqual([]);
  });

  test('with ProxySQL but a limit below the pool', () => {
    expect(problems(site(100, true), p1000)).toEqual([
      "app app.max_connections_per_hour: about 200 connections an hour with pooling (100 pooled connections per server, each reopened every 30 min by ProxySQL (connection_max_age)) exceeds the DB user's limit of 100 (lower proxysql.backend_max_connections, raise proxysql.connection_max_age_ms, or raise the limit)",
    ]);
  });
});

describe('replication set and topology', () => {
  test('duplicate server ids and two primaries in a hand-built sizing', () => {
    const s = sizeSite(splitSite(), loadProfile('1000', { baseDir: process.cwd() }));
    const db2 = s.hosts.find((h) => h.host.name === 'db2')!;
    db2.mysql = { ...db2.mysql!, role: 'primary', serverId: { value: 1, why: 'hand-built' } };
    expect(checkSizing(s).map(formatProblem)).toEqual([
      "db2 server_id: server_id 1 is also db1's (give every database server its own id)",
      'db2 roles: a second db-primary (db1 is the primary) (make db2 a db-replica)',
    ]);
  });

  test('ProxySQL with no database to route to', () => {
    const site = parseSite('hosts:\n  p: {address: 10.0.0.1, roles: [proxysql], size: {memory: 2G, cores: 2}}\napp: {database: a, db_user: b}\nprofile: 1000\n', 'p.yaml');
    expect(problems(site, loadProfile('300', { baseDir: process.cwd() }))).toEqual([
      'p mysql_servers: ProxySQL has no database server to route to: the site has no db-primary (give a host the db-primary role, or drop the proxysql role)',
    ]);
  });
});

describe('validateSite', () => {
  test('sizing and problems together', () => {
    const r = validateSite(splitSite(), pinned('fpm.start_servers: 500'));
    expect(r.sizing?.hosts).toHaveLength(4);
    expect(r.problems.map((p) => p.path)).toEqual(['pm.start_servers']);
  });

  test('a host that cannot hold the profile comes back as problems, without a sizing', () => {
    const site = defaultSite();
    site.hosts[0].size = { memory: 4 * GiB, cores: 2 };
    const r = validateSite(site, loadProfile('1000', { baseDir: process.cwd() }));
    expect(r.sizing).toBeUndefined();
    expect(r.problems.map((p) => [p.where, p.path])).toEqual([['stackscale', undefined]]);
  });
});
