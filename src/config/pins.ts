// Every derived setting a profile may pin (`pin:` in a profile file), in one place, each with its type and range.
// A pin replaces the model's value on every host of that role; the cross-checks in src/validate/rules.ts still run,
// so a pin that breaks the model (start_servers above max_children) is reported, never silently accepted.
import * as z from 'zod';
import { bool, decimal, oneOf, size, strict, text, wholeNumber } from './fields.js';
import { GiB, MiB } from './size.js';

const REDIS_POLICIES = [
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'noeviction',
] as const;

export const PINS = {
  // PHP-FPM pool (per web host)
  'fpm.pm': oneOf('a process manager', ['static', 'dynamic', 'ondemand']),
  'fpm.max_children': wholeNumber('a worker count', 1, 100_000),
  'fpm.start_servers': wholeNumber('a worker count', 0, 100_000),
  'fpm.min_spare_servers': wholeNumber('a worker count', 0, 100_000),
  'fpm.max_spare_servers': wholeNumber('a worker count', 0, 100_000),
  'fpm.max_requests': wholeNumber('a request count', 0, 10_000_000),
  // -1: the kernel's somaxconn (php-fpm's Linux default)
  'fpm.listen_backlog': wholeNumber('a backlog', -1, 1_000_000),
  'fpm.request_terminate_timeout': wholeNumber('a timeout in seconds', 0, 86_400),
  // Redis (per cache host)
  'redis.maxmemory': size('a memory size', 16 * MiB, 1024 * GiB),
  'redis.maxmemory_policy': oneOf('an eviction policy', REDIS_POLICIES),
  'redis.maxclients': wholeNumber('a client count', 1, 1_000_000),
  'redis.tcp_backlog': wholeNumber('a backlog', 1, 1_000_000),
  'redis.timeout': wholeNumber('a timeout in seconds', 0, 86_400),
  'redis.save': text('a save schedule', /^(|\d+ \d+( \d+ \d+)*)$/, '"" (off) or pairs of "seconds changes", like "3600 1 300 100"'),
  'redis.appendonly': bool('appendonly'),
  // MySQL / MariaDB (per database host)
  'mysql.max_connections': wholeNumber('a connection count', 10, 100_000),
  'mysql.innodb_buffer_pool_size': size('a buffer pool size', 128 * MiB, 4096 * GiB),
  'mysql.long_query_time': decimal('a time in seconds', 0, 3600),
  'mysql.thread_cache_size': wholeNumber('a thread count', 0, 16_384),
  'mysql.table_open_cache': wholeNumber('a table count', 1, 1_048_576),
  // ProxySQL (per proxysql host)
  'proxysql.threads': wholeNumber('a thread count', 1, 255),
  'proxysql.max_connections': wholeNumber('a connection count', 1, 1_000_000),
  'proxysql.backend_max_connections': wholeNumber('a connection count', 1, 100_000),
  'proxysql.free_connections_pct': wholeNumber('a percentage', 0, 100),
  'proxysql.connection_max_age_ms': wholeNumber('a time in milliseconds', 0, 86_400_000),
  'proxysql.max_replication_lag': wholeNumber('a lag in seconds', 0, 86_400),
  // nginx (per web or lb host)
  'nginx.worker_processes': wholeNumber('a process count', 1, 1024),
  'nginx.worker_connections': wholeNumber('a connection count', 64, 1_000_000),
  'nginx.keepalive_timeout': wholeNumber('a timeout in seconds', 0, 3600),
  'nginx.keepalive_requests': wholeNumber('a request count', 1, 10_000_000),
  'nginx.listen_backlog': wholeNumber('a backlog', 1, 1_000_000),
  'nginx.rate_per_minute': wholeNumber('a request rate per minute', 1, 1_000_000),
  'nginx.burst': wholeNumber('a request count', 0, 1_000_000),
  'nginx.conn_per_address': wholeNumber('a connection count', 1, 1_000_000),
  // Memory kept for the OS and page cache on every host
  'memory.os_reserve': size('a memory size', 0, 1024 * GiB),
} as const;

export type PinKey = keyof typeof PINS;
export type PinValues = { [K in PinKey]?: z.output<(typeof PINS)[K]> };

export const PIN_KEYS = Object.keys(PINS) as PinKey[];

/** The `pin:` map of a profile: only the keys above, each of its type. */
export const pinsSchema = strict('a map of pinned settings', Object.fromEntries(PIN_KEYS.map((k) => [k, PINS[k].optional()])) as {
  [K in PinKey]: z.ZodOptional<(typeof PINS)[K]>;
});
