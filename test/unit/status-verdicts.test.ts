// The verdicts, table-driven: live figures + what the profile plans -> marks and notes.
import { describe, expect, it } from 'vitest';
import type { ReplicaStatus } from '../../src/replication/status.js';
import type { FpmStatus, PoolRow } from '../../src/status/parse.js';
import { expectationsFor } from '../../src/status/report.js';
import type { Expectations, Figure } from '../../src/status/types.js';
import {
  DEFAULT_MAX_LAG,
  fpmFigures,
  fpmFiguresWithoutStatus,
  mysqlFigures,
  proxysqlFigures,
  redisFigures,
  replicaFigures,
  worst,
} from '../../src/status/verdicts.js';
import { referenceSizing } from '../fixtures/sizing.js';

const byKey = (figures: Figure[], key: string): Figure => {
  const f = figures.find((x) => x.key === key);
  if (!f) throw new Error(`no figure ${key} in ${figures.map((x) => x.key).join(', ')}`);
  return f;
};
const marks = (figures: Figure[]): Record<string, string> => Object.fromEntries(figures.map((f) => [f.key, f.mark]));

const fpm = (over: Partial<FpmStatus> = {}): FpmStatus => ({
  pool: 'www', processManager: 'dynamic', startSince: 600, acceptedConn: 1000, listenQueue: 0, maxListenQueue: 0, listenQueueLen: 4096,
  idle: 40, active: 10, total: 50, maxActive: 60, maxChildrenReached: 0, slowRequests: 0, ...over,
});

describe('php-fpm', () => {
  const exp: Expectations = { fpm: { maxChildren: 200 } };
  it('a quiet pool on the profile: all ok, compared with the live pm.max_children', () => {
    const f = fpmFigures(fpm(), 200, exp);
    expect(worst(f)).toBe('ok');
    expect(byKey(f, 'fpm.active')).toEqual({ key: 'fpm.active', label: 'active processes', value: 10, unit: 'count', limit: 200, planned: 200, mark: 'ok' });
    expect(f.map((x) => x.key)).toEqual(['fpm.active', 'fpm.idle', 'fpm.total', 'fpm.listen_queue', 'fpm.max_listen_queue', 'fpm.max_children_reached', 'fpm.max_children']);
  });
  it.each([
    ['listen queue > 0', { listenQueue: 3 }, 'fpm.listen_queue', /waiting for a free worker now/],
    ['max listen queue > 0', { maxListenQueue: 12 }, 'fpm.max_listen_queue', /have waited/],
    ['max children reached > 0', { maxChildrenReached: 2 }, 'fpm.max_children_reached', /hit pm.max_children \(200\)/],
    ['active at 90% of max_children', { active: 180 }, 'fpm.active', /90% of pm.max_children busy/],
  ])('%s warns', (_, over, key, note) => {
    const f = byKey(fpmFigures(fpm(over), 200, exp), key);
    expect(f.mark).toBe('warn');
    expect(f.note).toMatch(note);
  });
  it('active just under 90% is ok', () => {
    expect(byKey(fpmFigures(fpm({ active: 179 }), 200, exp), 'fpm.active').mark).toBe('ok');
  });
  it('a host not on the profile (Debian default pool of 5) warns on pm.max_children, and use is measured against the live 5', () => {
    const f = fpmFigures(fpm({ active: 5, idle: 0, total: 5 }), 5, exp);
    expect(byKey(f, 'fpm.max_children')).toMatchObject({ value: 5, planned: 200, mark: 'warn' });
    expect(byKey(f, 'fpm.active')).toMatchObject({ limit: 5, planned: 200, mark: 'warn' });
  });
  it('without a status page: workers from ps, and the unknowns named', () => {
    const f = fpmFiguresWithoutStatus(2, 5, exp, 'pm.status_path is not set in /etc/php/8.2/fpm/pool.d/www.conf');
    expect(marks(f)).toEqual({ 'fpm.total': 'ok', 'fpm.status_page': 'warn', 'fpm.max_children': 'warn' });
    expect(byKey(f, 'fpm.status_page').note).toBe('pm.status_path is not set in /etc/php/8.2/fpm/pool.d/www.conf: active, idle, listen queue and max children reached are unknown');
    expect(byKey(f, 'fpm.total')).toMatchObject({ value: 2, limit: 5 });
  });
});

