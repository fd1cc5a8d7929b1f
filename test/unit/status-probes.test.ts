// The probes and the report against the test transport: the exact commands each role runs (read only), secrets on
// stdin and never in a command or the report, what a daemon that is down or refuses looks like, ProxySQL's pool
// through its admin interface with canned output, exit codes, and the human form.
import { describe, expect, it } from 'vitest';
import type { HostSpec, Role } from '../../src/config/types.js';
import type { HostFacts } from '../../src/facts/types.js';
import { FakeTransport } from '../../src/transport/double.js';
import { FCGI_CLIENT_PHP } from '../../src/daemons/fastcgi.js';
import { formatStatus, figureText } from '../../src/status/format.js';
import { GLOBAL_STATUS_NAMES, POOL_QUERY, PROXYSQL_GLOBAL_QUERY, globalStatusScript } from '../../src/status/probes.js';
import { assembleReport, exitCodeFor, hostStatus, unreachableHost } from '../../src/status/report.js';
import { STATUS_SCHEMA, type Expectations, type HostReport } from '../../src/status/types.js';
import { readFileSync } from 'node:fs';
import { check } from './cli-schema.js';

const POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
const REDIS_CONF = '/etc/redis/redis.conf';
const SITE_PW = 'site s3cret "pw"';
const CONF_PW = 'conf-pw\\x';
const ADMIN_PW = 'adm1n pw';

const FPM_JSON =
  '{"pool":"www","process manager":"dynamic","start time":1795749518,"start since":3,"accepted conn":1,"listen queue":0,' +
  '"max listen queue":0,"listen queue len":0,"idle processes":1,"active processes":1,"total processes":2,"max active processes":1,' +
  '"max children reached":0,"slow requests":0}';
const INFO = ['# Server', 'redis_version:7.0.15', '# Clients', 'connected_clients:3', 'maxclients:1000', '# Memory', 'used_memory:1091096',
  'maxmemory:268435456', '# Stats', 'rejected_connections:0', 'evicted_keys:0', 'keyspace_hits:900', 'keyspace_misses:100', ''].join('\r\n');
const STATUS = 'Connections\t8\nMax_used_connections\t1\nThreads_connected\t1\nThreads_running\t1\nUptime\t7211\nmax_connections\t151\n';
const POOL_BATCH = 'hostgroup\tsrv_host\tsrv_port\tstatus\tConnUsed\tConnFree\tConnOK\tConnERR\tMaxConnUsed\tQueries\n10\t10.0.0.31\t3306\tONLINE\t42\t8\t50\t0\t61\t183920\n';
const GLOBAL_BATCH = 'Variable_Name\tVariable_Value\nClient_Connections_aborted\t0\nClient_Connections_connected\t12\nClient_Connections_non_idle\t3\n';

function poolFile(statusPath = true): string {
  return ['[www]', 'listen = /run/php/php8.2-fpm.sock', 'pm = dynamic', 'pm.max_children = 200', statusPath ? 'pm.status_path = /fpm-status' : ';pm.status_path = /status', ''].join('\n');
}

function facts(over: Partial<HostFacts> = {}, files: Record<string, string> = {}): HostFacts {
  return {
    host: 'web1', os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12' }, hostname: 'web1', memory: 8 * 2 ** 30, cores: 4,
    somaxconn: 4096, initSystem: 'sysv',
    php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: true },
    redis: { version: '7.0.15', service: 'redis-server', running: true },
    db: { flavour: 'mariadb', version: '10.11.19', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: true },
    files: Object.fromEntries(Object.entries(files).map(([path, content]) => [path, { path, exists: true, content }])),
    ...over,
  };
}

function host(roles: Role[], name = 'web1'): HostSpec {
  return { name, address: '203.0.113.10', privateAddress: '10.0.0.10', port: 22, user: 'root', roles };
}

