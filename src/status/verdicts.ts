// The verdicts: parsed live figures + what the profile plans -> figures with a mark. Pure, table-tested.
// The rules, each with the reason it warns:
// - a use figure at or above NEAR (90%) of its limit warns: the next burst meets the limit;
// - anything that says requests already waited or were refused (FPM listen queue, max children reached, Redis
//   rejected connections, evicted keys) warns, since those are the symptoms the capacity guide sizes against;
// - a limit the daemon runs with that differs from the profile's value warns: the host is not on the profile
//   (not applied yet, or changed by hand); `stackscale plan` shows the difference;
// - ratios over too few samples are reported without a verdict.
import { formatLiveBytes } from '../config/size.js';
import type { ReplicaStatus } from '../replication/status.js';
import type { FpmStatus, HostSample, PoolRow } from './parse.js';
import { numberField } from './parse.js';
import type { Expectations, Figure, Mark } from './types.js';
import { ALERT_POLICY } from '../monitor/rules.js';

/** Share of a limit from which a use figure warns. */
export const NEAR = 0.9;
/** Below this many lookups, a hit ratio says nothing about the cache yet. */
export const MIN_LOOKUPS = 100;
/** Seconds a replica may lag when no ProxySQL max_replication_lag is planned for it. */
export const DEFAULT_MAX_LAG = 30;
/** Below this uptime (seconds), a per-hour rate is extrapolated from too little. */
export const MIN_UPTIME_FOR_RATE = 600;

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