describe('Redis', () => {
  const info = (over: Record<string, string> = {}): Record<string, string> => ({
    keyspace_hits: '7800', keyspace_misses: '2200', used_memory: '104857600', maxmemory: '1073741824', evicted_keys: '0',
    connected_clients: '120', maxclients: '1000', rejected_connections: '0', ...over,
  });
  const exp: Expectations = { cacheHitRatio: 0.75, redis: { maxmemory: 1073741824, maxclients: 1000 } };
  it('on target: all ok, the ratio rounded', () => {
    const f = redisFigures(info(), exp);
    expect(worst(f)).toBe('ok');
    expect(byKey(f, 'redis.hit_ratio')).toEqual({ key: 'redis.hit_ratio', label: 'hit ratio', value: 0.78, unit: 'ratio', limit: 0.75, mark: 'ok' });
  });
  it('below the target hit ratio warns', () => {
    const f = byKey(redisFigures(info({ keyspace_hits: '600', keyspace_misses: '400' }), exp), 'redis.hit_ratio');
    expect(f).toMatchObject({ value: 0.6, mark: 'warn' });
    expect(f.note).toMatch(/below the profile's 75% target over 1000 lookups/);
  });
  it('too few lookups: no verdict', () => {
    const f = byKey(redisFigures(info({ keyspace_hits: '0', keyspace_misses: '0' }), exp), 'redis.hit_ratio');
    expect(f).toMatchObject({ value: null, mark: 'ok', note: '0 lookups since start: too few to judge' });
    expect(byKey(redisFigures(info({ keyspace_hits: '10', keyspace_misses: '89' }), exp), 'redis.hit_ratio').mark).toBe('ok');
  });
  it.each([
    ['evicted keys', { evicted_keys: '5' }, 'redis.evicted_keys'],
    ['memory at 90% of maxmemory', { used_memory: String(0.9 * 1073741824) }, 'redis.used_memory'],
    ['clients at 90% of maxclients', { connected_clients: '900' }, 'redis.connected_clients'],
    ['rejected connections', { rejected_connections: '1' }, 'redis.rejected_connections'],
    ['maxmemory not the profile\'s', { maxmemory: '67108864' }, 'redis.maxmemory'],
    ['maxclients not the profile\'s', { maxclients: '10000' }, 'redis.maxclients'],
  ])('%s warns', (_, over, key) => {
    expect(byKey(redisFigures(info(over), exp), key).mark).toBe('warn');
  });
  it('a byte limit off the profile is named in bytes people read', () => {
    expect(byKey(redisFigures(info({ maxmemory: '67108864' }), exp), 'redis.maxmemory').note).toBe('the profile plans 1 GiB: the host is not on the profile (run stackscale plan)');
  });
  it('no maxmemory at all warns: the cache can grow until the host swaps', () => {
    const f = byKey(redisFigures(info({ maxmemory: '0' }), {}), 'redis.used_memory');
    expect(f).toMatchObject({ mark: 'warn', limit: 0 });
    expect(f.note).toMatch(/no maxmemory/);
  });
  it('without a profile, limits are the live ones and nothing is "not on the profile"', () => {
    const f = redisFigures(info(), {});
    expect(worst(f)).toBe('ok');
    expect(byKey(f, 'redis.maxclients')).toEqual({ key: 'redis.maxclients', label: 'maxclients', value: 1000, unit: 'count', mark: 'ok' });
  });
});

describe('MySQL / MariaDB', () => {
  const fields = (over: Record<string, string> = {}): Record<string, string> => ({
    Threads_connected: '40', Threads_running: '3', Max_used_connections: '80', Connections: '5000', Uptime: '36000', max_connections: '130', ...over,
  });
  const exp: Expectations = { mysql: { maxConnections: 130 } };
  it('ordinary load: ok, with connections per hour', () => {
    const f = mysqlFigures(fields(), exp);
    expect(worst(f)).toBe('ok');
    expect(byKey(f, 'mysql.connections_per_hour')).toMatchObject({ value: 500, unit: 'per-hour', mark: 'ok' });
  });
  it.each([
    ['threads connected at 90%', { Threads_connected: '117' }, 'mysql.threads_connected'],
    ['max used connections reached the limit', { Max_used_connections: '130' }, 'mysql.max_used_connections'],
    ['max_connections not the profile\'s (MariaDB default 151)', { max_connections: '151' }, 'mysql.max_connections'],
  ])('%s warns', (_, over, key) => {
    expect(byKey(mysqlFigures(fields(over), exp), key).mark).toBe('warn');
  });
  it('connections per hour above the DB user\'s hourly limit warn; a short uptime gives no verdict', () => {
    const withLimit: Expectations = { ...exp, connectionsPerHourLimit: 500 };
    expect(byKey(mysqlFigures(fields({ Connections: '6000' }), withLimit), 'mysql.connections_per_hour')).toMatchObject({ value: 600, limit: 500, mark: 'warn' });
    expect(byKey(mysqlFigures(fields({ Connections: '6000', Uptime: '60' }), withLimit), 'mysql.connections_per_hour')).toMatchObject({ mark: 'ok', note: 'up 60 s: too short to judge' });
  });
});

describe('replication', () => {
  const rs = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
    ioRunning: true, ioState: 'Yes', sqlRunning: true, secondsBehind: 2, sourceHost: '10.0.0.31', sourcePort: 3306, sourceUser: 'repl',
    gtidPositioning: true, lastIoErrno: 0, lastIoError: '', lastSqlErrno: 0, lastSqlError: '', gtidIoPos: '0-1-5', executedGtidSet: '', ...over,
  });
  it('running and caught up', () => {
    const f = replicaFigures(rs(), { replicaMaxLag: 30 });
    expect(marks(f)).toEqual({ 'replication.io_running': 'ok', 'replication.sql_running': 'ok', 'replication.seconds_behind': 'ok', 'replication.source': 'ok' });
    expect(byKey(f, 'replication.source').value).toBe('10.0.0.31:3306');
  });
  it('lag beyond the planned max_replication_lag (or the default) warns', () => {
    expect(byKey(replicaFigures(rs({ secondsBehind: 31 }), { replicaMaxLag: 30 }), 'replication.seconds_behind').mark).toBe('warn');
    expect(byKey(replicaFigures(rs({ secondsBehind: DEFAULT_MAX_LAG }), {}), 'replication.seconds_behind')).toMatchObject({ limit: DEFAULT_MAX_LAG, mark: 'ok' });
  });
  it('a stopped IO thread: both it and the unknown lag warn, with the error', () => {
    const f = replicaFigures(rs({ ioRunning: false, ioState: 'Connecting', secondsBehind: null, lastIoError: "error connecting to master 'repl@10.0.0.99:3306'" }), {});
    expect(byKey(f, 'replication.io_running')).toMatchObject({ mark: 'warn', note: "not running: error connecting to master 'repl@10.0.0.99:3306'" });
    expect(byKey(f, 'replication.seconds_behind')).toMatchObject({ value: null, mark: 'warn' });
  });
  it('a replica host with no replication configured warns', () => {
    expect(replicaFigures(undefined, {})).toEqual([
      { key: 'replication.configured', label: 'replication', value: false, mark: 'warn', note: 'a db-replica host with no replication configured: run stackscale apply' },
    ]);
  });
});

