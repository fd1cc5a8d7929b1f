// The status parsers against outputs captured from the test hosts (php8.2-fpm, Redis 7.0.15, MariaDB 10.11) and,
// for ProxySQL, rows in the column layout of stats_mysql_connection_pool (docs/daemons.md; live in test/e2e/proxysql.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/replication/client.js';
import { dialectFor } from '../../src/replication/flavour.js';
import { parseReplicaStatus, parseVertical } from '../../src/replication/status.js';
import {
  StatusParseError,
  parseFpmStatusJson,
  parseNameValues,
  parsePoolRows,
  parseRedisInfo,
  parseRedisInfoReply,
} from '../../src/status/parse.js';

// `php -- /run/php/php8.2-fpm.sock /fpm-status json` on a test host (the FastCGI client of src/daemons/fastcgi.ts).
const FPM_JSON =
  '{"pool":"www","process manager":"dynamic","start time":1795749518,"start since":3,"accepted conn":1,"listen queue":0,' +
  '"max listen queue":0,"listen queue len":0,"idle processes":1,"active processes":1,"total processes":2,"max active processes":1,' +
  '"max children reached":0,"slow requests":0}';

// `redis-cli -h 127.0.0.1 -p 6379` with `AUTH "s3cret pw"` + `INFO` on stdin, Redis 7.0.15: sections cut from the
// capture (Server, Persistence, Replication, CPU and the rest of Memory/Stats left out), CRLF line ends as sent.
const REDIS_AUTH_INFO = [
  'OK',
  '# Server', 'redis_version:7.0.15', 'redis_git_sha1:00000000', 'redis_mode:standalone', '',
  '# Clients', 'connected_clients:1', 'cluster_connections:0', 'maxclients:10000', 'client_recent_max_input_buffer:0',
  'client_recent_max_output_buffer:0', 'blocked_clients:0', 'tracking_clients:0', 'clients_in_timeout_table:0', '',
  '# Memory', 'used_memory:1091096', 'used_memory_human:1.04M', 'used_memory_rss:7647232', 'used_memory_peak:1153288',
  'used_memory_peak_perc:94.61%', 'total_system_memory:25276510208', 'maxmemory:67108864', 'maxmemory_human:64.00M',
  'maxmemory_policy:noeviction', 'mem_fragmentation_ratio:7.27', '',
  '# Stats', 'total_connections_received:11', 'total_commands_processed:176', 'instantaneous_ops_per_sec:100',
  'rejected_connections:0', 'expired_keys:0', 'evicted_keys:0', 'evicted_clients:0', 'keyspace_hits:121', 'keyspace_misses:41',
  'total_error_replies:20', '',
  '# Errorstats', 'errorstat_NOAUTH:count=18', 'errorstat_WRONGPASS:count=2', '',
  '# Keyspace', 'db0:keys=1,expires=0,avg_ttl=0', '',
]
  .map((l, i) => (i === 0 ? l : `${l}\r`))
  .join('\n');

// `SHOW GLOBAL STATUS WHERE ...; SHOW GLOBAL VARIABLES WHERE ...` through `mariadb --batch --skip-column-names`.
const GLOBAL_STATUS = 'Aborted_connects\t0\nConnections\t8\nMax_used_connections\t1\nThreads_connected\t1\nThreads_running\t1\nUptime\t7211\nmax_connections\t151\n';

// `mysql --batch` against ProxySQL's admin: a header, then tab-separated rows.
const POOL_BATCH = [
  'hostgroup\tsrv_host\tsrv_port\tstatus\tConnUsed\tConnFree\tConnOK\tConnERR\tMaxConnUsed\tQueries',
  '10\t10.0.0.31\t3306\tONLINE\t42\t8\t50\t0\t61\t183920',
  '20\t10.0.0.32\t3306\tSHUNNED\t0\t0\t12\t3\t17\t40211',
  '',
].join('\n');

