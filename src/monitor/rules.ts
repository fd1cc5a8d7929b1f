// Prometheus alert rules derived from the same profile and sizing that sized the stack, so each alert fires where the
// plan's assumptions stop holding (a pool sized for 200 workers warns at 161 busy ones, not at a stock 80% of
// something else). Pure: sizing + site in, rules with their derivations out.
import type { Site } from '../config/types.js';
import { replicaLagLimit } from '../sizing/figures.js';
import type { Derived, SiteSizing } from '../sizing/types.js';
import { formatBytes } from '../config/size.js';

/**
 * How the rule compares its measure with the threshold. `>=` is used for whole counts (the threshold is then the first
 * value that fires), `>` and `<` for rates and ratios (the threshold itself does not fire).
 */
export type Comparison = '>=' | '>' | '<';

export interface AlertRule {
  /** Alert name, also the key the promtool unit tests use. */
  alert: string;
  /** Rule group: web, db, cache, proxysql, host. */
  group: 'web' | 'db' | 'cache' | 'proxysql' | 'host';
  /** The measure the threshold applies to, a PromQL expression without the comparison. */
  measure: string;
  op: Comparison;
  threshold: Derived<number>;
  /** How the threshold reads to a person: "161 busy workers", "65%". */
  shown: string;
  /** Prometheus `for:` duration. */
  for: string;
  severity: 'warning' | 'critical';
  summary: string;
  /** Host the rule is for, when its threshold is that host's (max_children, max_connections, maxmemory...). */
  host?: string;
}

/** The metric names the textfile collector script writes for PHP-FPM (no PHP-FPM exporter is packaged). */
export const FPM_METRICS = {
  up: 'stackscale_phpfpm_up',
  active: 'stackscale_phpfpm_active_processes',
  listenQueue: 'stackscale_phpfpm_listen_queue',
  maxChildrenReached: 'stackscale_phpfpm_max_children_reached_total',
  p95: 'stackscale_phpfpm_request_duration_p95_seconds',
} as const;

/** The histogram the latency script builds from nginx's log of `$request_time` (seconds, per PHP request). */
export const NGINX_LATENCY_METRIC = 'stackscale_nginx_request_duration_seconds';

/**
 * The histogram's bucket bounds in seconds: the profile's response target and multiples of it on either side, so
 * `histogram_quantile(0.95, ...)` crosses the target exactly when more than 5% of requests took longer than it.
 */
export function latencyBuckets(targetMs: number): number[] {
  return [0.25, 0.5, 1, 2, 4, 10].map((k) => Math.round(targetMs * k) / 1000);
}

/** The metric names the ProxySQL script writes (its stats tables read over the admin interface on loopback). */
export const PROXYSQL_METRICS = {
  up: 'stackscale_proxysql_up',
  /** Per backend (hostgroup, endpoint) and state (used / free): stats_mysql_connection_pool's ConnUsed / ConnFree. */
  connections: 'stackscale_proxysql_backend_connections',
  /** 1 while the backend's status is SHUNNED (or SHUNNED_REPLICATION_LAG), else 0. */
  shunned: 'stackscale_proxysql_backend_shunned',
  connectionErrors: 'stackscale_proxysql_backend_connection_errors_total',
  clientConnections: 'stackscale_proxysql_client_connections',
  questions: 'stackscale_proxysql_questions_total',
} as const;

/** Shares and margins that are policy, not workload: one place, named. */
export const ALERT_POLICY = {
  fpmBusyShare: 0.8,
  mysqlConnectionsShare: 0.8,
  redisMemoryShare: 0.9,
  proxysqlPoolShare: 0.9,
  hitRatioMargin: 0.1,
  hostMemoryAvailable: 0.1,
  hostCpuBusy: 0.85,
} as const;

/** The whole count that is strictly more than `share` of `of`: 80% of 200 is 160, so 161 is the first over it. */
function firstOver(share: number, of: number): number {
  return Math.floor(share * of + 1e-9) + 1;
}

const pctText = (x: number): string => `${Math.round(x * 1000) / 10}%`;
const sel = (host: string): string => `{host=${JSON.stringify(host)}}`;