/** A host answering like the captured daemons; Redis wants `password`. */
function fakeHost(password: string | undefined): FakeTransport {
  return new FakeTransport('web1')
    .on('php -- /run/php/php8.2-fpm.sock /fpm-status json', (_, o) => ({ code: String(o.stdin) === FCGI_CLIENT_PHP ? 0 : 2, stdout: FPM_JSON }))
    .on(/^sh -c 'ps --no-headers/, { stdout: '2\n' })
    .on('redis-cli -h 127.0.0.1 -p 6379', (_, o) => {
      const lines = String(o.stdin).split('\n');
      const auth = /^AUTH "(.*)"$/.exec(lines[0])?.[1]?.replace(/\\(.)/g, '$1');
      if (password === undefined) return { stdout: (auth !== undefined ? 'ERR AUTH <password> called without any password configured for the default user.\n' : '') + INFO };
      if (auth === undefined) return { stdout: 'NOAUTH Authentication required.\n' };
      return { stdout: auth === password ? `OK\n${INFO}` : 'WRONGPASS invalid username-password pair or user is disabled.\n\nNOAUTH Authentication required.\n' };
    })
    .on('mariadb --batch --skip-column-names', { stdout: STATUS });
}

const exp: Expectations = { fpm: { maxChildren: 200 }, cacheHitRatio: 0.75, redis: { maxmemory: 268435456, maxclients: 1000 }, mysql: { maxConnections: 151 } };

describe('hostStatus: one host with web, cache and db-primary', () => {
  it('runs exactly the read-only commands of its roles, secrets on stdin only', async () => {
    const t = fakeHost(SITE_PW);
    const files = { [POOL]: poolFile(), [REDIS_CONF]: `port 6379\nrequirepass "${CONF_PW}"\n` };
    const report = await hostStatus({ host: host(['web', 'cache', 'db-primary']), transport: t, facts: facts({}, files), expectations: exp, secrets: { redisPassword: SITE_PW } });
    expect(t.commands()).toEqual(['php -- /run/php/php8.2-fpm.sock /fpm-status json', 'redis-cli -h 127.0.0.1 -p 6379', 'mariadb --batch --skip-column-names']);
    expect(t.log.filter((c) => c.kind !== 'run')).toEqual([]); // nothing read or written besides the probes
    expect(t.log[1].stdin).toBe('AUTH "site s3cret \\"pw\\""\nINFO\n');
    expect(t.log[2].stdin).toBe(globalStatusScript());
    for (const c of t.log) expect(c.command).not.toContain('s3cret');
    expect(JSON.stringify(report)).not.toContain('s3cret');
    expect(report).toMatchObject({ host: 'web1', reachable: true, mark: 'ok' });
    expect(report.services.map((s) => [s.service, s.answered])).toEqual([['php-fpm', true], ['redis', true], ['mysql', true]]);
    expect(report.services[1].figures.find((f) => f.key === 'redis.hit_ratio')).toMatchObject({ value: 0.9, mark: 'ok' });
    expect(check(JSON.parse(JSON.stringify(assembleReport('700', [report]))), 'status.schema.json')).toEqual([]);
  });

  it('global status asks for the figures it reports, and max_connections in the same call', () => {
    const script = globalStatusScript();
    for (const n of GLOBAL_STATUS_NAMES) expect(script).toContain(`'${n}'`);
    expect(script).toMatch(/SHOW GLOBAL VARIABLES WHERE Variable_name IN \('max_connections'\);\n$/);
  });

  it('Redis: the site password refused, the host\'s own requirepass used instead', async () => {
    const t = fakeHost(CONF_PW);
    const report = await hostStatus({
      host: host(['cache']), transport: t, facts: facts({}, { [REDIS_CONF]: `port 6379\nrequirepass "${CONF_PW.replace(/\\/g, '\\\\')}"\n` }), expectations: exp, secrets: { redisPassword: SITE_PW },
    });
    expect(t.log.map((c) => c.stdin?.split('\n')[0])).toEqual(['AUTH "site s3cret \\"pw\\""', 'AUTH "conf-pw\\\\x"']);
    expect(report.services[0].answered).toBe(true);
  });

  it('Redis: no password anywhere and the server wants one -> not answered, said plainly', async () => {
    const report = await hostStatus({ host: host(['cache']), transport: fakeHost('x'), facts: facts(), expectations: exp, secrets: {} });
    expect(report.services[0]).toEqual({ service: 'redis', answered: false, error: "INFO on 127.0.0.1:6379: NOAUTH Authentication required. (the password is neither the site's secrets.redis_password nor requirepass in /etc/redis/redis.conf)", figures: [] });
    expect(report.mark).toBe('warn');
  });

  it('Redis without a password while the site has one: figures, and a warning that it answers anyone', async () => {
    const report = await hostStatus({ host: host(['cache']), transport: fakeHost(undefined), facts: facts(), expectations: exp, secrets: { redisPassword: SITE_PW } });
    const auth = report.services[0].figures.find((f) => f.key === 'redis.auth');
    expect(auth?.mark).toBe('warn');
    expect(auth?.note).toMatch(/^Redis answers without a password/);
    expect(JSON.stringify(report)).not.toContain('s3cret');
  });

  it('FPM without pm.status_path: workers counted by ps, the rest named unknown', async () => {
    const t = fakeHost(undefined);
    const report = await hostStatus({ host: host(['web']), transport: t, facts: facts({}, { [POOL]: poolFile(false) }), expectations: exp, secrets: {} });
    expect(t.commands()).toEqual([`sh -c 'ps --no-headers -o pid --ppid "$(cat -- "$1")" | wc -l' stackscale-status /run/php/php8.2-fpm.pid`]);
    const figs = report.services[0].figures;
    expect(figs.find((f) => f.key === 'fpm.total')).toMatchObject({ value: 2, limit: 200 });
    expect(figs.find((f) => f.key === 'fpm.status_page')?.note).toMatch(/^pm.status_path is not set in \/etc\/php\/8.2\/fpm\/pool.d\/www.conf/);
  });

  it('daemons not running: not answered, nothing run for them', async () => {
    const t = fakeHost(undefined);
    const f = facts({ php: { ...facts().php!, running: false }, redis: undefined, db: { ...facts().db!, running: false } });
    const report = await hostStatus({ host: host(['web', 'cache', 'db-replica']), transport: t, facts: f, expectations: exp, secrets: {} });
    expect(t.commands()).toEqual([]);
    expect(report.services.map((s) => `${s.service}: ${s.error}`)).toEqual([
      'php-fpm: php8.2-fpm is not running', 'redis: redis-server is not installed (stackscale apply installs it)', 'mysql: mariadb is not running', 'replication: no database server running',
    ]);
    expect(exitCodeFor([report])).toBe(1);
  });
});

describe('replica and ProxySQL probes', () => {
  it('a replica: SHOW SLAVE STATUS\\G in MariaDB\'s words, captured output', async () => {
    const captured = readFileSync(new URL('../golden/replication/captured/mariadb-10.11-running.txt', import.meta.url), 'utf8');
    const t = fakeHost(undefined).on('mariadb --batch', (_, o) => ({ stdout: String(o.stdin) === 'SHOW SLAVE STATUS\\G\n' ? captured : '' }));
    const report = await hostStatus({ host: host(['db-replica'], 'db2'), transport: t, facts: facts(), expectations: { replicaMaxLag: 30 }, secrets: {} });
    expect(t.commands()).toEqual(['mariadb --batch --skip-column-names', 'mariadb --batch']);
    const repl = report.services[1];
    expect(repl.figures.map((f) => [f.key, f.value, f.mark])).toEqual([
      ['replication.io_running', true, 'ok'], ['replication.sql_running', true, 'ok'], ['replication.seconds_behind', 0, 'ok'], ['replication.source', '10.77.13.21:3306', 'ok'],
    ]);
  });

  it('ProxySQL: the pool through the admin interface, the admin password in a defaults file on stdin', async () => {
    const t = new FakeTransport('proxy1').on(/--defaults-extra-file/, (_, o) => ({
      stdout: String(o.stdin).includes(POOL_QUERY) ? POOL_BATCH : String(o.stdin).includes(PROXYSQL_GLOBAL_QUERY) ? GLOBAL_BATCH : '',
    }));
    const f = facts({ php: undefined, redis: undefined, db: undefined, proxysql: { version: '2.7.1', running: true } });
    const expectations: Expectations = { proxysql: { servers: [{ address: '10.0.0.31', port: 3306, hostgroup: 10, maxConnections: 100 }] } };
    const report = await hostStatus({ host: host(['proxysql'], 'proxy1'), transport: t, facts: f, expectations, secrets: { proxysqlAdminPassword: ADMIN_PW } });
    expect(t.log).toHaveLength(2);
    expect(t.log.map((l) => l.command).join('\n')).not.toContain(ADMIN_PW);
    expect(t.log[0].command).toContain("mysql --defaults-extra-file=\"$f\" --batch --no-auto-rehash");
    expect(t.log[0].stdin).toContain('password="adm1n pw"');
    expect(t.log[0].stdin).toContain('port=6032');
    expect(report.services[0].figures.map((x) => [x.key, x.value, x.mark])).toEqual([
      ['proxysql.frontend.connected', 12, 'ok'], ['proxysql.frontend.aborted', 0, 'ok'], ['proxysql.shunned', 0, 'ok'], ['proxysql.hostgroup.10.queries', 183920, 'ok'],
      ['proxysql.pool.10.10.0.0.31:3306.used', 42, 'ok'], ['proxysql.pool.10.10.0.0.31:3306.free', 8, 'ok'], ['proxysql.pool.10.10.0.0.31:3306.errors', 0, 'ok'],
      ['proxysql.pool.10.10.0.0.31:3306.status', 'ONLINE', 'ok'],
    ]);
  });

  it('ProxySQL: admin login from the host\'s proxysql.cnf when the site has no secret; refused login is masked', async () => {
    const cnf = 'admin_variables=\n{\n  admin_credentials="admin:cnf adm1n"\n  mysql_ifaces="127.0.0.1:6099"\n}\n';
    const t = new FakeTransport('proxy1').on(/--defaults-extra-file/, { code: 1, stderr: "ERROR 1045 (28000): ProxySQL Error: Access denied for user 'admin' using password 'cnf adm1n'\n" });
    const f = facts({ php: undefined, redis: undefined, db: undefined, proxysql: { version: '2.7.1', running: true } }, { '/etc/proxysql.cnf': cnf });
    const report = await hostStatus({ host: host(['proxysql'], 'proxy1'), transport: t, facts: f, expectations: {}, secrets: {} });
    expect(t.log[0].stdin).toContain('password="cnf adm1n"');
    expect(t.log[0].stdin).toContain('port=6099');
    expect(report.services[0].answered).toBe(false);
    expect(report.services[0].error).toContain('Access denied');
    expect(report.services[0].error).not.toContain('cnf adm1n');
  });

  it('ProxySQL with no admin password anywhere: says which secret to set', async () => {
    const f = facts({ proxysql: { version: '2.7.1', running: true } });
    const report = await hostStatus({ host: host(['proxysql']), transport: new FakeTransport(), facts: f, expectations: {}, secrets: {} });
    expect(report.services[0].error).toBe('no admin password: set secrets.proxysql_admin_password in the site file');
  });
});

describe('report, exit codes and the human form', () => {
  const okHost: HostReport = {
    host: 'web1', roles: ['web'], reachable: true, mark: 'warn',
    services: [{ service: 'php-fpm', answered: true, figures: [
      { key: 'fpm.listen_queue', label: 'listen queue', value: 3, unit: 'count', limit: 0, mark: 'warn', note: 'requests are waiting for a free worker now' },
      { key: 'fpm.max_children', label: 'pm.max_children', value: 5, unit: 'count', planned: 200, mark: 'warn', note: 'the profile plans 200' },
    ] }],
  };
  const dead = unreachableHost(host(['db-primary'], 'db1'), { message: 'connect ECONNREFUSED 10.0.0.31:22', exitCode: 4 });

  it('warnings alone exit 0; a service down exits 1; an unreachable host exits 4 whatever else', () => {
    expect(exitCodeFor([okHost])).toBe(0);
    expect(exitCodeFor([{ ...okHost, services: [{ service: 'redis', answered: false, error: 'x', figures: [] }] }])).toBe(1);
    expect(exitCodeFor([okHost, { ...dead, error: { message: 'facts', exitCode: 1 } }])).toBe(1);
    expect(exitCodeFor([okHost, dead])).toBe(4);
  });

  it('the JSON document: schema, summary and hosts', () => {
    const r = assembleReport('1000', [okHost, dead], ['a note'], new Date('2026-01-02T03:04:05Z'));
    expect(JSON.parse(JSON.stringify(r))).toEqual({
      schema: STATUS_SCHEMA, time: '2026-01-02T03:04:05.000Z', profile: '1000', ok: false, exitCode: 4,
      summary: { hosts: 2, unreachable: 1, servicesDown: 0, warnings: 2 }, hosts: [okHost, dead], notes: ['a note'],
    });
    expect(assembleReport('1000', [{ ...okHost, mark: 'ok', services: [] }]).ok).toBe(true);
    expect(check(JSON.parse(JSON.stringify(r)), 'status.schema.json')).toEqual([]);
  });

  it('one block per host, a mark per figure, the summary last', () => {
    const plain = { bold: String, red: String, green: String, yellow: String, dim: String, cyan: String };
    const lines = formatStatus(assembleReport('700', [okHost, dead]), plain);
    expect(lines).toEqual([
      '== web1 (web)  warn',
      '  php-fpm',
      '    warn  listen queue             3  requests are waiting for a free worker now',
      '    warn  pm.max_children          5 (profile 200)  the profile plans 200',
      '== db1 (db-primary)  warn',
      '  unreachable: connect ECONNREFUSED 10.0.0.31:22',
      'status: 2 hosts, 1 not reached, 0 services down, 2 warnings (profile 700)',
    ]);
  });

  it.each([
    [{ value: 1073741824, unit: 'bytes', limit: 2147483648 }, '1 GiB / 2 GiB'],
    [{ value: 1091096, unit: 'bytes', limit: 0 }, '1.0 MiB / no limit'],
    [{ value: 0.7812, unit: 'ratio', limit: 0.75 }, '78.1% (target 75%)'],
    [{ value: null, unit: 'seconds', limit: 30 }, '- / 30 s'],
    [{ value: 600, unit: 'per-hour', limit: 500 }, '600/h / 500/h'],
    [{ value: true }, 'yes'],
    [{ value: 42, unit: 'count', limit: 100, planned: 100 }, '42 / 100'],
  ] as const)('figureText %j -> %s', (f, text) => {
    expect(figureText({ key: 'k', label: 'l', mark: 'ok', ...f })).toBe(text);
  });
});
