// How each service takes a changed file with the least disruption. Every decision carries its reason, because the
// plan shows it to the operator before anything happens.
import type { HostFacts } from '../facts/types.js';
import { type RenderedFile } from '../render/types.js';
import { MONITOR_SERVICES, type Service } from '../daemons/services.js';
import type { ServiceAction } from './types.js';
import { MASK } from '../mask.js';
import { changedKeys, parseFpmPool, parseIniOptions, parseRedisConf } from '../daemons/config-files.js';

/** Redis 7.0 settings CONFIG SET changes at runtime (redis src/config.c; docs/daemons.md). */
const REDIS_RUNTIME = new Set([
  'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'timeout', 'tcp-keepalive', 'maxclients', 'save', 'appendonly',
  'appendfsync', 'requirepass', 'protected-mode', 'bind', 'port', 'hz', 'loglevel', 'slowlog-log-slower-than',
  'slowlog-max-len', 'lazyfree-lazy-eviction', 'lazyfree-lazy-expire',
]);
/** Settings whose value is a secret: shown masked. */
const REDIS_SECRET = new Set(['requirepass', 'masterauth']);

/**
 * MySQL/MariaDB variables SET GLOBAL changes at runtime, in both flavours (MariaDB server-system-variables,
 * MySQL server-system-variable reference). Anything else in the drop-in (log_bin, bind_address, relay_log,
 * log_slave_updates, gtid_mode on MySQL...) needs a restart.
 */
const MYSQL_DYNAMIC = new Set([
  'max_connections', 'innodb_buffer_pool_size', 'long_query_time', 'slow_query_log', 'slow_query_log_file',
  'thread_cache_size', 'table_open_cache', 'server_id', 'read_only', 'super_read_only', 'binlog_format',
  'gtid_domain_id', 'gtid_strict_mode', 'max_user_connections', 'wait_timeout', 'interactive_timeout',
  'sync_binlog', 'innodb_flush_log_at_trx_commit', 'log_queries_not_using_indexes', 'expire_logs_days',
  'binlog_expire_logs_seconds', 'max_allowed_packet',
]);

/** A few names and a count: a stock file replaced whole can differ in fifty settings, and the line must stay readable. */
export function listSome(names: string[], shown = 6): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

export function serviceRunning(facts: HostFacts, service: Service): boolean {
  if (service === 'php-fpm') return Boolean(facts.php?.running);
  if (service === 'redis') return Boolean(facts.redis?.running);
  if (service === 'mysql') return Boolean(facts.db?.running);
  if (service === 'proxysql') return Boolean(facts.proxysql?.running);
  if (service === 'nginx') return Boolean(facts.nginx?.running);
  return false;
}

/** The action for one service whose files changed: `before` is the host's current content (undefined = no file). */
export function decideAction(service: Service, file: RenderedFile, before: string | undefined, facts: HostFacts): ServiceAction | undefined {
  const running = serviceRunning(facts, service);
  if (service === 'stackscale') return undefined;
  if ((MONITOR_SERVICES as readonly string[]).includes(service)) {
    // Their settings are command-line flags (/etc/default) or files read at start; a restart also starts a stopped one.
    return { service, kind: 'restart', why: `${service} reads its flags and files at start: restarted (an exporter or Prometheus restart loses no data)` };
  }
  if (service === 'sysctl') {
    return { service, kind: 'runtime', why: `sysctl -p ${file.path}: the kernel takes the new values at once, nothing restarts (at boot sysctl --system reads it)` };
  }
  if (!running && service !== 'proxysql') {
    return { service, kind: 'start', why: `${service} is not running: it is started on the new file` };
  }
  if (!running && service === 'proxysql') {
    // ProxySQL reads its cnf only when its datadir holds no proxysql.db, or when started with --initial. A host where
    // this apply installs it has none yet.
    if (!facts.proxysql) return { service, kind: 'start', why: 'proxysql is installed by this apply and started: its first start reads the new cnf into its database' };
    return facts.proxysql.database
      ? { service, kind: 'start', why: 'ProxySQL is not running and its database exists: it is started with --initial so that it reads the new cnf (ProxySQL keeps the old database as proxysql.db.bak)' }
      : { service, kind: 'start', why: 'ProxySQL is not running and has no database yet: its first start reads the new cnf' };
  }
  if (service === 'php-fpm') {
    const keys = changedKeys(parseFpmPool(before ?? ''), parseFpmPool(file.content));
    if (keys.some((k) => k.endsWith('.listen.backlog') || k.endsWith('.listen'))) {
      return { service, kind: 'restart', why: 'the listen socket or listen.backlog changed, which php-fpm re-applies only on restart (php-src PR #12977)' };
    }
    return { service, kind: 'reload', why: 'php-fpm reloads a pool gracefully (SIGUSR2): running requests finish, no connection is refused' };
  }
  if (service === 'nginx') {
    if (file.path.startsWith('/etc/systemd/') && facts.initSystem === 'systemd') {
      return { service, kind: 'restart', why: 'LimitNOFILE changed, which only a new nginx master gets: systemctl daemon-reload, then restart' };
    }
    return { service, kind: 'reload', why: 'nginx reloads gracefully (SIGHUP): new workers take the new config, old ones finish their requests' };
  }
  if (service === 'redis') {
    const after = parseRedisConf(file.content);
    const keys = changedKeys(parseRedisConf(before ?? ''), after);
    const restartOnly = keys.filter((k) => !REDIS_RUNTIME.has(k));
    if (restartOnly.length > 0) {
      return { service, kind: 'restart', why: `${listSome(restartOnly)} cannot be changed by CONFIG SET; Redis must restart (the cache is emptied)` };
    }
    const settings = keys
      .filter((k) => after.has(k))
      .map((k) => ({ name: k, value: REDIS_SECRET.has(k) ? MASK : (after.get(k) as string) }));
    return { service, kind: 'runtime', why: 'every changed setting can be set at runtime with CONFIG SET: no restart, the cache is kept', settings };
  }
  if (service === 'mysql') {
    const after = parseIniOptions(file.content);
    const keys = changedKeys(parseIniOptions(before ?? ''), after);
    const restartOnly = keys.filter((k) => !MYSQL_DYNAMIC.has(k));
    if (restartOnly.length > 0) {
      return { service, kind: 'restart', why: `${listSome(restartOnly)} ${restartOnly.length === 1 ? 'is' : 'are'} not dynamic; the server must restart` };
    }
    const settings = keys.filter((k) => after.has(k)).map((k) => ({ name: k, value: after.get(k) as string }));
    return { service, kind: 'runtime', why: 'every changed variable is dynamic: SET GLOBAL, no restart', settings };
  }
  // ProxySQL reads its cnf only on a first start (no proxysql.db yet); afterwards the admin interface is the way in.
  return { service, kind: 'admin', why: 'ProxySQL ignores its cnf once its database exists: the change goes through the admin interface (LOAD ... TO RUNTIME; SAVE ... TO DISK)' };
}