const captured = (name: string): string => readFileSync(new URL(`../golden/replication/captured/${name}`, import.meta.url), 'utf8');

describe('parseFpmStatusJson', () => {
  it('reads every figure of the ?json status page', () => {
    expect(parseFpmStatusJson(FPM_JSON)).toEqual({
      pool: 'www', processManager: 'dynamic', startSince: 3, acceptedConn: 1, listenQueue: 0, maxListenQueue: 0, listenQueueLen: 0,
      idle: 1, active: 1, total: 2, maxActive: 1, maxChildrenReached: 0, slowRequests: 0,
    });
  });
  it('says what came back when the page is not JSON (no status path: php-fpm answers "File not found.")', () => {
    expect(() => parseFpmStatusJson('File not found.\n')).toThrow(new StatusParseError('the status page did not answer with JSON: "File not found."'));
    expect(() => parseFpmStatusJson('')).toThrow(/empty answer/);
  });
  it('refuses JSON without the figures', () => {
    expect(() => parseFpmStatusJson('{"pool":"www"}')).toThrow(/no number "start since"/);
  });
});

describe('parseRedisInfo / parseRedisInfoReply', () => {
  it('reads fields across sections, dropping CR, headers and blank lines', () => {
    const info = parseRedisInfo(REDIS_AUTH_INFO.split('\n').slice(1).join('\n'));
    expect(info.redis_version).toBe('7.0.15');
    expect(info.keyspace_hits).toBe('121');
    expect(info.maxmemory).toBe('67108864');
    expect(info.maxclients).toBe('10000');
    expect(info.used_memory_peak_perc).toBe('94.61%');
    expect(info.db0).toBe('keys=1,expires=0,avg_ttl=0');
    expect(Object.keys(info).some((k) => k.includes('\r') || k.startsWith('#'))).toBe(false);
  });
  it('takes the AUTH reply off the first line; errorstat_* lines are data, not errors', () => {
    const r = parseRedisInfoReply(REDIS_AUTH_INFO, true);
    expect(r.authError).toBeUndefined();
    expect(r.info.errorstat_WRONGPASS).toBe('count=2');
    expect(r.info.connected_clients).toBe('1');
  });
  it('without AUTH the first line is INFO itself', () => {
    const r = parseRedisInfoReply(REDIS_AUTH_INFO.split('\n').slice(1).join('\n'), false);
    expect(r.info.keyspace_misses).toBe('41');
  });
  it('a wrong password: WRONGPASS, then NOAUTH for INFO (captured)', () => {
    const out = 'WRONGPASS invalid username-password pair or user is disabled.\n\nNOAUTH Authentication required.\n';
    expect(() => parseRedisInfoReply(out, true)).toThrow(
      'NOAUTH Authentication required. (AUTH: WRONGPASS invalid username-password pair or user is disabled.)',
    );
  });
  it('no password sent to a server that wants one (captured)', () => {
    expect(() => parseRedisInfoReply('NOAUTH Authentication required.\n', false)).toThrow('NOAUTH Authentication required.');
  });
  it('a password sent to a server with none: INFO answers, the refusal is kept', () => {
    const out = 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\n# Server\r\nredis_version:7.0.15\r\n';
    const r = parseRedisInfoReply(out, true);
    expect(r.authError).toMatch(/^ERR AUTH <password> called without any password/);
    expect(r.info.redis_version).toBe('7.0.15');
  });
});

describe('parseNameValues (SHOW GLOBAL STATUS batch output)', () => {
  it('reads name/value pairs', () => {
    expect(parseNameValues(GLOBAL_STATUS)).toEqual({
      Aborted_connects: '0', Connections: '8', Max_used_connections: '1', Threads_connected: '1', Threads_running: '1', Uptime: '7211', max_connections: '151',
    });
  });
  it('ignores lines without a tab', () => {
    expect(parseNameValues('\nnoise\nThreads_running\t3\n')).toEqual({ Threads_running: '3' });
  });
});

