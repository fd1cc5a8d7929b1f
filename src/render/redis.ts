// Redis: the whole of Debian's /etc/redis/redis.conf, for cache use.
import type { HostSizing, RedisSizing, SiteSizing } from '../sizing/types.js';
import { derivationLine } from './derivation.js';
import { commentText, redisArg } from './quote.js';
import { formatBytes } from '../config/size.js';
import { renderTemplate } from './templates.js';
import { secretPlaceholder, type RenderedFile } from './types.js';
import type { SecretValues } from '../config/types.js';

export const REDIS_CONF_PATH = '/etc/redis/redis.conf';

/**
 * Where Debian's packaging expects things: its init script waits for this pidfile, and the systemd unit allows writes
 * only under /var/lib/redis, /var/log/redis and /run/redis (ProtectSystem=strict). The unit itself adds
 * `--supervised systemd --daemonize no`, so `daemonize yes` here serves the init script only.
 */
/**
 * The directories redis.conf points Redis into, as Debian's redis-server package creates them; a host where one was
 * removed gets it back (Redis logs nowhere without the first, and cannot save without the second).
 */
export const REDIS_LOG_DIR = '/var/log/redis';
export const REDIS_DATA_DIR = '/var/lib/redis';
const DEBIAN = { pidfile: '/run/redis/redis-server.pid', logfile: '/var/log/redis/redis-server.log', dir: REDIS_DATA_DIR };
/** Redis's own default: dead peers are noticed within minutes. */
const TCP_KEEPALIVE = 300;

function derivations(r: RedisSizing): string[] {
  return [
    derivationLine('maxmemory', r.maxmemory, `${r.maxmemory.value} (${formatBytes(r.maxmemory.value)})`),
    derivationLine('maxmemory-policy', r.maxmemoryPolicy),
    derivationLine('maxclients', r.maxclients),
    derivationLine('tcp-backlog', r.tcpBacklog),
    derivationLine('timeout', r.timeout),
    derivationLine('save', r.save, r.save.value === '' ? '""' : r.save.value),
    derivationLine('appendonly', r.appendonly, r.appendonly.value ? 'yes' : 'no'),
  ];
}

export function renderRedisConf(h: HostSizing, r: RedisSizing, sizing: SiteSizing, secrets: SecretValues): RenderedFile {
  const password = secrets.redis_password ?? secretPlaceholder('redis_password');
  const content = renderTemplate('redis.conf', {
    profile: commentText(sizing.profile.name),
    host: h.host.name,
    derivations: derivations(r),
    bind: r.bind.join(' '),
    port: String(r.port),
    tcpBacklog: String(r.tcpBacklog.value),
    timeout: String(r.timeout.value),
    tcpKeepalive: String(TCP_KEEPALIVE),
    ...DEBIAN,
    maxmemory: String(r.maxmemory.value),
    maxmemoryPolicy: r.maxmemoryPolicy.value,
    maxclients: String(r.maxclients.value),
    // `save ""` turns RDB snapshots off; a schedule ("3600 1 300 100") is several arguments on one line.
    save: r.save.value === '' ? '""' : r.save.value,
    appendonly: r.appendonly.value ? 'yes' : 'no',
    requirepass: redisArg(password),
  });
  // The file holds the password: readable by the redis user only (Debian's postinst sets the same).
  return { host: h.host.name, path: REDIS_CONF_PATH, content, mode: 0o640, owner: 'redis', group: 'redis', service: 'redis', secrets: ['redis_password'],
    dirs: [
      { path: REDIS_LOG_DIR, mode: 0o2750, owner: 'redis', group: 'adm', why: `logfile ${DEBIAN.logfile}` },
      { path: DEBIAN.dir, mode: 0o750, owner: 'redis', group: 'redis', why: `dir ${DEBIAN.dir} (RDB snapshots, AOF)` },
    ] };
}