/** Every alert rule for the site, in a stable order (groups, then hosts in the site's order). */
export function deriveAlertRules(sizing: SiteSizing, site: Site): AlertRule[] {
  const p = sizing.profile;
  const w = p.workload;
  const rules: AlertRule[] = [];
  const web = sizing.hosts.filter((h) => h.fpm);
  const db = sizing.hosts.filter((h) => h.mysql);
  const cache = sizing.hosts.filter((h) => h.redis);
  const proxies = sizing.hosts.filter((h) => h.proxysql);

  // --- web: PHP-FPM -----------------------------------------------------------------------------------------------
  if (web.length > 0) {
    rules.push({
      alert: 'FpmMaxChildrenReached', group: 'web', for: '0m', severity: 'critical',
      measure: `increase(${FPM_METRICS.maxChildrenReached}[5m])`, op: '>',
      threshold: { value: 0, why: 'a request had to wait for a worker, the pool the profile sized is too small for the load' },
      shown: 'any increase in 5 min',
      summary: 'PHP-FPM on {{ $labels.host }} hit pm.max_children',
    });
    rules.push({
      alert: 'FpmListenQueue', group: 'web', for: '1m', severity: 'warning',
      measure: FPM_METRICS.listenQueue, op: '>',
      threshold: { value: 0, why: 'requests waited in the listen backlog for 1 min: every worker was busy' },
      shown: '> 0 for 1 min',
      summary: 'PHP-FPM on {{ $labels.host }} has requests waiting in its listen queue',
    });
    for (const h of web) {
      const max = h.fpm!.maxChildren.value;
      const t = firstOver(ALERT_POLICY.fpmBusyShare, max);
      rules.push({
        alert: 'FpmWorkersBusy', group: 'web', host: h.host.name, for: '5m', severity: 'warning',
        measure: `${FPM_METRICS.active}${sel(h.host.name)}`, op: '>=',
        threshold: { value: t, why: `more than ${pctText(ALERT_POLICY.fpmBusyShare)} of pm.max_children ${max} on ${h.host.name} (${pctText(ALERT_POLICY.fpmBusyShare)} x ${max} = ${Math.round(ALERT_POLICY.fpmBusyShare * max * 100) / 100}) for 5 min` },
        shown: `${t} busy workers`,
        summary: `PHP-FPM on ${h.host.name} has most of its ${max} workers busy`,
      });
    }
    const target = w.responseTargetMs / 1000;
    if (web.some((h) => h.nginx?.kind === 'web')) {
      rules.push({
        alert: 'ResponseTimeHigh', group: 'web', for: '5m', severity: 'warning',
        measure: `histogram_quantile(0.95, sum by (host, le) (rate(${NGINX_LATENCY_METRIC}_bucket[5m])))`, op: '>',
        threshold: { value: target, why: `p95 of nginx's request times (PHP requests, over 5 min) above the profile's ${w.responseTargetMs} ms response target for 5 min: more than 5% of requests took longer (the target is a bucket bound)` },
        shown: `${w.responseTargetMs} ms`,
        summary: 'p95 response time on {{ $labels.host }} is above the target',
      });
    } else {
      // The site keeps its own web server: only PHP-FPM's figures are at hand.
      rules.push({
        alert: 'FpmRequestTimeHigh', group: 'web', for: '5m', severity: 'warning',
        measure: FPM_METRICS.p95, op: '>',
        threshold: { value: target, why: `p95 over the last request of each idle PHP-FPM worker above the profile's ${w.responseTargetMs} ms response target for 5 min (no nginx log to build a histogram from)` },
        shown: `${w.responseTargetMs} ms`,
        summary: 'PHP-FPM request time on {{ $labels.host }} is above the target',
      });
    }
  }

  // --- db: MySQL / MariaDB -------------------------------------------------------------------------------------
  for (const h of db) {
    const max = h.mysql!.maxConnections.value;
    const t = firstOver(ALERT_POLICY.mysqlConnectionsShare, max);
    rules.push({
      alert: 'MysqlConnectionsHigh', group: 'db', host: h.host.name, for: '2m', severity: 'warning',
      measure: `mysql_global_status_threads_connected${sel(h.host.name)}`, op: '>=',
      threshold: { value: t, why: `more than ${pctText(ALERT_POLICY.mysqlConnectionsShare)} of max_connections ${max} on ${h.host.name} for 2 min` },
      shown: `${t} threads connected`,
      summary: `MySQL on ${h.host.name} is near its max_connections ${max}`,
    });
  }
  if (db.length > 0) {
    rules.push({
      alert: 'MysqlConnectionErrors', group: 'db', for: '0m', severity: 'warning',
      measure: 'sum by (host) (increase(mysql_global_status_connection_errors_total[5m]))', op: '>',
      threshold: { value: 0, why: 'connections refused for max_connections, accept or internal errors' },
      shown: 'any increase in 5 min',
      summary: 'MySQL on {{ $labels.host }} refused connections',
    });
    rules.push({
      alert: 'MysqlAbortedConnects', group: 'db', for: '0m', severity: 'warning',
      measure: 'increase(mysql_global_status_aborted_connects[5m])', op: '>',
      threshold: { value: 0, why: 'failed logins or clients that gave up during the handshake' },
      shown: 'any increase in 5 min',
      summary: 'MySQL on {{ $labels.host }} has aborted connection attempts',
    });
    const limit = site.app.maxConnectionsPerHour;
    if (limit !== undefined) {
      rules.push({
        alert: 'MysqlConnectionsPerHourHigh', group: 'db', for: '5m', severity: 'critical',
        measure: 'rate(mysql_global_status_connections[15m]) * 3600', op: '>',
        threshold: { value: limit, why: `new connections per hour, projected from the last 15 min, over app.max_connections_per_hour ${limit} (the hosting plan's per-user limit)` },
        shown: `${limit}/hour`,
        summary: 'MySQL on {{ $labels.host }} is on course to pass the hourly connection limit',
      });
    }
  }
  if (db.some((h) => h.mysql!.role === 'replica')) {
    const lag = replicaLagLimit(p);
    rules.push({
      alert: 'MysqlReplicaLag', group: 'db', for: '1m', severity: 'warning',
      measure: 'mysql_slave_status_seconds_behind_master', op: '>',
      threshold: { value: lag.value, why: `the replica lag limit: ${lag.why}` },
      shown: `${lag.value} s`,
      summary: 'replica {{ $labels.host }} lags behind its primary',
    });
    rules.push({
      alert: 'MysqlReplicaNotRunning', group: 'db', for: '1m', severity: 'critical',
      measure: '(mysql_slave_status_slave_io_running * mysql_slave_status_slave_sql_running)', op: '<',
      threshold: { value: 1, why: 'the replica IO or SQL thread stopped for 1 min' },
      shown: 'a thread stopped',
      summary: 'replication on {{ $labels.host }} is not running',
    });
  }

  // --- cache: Redis -----------------------------------------------------------------------------------------------
  if (cache.length > 0) {
    const t = Math.round((w.cacheHitRatio - ALERT_POLICY.hitRatioMargin) * 1000) / 1000;
    rules.push({
      alert: 'RedisHitRatioLow', group: 'cache', for: '15m', severity: 'warning',
      measure: 'rate(redis_keyspace_hits_total[15m]) / (rate(redis_keyspace_hits_total[15m]) + rate(redis_keyspace_misses_total[15m]))', op: '<',
      threshold: { value: t, why: `hits / (hits + misses) over 15 min below the profile's ${pctText(w.cacheHitRatio)} target less a ${pctText(ALERT_POLICY.hitRatioMargin)} margin, for 15 min: more misses reach MySQL than the pool was sized for` },
      shown: pctText(t),
      summary: 'Redis hit ratio on {{ $labels.host }} is below the target',
    });
  }
  for (const h of cache) {
    const max = h.redis!.maxmemory.value;
    const t = firstOver(ALERT_POLICY.redisMemoryShare, max);
    rules.push({
      alert: 'RedisMemoryHigh', group: 'cache', host: h.host.name, for: '5m', severity: 'warning',
      measure: `redis_memory_used_bytes${sel(h.host.name)}`, op: '>=',
      threshold: { value: t, why: `more than ${pctText(ALERT_POLICY.redisMemoryShare)} of maxmemory ${formatBytes(max)} on ${h.host.name} for 5 min` },
      shown: formatBytes(t),
      summary: `Redis on ${h.host.name} is near its maxmemory`,
    });
  }
  if (cache.length > 0) {
    rules.push({
      alert: 'RedisEvictions', group: 'cache', for: '0m', severity: 'warning',
      measure: 'increase(redis_evicted_keys_total[5m])', op: '>',
      threshold: { value: 0, why: 'maxmemory is full and cached answers are dropped before their TTL' },
      shown: 'any increase in 5 min',
      summary: 'Redis on {{ $labels.host }} is evicting keys',
    });
    rules.push({
      alert: 'RedisRejectedConnections', group: 'cache', for: '0m', severity: 'critical',
      measure: 'increase(redis_rejected_connections_total[5m])', op: '>',
      threshold: { value: 0, why: 'maxclients reached' },
      shown: 'any increase in 5 min',
      summary: 'Redis on {{ $labels.host }} rejected connections (maxclients)',
    });
  }

  // --- proxysql -------------------------------------------------------------------------------------------------
  for (const h of proxies) {
    const pool = h.proxysql!.servers.reduce((sum, sv) => sum + sv.maxConnections, 0);
    if (pool === 0) continue;
    const t = firstOver(ALERT_POLICY.proxysqlPoolShare, pool);
    rules.push({
      alert: 'ProxysqlPoolHigh', group: 'proxysql', host: h.host.name, for: '5m', severity: 'warning',
      measure: `sum by (host) (${PROXYSQL_METRICS.connections}{state="used",host=${JSON.stringify(h.host.name)}})`, op: '>=',
      threshold: { value: t, why: `more than ${pctText(ALERT_POLICY.proxysqlPoolShare)} of the ${pool} backend connections planned on ${h.host.name} (sum of mysql_servers.max_connections) for 5 min` },
      shown: `${t} connections in use`,
      summary: `ProxySQL on ${h.host.name} is near its ${pool} planned backend connections`,
    });
  }
  if (proxies.length > 0) {
    rules.push({
      alert: 'ProxysqlDown', group: 'proxysql', for: '2m', severity: 'critical',
      measure: PROXYSQL_METRICS.up, op: '<',
      threshold: { value: 1, why: 'the metrics script got no answer from ProxySQL\'s admin interface for 2 min' },
      shown: 'no answer for 2 min',
      summary: 'ProxySQL on {{ $labels.host }} does not answer',
    });
    rules.push({
      alert: 'ProxysqlServerShunned', group: 'proxysql', for: '1m', severity: 'critical',
      measure: `max by (host, endpoint) (${PROXYSQL_METRICS.shunned})`, op: '>',
      threshold: { value: 0, why: 'a backend shunned by ProxySQL for 1 min: errors or replication lag took it out of the pool' },
      shown: 'any shunned',
      summary: 'ProxySQL on {{ $labels.host }} shunned {{ $labels.endpoint }}',
    });
  }

  // --- every host -----------------------------------------------------------------------------------------------
  rules.push({
    alert: 'TargetDown', group: 'host', for: '2m', severity: 'critical',
    measure: 'up', op: '<',
    threshold: { value: 1, why: 'an exporter did not answer Prometheus for 2 min' },
    shown: 'down for 2 min',
    summary: '{{ $labels.job }} on {{ $labels.host }} is down',
  });
  rules.push({
    alert: 'HostMemoryLow', group: 'host', for: '5m', severity: 'warning',
    measure: 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', op: '<',
    threshold: { value: ALERT_POLICY.hostMemoryAvailable, why: `less than ${pctText(ALERT_POLICY.hostMemoryAvailable)} of RAM available for 5 min: the memory the sizing planned for no longer fits` },
    shown: pctText(ALERT_POLICY.hostMemoryAvailable),
    summary: 'host {{ $labels.host }} is short of memory',
  });
  rules.push({
    alert: 'HostCpuBusy', group: 'host', for: '10m', severity: 'warning',
    measure: '1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', op: '>',
    threshold: { value: ALERT_POLICY.hostCpuBusy, why: `CPU busy more than ${pctText(ALERT_POLICY.hostCpuBusy)} for 10 min: no headroom left for a peak` },
    shown: pctText(ALERT_POLICY.hostCpuBusy),
    summary: 'host {{ $labels.host }} CPU is busy',
  });
  return rules;
}

/** The PromQL of a rule: its measure compared with its threshold. */
export function ruleExpr(r: AlertRule): string {
  return `${r.measure} ${r.op} ${r.threshold.value}`;
}

/** One line per rule for `profiles show` and the rules file's comments. */
export function describeRule(r: AlertRule): string {
  const where = r.host ? ` on ${r.host}` : '';
  return `${r.alert}${where} at ${r.shown}: ${r.threshold.why}`;
}