describe('parsePoolRows (stats_mysql_connection_pool)', () => {
  it('reads the rows the admin interface returns', () => {
    expect(parsePoolRows(parseBatch(POOL_BATCH))).toEqual([
      { hostgroup: 10, host: '10.0.0.31', port: 3306, status: 'ONLINE', used: 42, free: 8, ok: 50, err: 0, maxUsed: 61, queries: 183920 },
      { hostgroup: 20, host: '10.0.0.32', port: 3306, status: 'SHUNNED', used: 0, free: 0, ok: 12, err: 3, maxUsed: 17, queries: 40211 },
    ]);
  });
  it('refuses rows of another table', () => {
    expect(() => parsePoolRows([{ hostname: 'x' }])).toThrow(/without srv_host/);
  });
});

describe('replica status (the replication parsers, on captured SHOW SLAVE STATUS\\G)', () => {
  const d = dialectFor('mariadb', '10.11.19');
  it('running', () => {
    const rs = parseReplicaStatus(parseVertical(captured('mariadb-10.11-running.txt'))[0], d);
    expect(rs).toMatchObject({ ioRunning: true, sqlRunning: true, secondsBehind: 0 });
  });
  it('IO thread stopped: lag unknown', () => {
    const rs = parseReplicaStatus(parseVertical(captured('mariadb-10.11-io-stopped.txt'))[0], d);
    expect(rs).toMatchObject({ ioRunning: false, sqlRunning: true, secondsBehind: null });
  });
});

describe('host sample (/proc/stat twice, /proc/meminfo)', () => {
  it('CPU busy is the non-idle share between the two cpu lines; memory in bytes', async () => {
    const { parseHostSample } = await import('../../src/status/parse.js');
    const { hostFigures } = await import('../../src/status/verdicts.js');
    const text = [
      'cpu  100 0 100 700 100 0 0 0 0 0',
      // +1000 jiffies: 900 busy (user 700, system 200), 100 idle+iowait -> 90% busy
      'cpu  800 0 300 750 150 0 0 0 0 0',
      'MemTotal:        1000000 kB',
      'MemAvailable:      50000 kB',
    ].join('\n');
    const s = parseHostSample(text);
    expect(s.cpuBusy).toBeCloseTo(0.9, 6);
    expect(s.memTotal).toBe(1000000 * 1024);
    expect(s.memAvailable).toBe(50000 * 1024);
    const figs = hostFigures(s);
    expect(figs.map((f) => [f.key, f.mark])).toEqual([['host.cpu_busy', 'warn'], ['host.memory_available', 'warn']]);
    expect(hostFigures({ cpuBusy: 0.85, memTotal: 100, memAvailable: 10 }).map((f) => f.mark)).toEqual(['ok', 'ok']);
    expect(() => parseHostSample('MemTotal: 1 kB')).toThrow(/two cpu lines/);
  });

  it('MySQL connection errors: the Connection_errors_* counters summed, warn when any', async () => {
    const { mysqlFigures } = await import('../../src/status/verdicts.js');
    const base = { Threads_connected: '3', Threads_running: '1', Max_used_connections: '5', Connections: '10', Uptime: '10', max_connections: '100', Aborted_connects: '2' };
    const quiet = mysqlFigures({ ...base, Connection_errors_max_connections: '0', Connection_errors_internal: '0' }, {});
    expect(quiet.find((f) => f.key === 'mysql.connection_errors')).toMatchObject({ value: 0, mark: 'ok' });
    expect(quiet.find((f) => f.key === 'mysql.aborted_connects')).toMatchObject({ value: 2 });
    const refused = mysqlFigures({ ...base, Connection_errors_max_connections: '4', Connection_errors_internal: '1' }, {});
    expect(refused.find((f) => f.key === 'mysql.connection_errors')).toMatchObject({ value: 5, mark: 'warn', note: 'refused or failed connections: max_connections 4, internal 1' });
  });
});