function fig(f: Omit<Figure, 'mark'> & { mark?: Mark }): Figure {
  const out: Figure = { ...f, mark: f.mark ?? 'ok' };
  for (const k of Object.keys(out) as (keyof Figure)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** `used` against `limit`: warn from NEAR of it. A limit of 0 means none is set. */
function usage(key: string, label: string, used: number, limit: number | undefined, planned: number | undefined, unit: Figure['unit'], what: string): Figure {
  if (limit === undefined || limit <= 0) return fig({ key, label, value: used, unit, planned });
  const share = used / limit;
  const warn = share >= NEAR;
  return fig({ key, label, value: used, unit, limit, planned, mark: warn ? 'warn' : 'ok', note: warn ? `${pct(share)} of ${what}` : undefined });
}

/** The limit the daemon runs with against the profile's: warn when they differ. */
function limitFigure(key: string, label: string, live: number | undefined, planned: number | undefined, unit: Figure['unit'] = 'count'): Figure {
  const differs = live !== undefined && planned !== undefined && live !== planned;
  return fig({
    key,
    label,
    value: live ?? null,
    unit,
    planned,
    mark: differs ? 'warn' : 'ok',
    note: differs ? `the profile plans ${unit === 'bytes' ? formatLiveBytes(planned) : planned}: the host is not on the profile (run stackscale plan)` : live === undefined ? 'not known' : undefined,
  });
}

/** A counter that must stay 0: any other value warns with `why`. */
function zero(key: string, label: string, value: number, why: string, unit: Figure['unit'] = 'count'): Figure {
  return fig({ key, label, value, unit, limit: 0, mark: value > 0 ? 'warn' : 'ok', note: value > 0 ? why : undefined });
}

// ---- php-fpm ----

export function fpmFigures(s: FpmStatus, liveMaxChildren: number | undefined, exp: Expectations): Figure[] {
  const planned = exp.fpm?.maxChildren;
  const limit = liveMaxChildren ?? planned;
  return [
    usage('fpm.active', 'active processes', s.active, limit, planned, 'count', 'pm.max_children busy'),
    fig({ key: 'fpm.idle', label: 'idle processes', value: s.idle, unit: 'count' }),
    fig({ key: 'fpm.total', label: 'total processes', value: s.total, unit: 'count', limit }),
    zero('fpm.listen_queue', 'listen queue', s.listenQueue, 'requests are waiting for a free worker now'),
    zero('fpm.max_listen_queue', 'max listen queue', s.maxListenQueue, 'requests have waited for a free worker since the pool started'),
    zero(
      'fpm.max_children_reached',
      'max children reached',
      s.maxChildrenReached,
      `the pool hit pm.max_children${limit ? ` (${limit})` : ''} since it started: raise it if memory allows, or add a web host`,
    ),
    limitFigure('fpm.max_children', 'pm.max_children', liveMaxChildren, planned),
  ];
}

/** Without a status page: what `ps` tells (the workers), and why the rest is unknown. */
export function fpmFiguresWithoutStatus(total: number | undefined, liveMaxChildren: number | undefined, exp: Expectations, why: string): Figure[] {
  const planned = exp.fpm?.maxChildren;
  return [
    fig({ key: 'fpm.total', label: 'total processes', value: total ?? null, unit: 'count', limit: liveMaxChildren ?? planned }),
    fig({ key: 'fpm.status_page', label: 'status page', value: false, mark: 'warn', note: `${why}: active, idle, listen queue and max children reached are unknown` }),
    limitFigure('fpm.max_children', 'pm.max_children', liveMaxChildren, planned),
  ];
}

// ---- Redis ----

export function redisFigures(info: Record<string, string>, exp: Expectations): Figure[] {
  const out: Figure[] = [];
  const hits = numberField(info, 'keyspace_hits') ?? 0;
  const misses = numberField(info, 'keyspace_misses') ?? 0;
  const lookups = hits + misses;
  const target = exp.cacheHitRatio;
  if (lookups < MIN_LOOKUPS) {
    out.push(fig({ key: 'redis.hit_ratio', label: 'hit ratio', value: lookups === 0 ? null : round(hits / lookups), unit: 'ratio', limit: target, note: `${lookups} lookups since start: too few to judge` }));
  } else {
    const ratio = hits / lookups;
    const low = target !== undefined && ratio < target;
    out.push(fig({
      key: 'redis.hit_ratio', label: 'hit ratio', value: round(ratio), unit: 'ratio', limit: target, mark: low ? 'warn' : 'ok',
      note: low ? `below the profile's ${pct(target)} target over ${lookups} lookups: check TTLs and which endpoints cache` : undefined,
    }));
  }

  const used = numberField(info, 'used_memory') ?? 0;
  const maxmemory = numberField(info, 'maxmemory');
  const plannedMem = exp.redis?.maxmemory;
  if (maxmemory === 0) {
    out.push(fig({ key: 'redis.used_memory', label: 'used memory', value: used, unit: 'bytes', limit: 0, planned: plannedMem, mark: 'warn', note: 'no maxmemory: the cache can grow until the host swaps' }));
  } else {
    out.push(usage('redis.used_memory', 'used memory', used, maxmemory, plannedMem, 'bytes', 'maxmemory: evictions follow'));
  }
  out.push(limitFigure('redis.maxmemory', 'maxmemory', maxmemory, plannedMem, 'bytes'));
  out.push(zero('redis.evicted_keys', 'evicted keys', numberField(info, 'evicted_keys') ?? 0, 'keys were dropped for memory before their TTL: raise maxmemory if the hit ratio is short of target'));

  const clients = numberField(info, 'connected_clients') ?? 0;
  const maxclients = numberField(info, 'maxclients');
  const plannedClients = exp.redis?.maxclients;
  out.push(usage('redis.connected_clients', 'connected clients', clients, maxclients ?? plannedClients, plannedClients, 'count', 'maxclients'));
  out.push(zero('redis.rejected_connections', 'rejected connections', numberField(info, 'rejected_connections') ?? 0, 'clients were refused at maxclients since start'));
  out.push(limitFigure('redis.maxclients', 'maxclients', maxclients, plannedClients));
  return out;
}

// ---- MySQL / MariaDB ----

/** `fields`: SHOW GLOBAL STATUS and the few SHOW GLOBAL VARIABLES read with it (max_connections). */
export function mysqlFigures(fields: Record<string, string>, exp: Expectations): Figure[] {
  const maxConn = numberField(fields, 'max_connections');
  const planned = exp.mysql?.maxConnections;
  const limit = maxConn ?? planned;
  const out: Figure[] = [
    usage('mysql.threads_connected', 'threads connected', numberField(fields, 'Threads_connected') ?? 0, limit, planned, 'count', 'max_connections in use'),
    fig({ key: 'mysql.threads_running', label: 'threads running', value: numberField(fields, 'Threads_running') ?? 0, unit: 'count' }),
    usage('mysql.max_used_connections', 'max used connections', numberField(fields, 'Max_used_connections') ?? 0, limit, planned, 'count', 'max_connections reached since start'),
    limitFigure('mysql.max_connections', 'max_connections', maxConn, planned),
    fig({ key: 'mysql.connections', label: 'connections since start', value: numberField(fields, 'Connections') ?? 0, unit: 'count' }),
  ];
  // Counters since the server started: any refused connection is worth a look (max_connections reached, accept errors).
  const errorNames = Object.keys(fields).filter((k) => k.startsWith('Connection_errors_'));
  if (errorNames.length > 0) {
    const refused = errorNames.reduce((sum, k) => sum + (numberField(fields, k) ?? 0), 0);
    const reasons = errorNames.filter((k) => (numberField(fields, k) ?? 0) > 0).map((k) => `${k.replace('Connection_errors_', '')} ${fields[k]}`);
    out.push(fig({ key: 'mysql.connection_errors', label: 'connection errors since start', value: refused, unit: 'count', mark: refused > 0 ? 'warn' : 'ok',
      note: refused > 0 ? `refused or failed connections: ${reasons.join(', ')}` : undefined }));
  }
  const aborted = numberField(fields, 'Aborted_connects');
  if (aborted !== undefined) out.push(fig({ key: 'mysql.aborted_connects', label: 'aborted connects since start', value: aborted, unit: 'count' }));
  const uptime = numberField(fields, 'Uptime');
  const conns = numberField(fields, 'Connections');
  if (uptime !== undefined && conns !== undefined && uptime > 0) {
    const perHour = Math.round((conns / uptime) * 3600);
    const hourLimit = exp.connectionsPerHourLimit;
    if (uptime < MIN_UPTIME_FOR_RATE) {
      out.push(fig({ key: 'mysql.connections_per_hour', label: 'connections per hour', value: perHour, unit: 'per-hour', limit: hourLimit, note: `up ${uptime} s: too short to judge` }));
    } else {
      const over = hourLimit !== undefined && perHour > hourLimit;
      out.push(fig({
        key: 'mysql.connections_per_hour', label: 'connections per hour', value: perHour, unit: 'per-hour', limit: hourLimit, mark: over ? 'warn' : 'ok',
        note: over ? `above the DB user's ${hourLimit} MAX_CONNECTIONS_PER_HOUR (all users counted): pool connections through ProxySQL` : undefined,
      }));
    }
  }
  return out;
}

/** CPU busy and memory available, against the same lines the alert rules draw (monitor/rules.ts ALERT_POLICY). */
export function hostFigures(s: HostSample): Figure[] {
  const cpuWarn = s.cpuBusy > ALERT_POLICY.hostCpuBusy;
  const avail = s.memTotal > 0 ? s.memAvailable / s.memTotal : 0;
  const memWarn = avail < ALERT_POLICY.hostMemoryAvailable;
  return [
    fig({ key: 'host.cpu_busy', label: 'CPU busy', value: Math.round(s.cpuBusy * 1000) / 1000, unit: 'ratio', limit: ALERT_POLICY.hostCpuBusy, mark: cpuWarn ? 'warn' : 'ok',
      note: cpuWarn ? `more than ${pct(ALERT_POLICY.hostCpuBusy)} busy over the last second: no headroom for a peak` : undefined }),
    fig({ key: 'host.memory_available', label: 'memory available', value: s.memAvailable, unit: 'bytes', limit: s.memTotal, mark: memWarn ? 'warn' : 'ok',
      note: memWarn ? `${pct(avail)} of RAM available: the host is near swapping` : undefined }),
  ];
}

export function replicaFigures(rs: ReplicaStatus | undefined, exp: Expectations): Figure[] {
  if (!rs) {
    return [fig({ key: 'replication.configured', label: 'replication', value: false, mark: 'warn', note: 'a db-replica host with no replication configured: run stackscale apply' })];
  }
  const maxLag = exp.replicaMaxLag ?? DEFAULT_MAX_LAG;
  const ioWhy = rs.lastIoError ? `: ${rs.lastIoError}` : rs.ioState && rs.ioState !== 'No' ? ` (${rs.ioState})` : '';
  const lag = rs.secondsBehind;
  return [
    fig({ key: 'replication.io_running', label: 'IO thread running', value: rs.ioRunning, mark: rs.ioRunning ? 'ok' : 'warn', note: rs.ioRunning ? undefined : `not running${ioWhy}` }),
    fig({ key: 'replication.sql_running', label: 'SQL thread running', value: rs.sqlRunning, mark: rs.sqlRunning ? 'ok' : 'warn', note: rs.sqlRunning ? undefined : `not running${rs.lastSqlError ? `: ${rs.lastSqlError}` : ''}` }),
    fig({
      key: 'replication.seconds_behind', label: 'seconds behind', value: lag, unit: 'seconds', limit: maxLag,
      mark: lag === null || lag > maxLag ? 'warn' : 'ok',
      note: lag === null ? 'unknown: a replication thread is not running' : lag > maxLag ? `more than ${maxLag} s behind the primary: reads routed here are stale` : undefined,
    }),
    fig({ key: 'replication.source', label: 'source', value: rs.sourceHost ? `${rs.sourceHost}:${rs.sourcePort}` : null }),
  ];
}

// ---- ProxySQL ----

export function proxysqlFigures(rows: PoolRow[], exp: Expectations, global: Record<string, string> = {}): Figure[] {
  const planned = exp.proxysql?.servers ?? [];
  const out: Figure[] = [];
  // Frontend: the clients (PHP workers) connected now, against the connections ProxySQL is planned to accept.
  const connected = numberField(global, 'Client_Connections_connected');
  if (connected !== undefined) {
    const limit = exp.proxysql?.frontendMaxConnections;
    out.push(usage('proxysql.frontend.connected', 'clients connected', connected, limit, limit, 'count', 'the frontend max_connections'));
  }
  const aborted = numberField(global, 'Client_Connections_aborted');
  if (aborted !== undefined) out.push(fig({ key: 'proxysql.frontend.aborted', label: 'clients aborted', value: aborted, unit: 'count', note: aborted > 0 ? 'since start: refused logins, or clients gone mid-handshake' : undefined }));
  // SHUNNED (errors, unreachable) or SHUNNED_REPLICATION_LAG (over its max_replication_lag).
  const shunned = rows.filter((r) => r.status.startsWith('SHUNNED'));
  out.push(fig({
    key: 'proxysql.shunned', label: 'shunned servers', value: shunned.length, unit: 'count', mark: shunned.length > 0 ? 'warn' : 'ok',
    note: shunned.length > 0 ? `${[...new Set(shunned.map((r) => `${r.host}:${r.port}`))].join(', ')}: unreachable or lagging, ProxySQL sends no queries there` : undefined,
  }));
  for (const hg of [...new Set(rows.map((r) => r.hostgroup))].sort((a, b) => a - b)) {
    const queries = rows.filter((r) => r.hostgroup === hg).reduce((n, r) => n + r.queries, 0);
    out.push(fig({ key: `proxysql.hostgroup.${hg}.queries`, label: `hostgroup ${hg} queries`, value: queries, unit: 'count' }));
  }
  for (const r of rows) {
    const plan = planned.find((s) => s.address === r.host && s.port === r.port && s.hostgroup === r.hostgroup);
    const id = `proxysql.pool.${r.hostgroup}.${r.host}:${r.port}`;
    const name = `hostgroup ${r.hostgroup} ${r.host}:${r.port}`;
    const inUse = usage(`${id}.used`, `${name} used`, r.used, plan?.maxConnections, plan?.maxConnections, 'count', 'the planned pool busy');
    out.push(inUse);
    out.push(fig({ key: `${id}.free`, label: `${name} free`, value: r.free, unit: 'count' }));
    out.push(fig({ key: `${id}.errors`, label: `${name} connect errors`, value: r.err, unit: 'count', note: r.err > 0 ? 'since ProxySQL started' : undefined }));
    const online = r.status === 'ONLINE';
    out.push(fig({ key: `${id}.status`, label: `${name} status`, value: r.status, mark: online ? 'ok' : 'warn', note: online ? undefined : 'ProxySQL sends no queries to it' }));
    if (!plan) out.push(fig({ key: `${id}.planned`, label: `${name} planned`, value: false, mark: 'warn', note: 'not a server of the planned pool' }));
  }
  for (const s of planned) {
    if (!rows.some((r) => r.host === s.address && r.port === s.port && r.hostgroup === s.hostgroup)) {
      out.push(fig({
        key: `proxysql.pool.${s.hostgroup}.${s.address}:${s.port}.used`, label: `hostgroup ${s.hostgroup} ${s.address}:${s.port} used`, value: null,
        planned: s.maxConnections, mark: 'warn', note: 'planned but not in the runtime pool: run stackscale apply',
      }));
    }
  }
  if (rows.length === 0 && planned.length === 0) out.push(fig({ key: 'proxysql.pool', label: 'connection pool', value: 0, unit: 'count', note: 'no backend servers' }));
  return out;
}

/** The worst mark of a list: warn if any figure warns. */
export function worst(figures: Figure[]): Mark {
  return figures.some((f) => f.mark === 'warn') ? 'warn' : 'ok';
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