describe('ProxySQL pool', () => {
  const row = (over: Partial<PoolRow> = {}): PoolRow => ({ hostgroup: 10, host: '10.0.0.31', port: 3306, status: 'ONLINE', used: 42, free: 8, ok: 50, err: 0, maxUsed: 61, queries: 1, ...over });
  const exp = expectationsFor(referenceSizing(), 'proxy1');
  it('per server: used against the planned pool, free, status', () => {
    const f = proxysqlFigures([row(), row({ hostgroup: 20, host: '10.0.0.32', used: 95 })], exp);
    expect(byKey(f, 'proxysql.pool.10.10.0.0.31:3306.used')).toMatchObject({ value: 42, limit: 100, mark: 'ok' });
    expect(byKey(f, 'proxysql.pool.20.10.0.0.32:3306.used')).toMatchObject({ value: 95, limit: 100, mark: 'warn', note: '95% of the planned pool busy' });
    expect(byKey(f, 'proxysql.pool.10.10.0.0.31:3306.free').value).toBe(8);
  });
  it('a shunned server, a server missing from the runtime, a server not planned: each warns', () => {
    const f = proxysqlFigures([row({ status: 'SHUNNED' }), row({ hostgroup: 30, host: '10.0.0.99' })], exp);
    expect(byKey(f, 'proxysql.pool.10.10.0.0.31:3306.status')).toMatchObject({ value: 'SHUNNED', mark: 'warn' });
    expect(byKey(f, 'proxysql.pool.20.10.0.0.32:3306.used')).toMatchObject({ value: null, planned: 100, mark: 'warn' });
    expect(byKey(f, 'proxysql.pool.30.10.0.0.99:3306.planned').mark).toBe('warn');
    expect(byKey(f, 'proxysql.shunned')).toMatchObject({ value: 1, mark: 'warn', note: '10.0.0.31:3306: unreachable or lagging, ProxySQL sends no queries there' });
    // What the real ProxySQL shows for a lagging replica.
    const lag = proxysqlFigures([row(), row({ hostgroup: 20, host: '10.0.0.32', status: 'SHUNNED_REPLICATION_LAG' })], exp);
    expect(byKey(lag, 'proxysql.shunned')).toMatchObject({ value: 1, mark: 'warn' });
    expect(byKey(lag, 'proxysql.pool.20.10.0.0.32:3306.status')).toMatchObject({ value: 'SHUNNED_REPLICATION_LAG', mark: 'warn' });
  });
  it('frontend clients against the planned max_connections, errors per server, queries per hostgroup', () => {
    const rows = [row({ queries: 5, err: 2 }), row({ hostgroup: 20, host: '10.0.0.32', queries: 7 }), row({ hostgroup: 20, queries: 1 })];
    const f = proxysqlFigures(rows, exp, { Client_Connections_connected: '390', Client_Connections_aborted: '0' });
    expect(byKey(f, 'proxysql.frontend.connected')).toMatchObject({ value: 390, limit: 400, planned: 400, mark: 'warn' });
    expect(byKey(f, 'proxysql.frontend.aborted')).toMatchObject({ value: 0, mark: 'ok' });
    expect(byKey(f, 'proxysql.shunned')).toMatchObject({ value: 0, mark: 'ok' });
    expect(byKey(f, 'proxysql.pool.10.10.0.0.31:3306.errors')).toMatchObject({ value: 2, note: 'since ProxySQL started' });
    expect(byKey(f, 'proxysql.hostgroup.10.queries').value).toBe(5);
    expect(byKey(f, 'proxysql.hostgroup.20.queries').value).toBe(8);
  });
});

describe('expectationsFor (the reference sizing)', () => {
  const sizing = referenceSizing();
  it('web1 (web + cache): FPM, Redis and the hit ratio target', () => {
    const exp = expectationsFor(sizing, 'web1');
    expect(exp.fpm).toEqual({ maxChildren: 200 });
    expect(exp.cacheHitRatio).toBe(0.75);
    expect(exp.redis?.maxclients).toBe(sizing.hosts.find((h) => h.host.name === 'web1')?.redis?.maxclients.value);
    expect(exp.mysql).toBeUndefined();
  });
  it('db2 (replica): max_connections and the lag ProxySQL shuns it at', () => {
    expect(expectationsFor(sizing, 'db2')).toMatchObject({ mysql: { maxConnections: 130 }, replicaMaxLag: 30 });
  });
  it('no sizing: only the site\'s hourly limit', () => {
    expect(expectationsFor(undefined, 'x', 500)).toEqual({ connectionsPerHourLimit: 500 });
  });
});
