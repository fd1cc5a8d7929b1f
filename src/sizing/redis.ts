// Redis on a cache host: maxmemory from the users' cached answers, client and backlog limits, the idle timeout.
import type { HostSpec, Profile, Site } from '../config/types.js';
import { MiB } from '../config/size.js';
import { bytes, ceil, derived, pinOr } from './derive.js';
import { bindAddresses } from '../config/listen.js';
import type { HostResources, RedisSizing } from './types.js';
import { DEFAULT_BACKLOG, type SiteFigures, has } from './figures.js';

/** Redis memory for cached endpoint answers per concurrent user, rounded up to whole chunks. */
const REDIS_PER_USER = 1 * MiB;
const REDIS_CHUNK = 128 * MiB;

/** Redis uses more than maxmemory: allocator fragmentation, client and replication buffers. */
export const REDIS_OVERHEAD = 0.2;
const REDIS_TIMEOUT_S = 300;

/** Redis connections beyond the PHP workers': redis-cli, monitoring, cron jobs. */
const REDIS_SPARE_CLIENTS = 32;

export function sizeRedis(site: Site, h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures): RedisSizing {
  const users = profile.workload.concurrentUsers;
  const maxmemory = Math.ceil((users * REDIS_PER_USER) / REDIS_CHUNK) * REDIS_CHUNK;
  const workers = fig.totalWorkers.value;
  const backlog = Math.min(DEFAULT_BACKLOG, r.somaxconn);
  // Loopback (IPv6 too, where the host has it: `-` makes it optional), plus the private address only when a web host
  // elsewhere in the site uses this cache (config/listen.ts).
  const bind = ['127.0.0.1', '-::1', ...bindAddresses(site, h, 'redis').slice(1)];
  return {
    bind,
    port: 6379,
    maxmemory: pinOr(
      profile,
      'redis.maxmemory',
      derived(maxmemory, `${users} users x ${bytes(REDIS_PER_USER)} of cached endpoint answers, rounded up to ${bytes(REDIS_CHUNK)}`),
      bytes,
    ),
    maxmemoryPolicy: pinOr(profile, 'redis.maxmemory_policy', derived('allkeys-lru', 'a cache: when full, evict the least recently used key instead of refusing writes')),
    maxclients: pinOr(
      profile,
      'redis.maxclients',
      derived(workers * 2 + REDIS_SPARE_CLIENTS, `${workers} PHP workers may each hold a connection, x 2 for reconnects, + ${REDIS_SPARE_CLIENTS} for redis-cli, monitoring and cron`),
    ),
    tcpBacklog: pinOr(
      profile,
      'redis.tcp_backlog',
      derived(backlog, backlog < DEFAULT_BACKLOG ? `capped at somaxconn ${r.somaxconn} on ${h.name}` : `the Redis default; <= somaxconn ${r.somaxconn} on ${h.name}`),
    ),
    timeout: pinOr(profile, 'redis.timeout', derived(REDIS_TIMEOUT_S, `close client connections idle for ${REDIS_TIMEOUT_S / 60} minutes (a PHP worker reconnects on its next request)`)),
    save: pinOr(profile, 'redis.save', derived('', 'a cache: no RDB snapshots (everything in it can be recomputed)'), (v) => (v === '' ? '""' : v)),
    appendonly: pinOr(profile, 'redis.appendonly', derived(false, 'a cache: no append-only file'), (v) => (v ? 'yes' : 'no')),
  };
}
