// Redis, ProxySQL and nginx: installed (binary found), version, running. Debian's /usr/bin/redis-server is a symlink to
// redis-check-rdb from redis-tools; redis-server depends on exactly its own version of redis-tools, so the
// redis-server package's version is the binary's.
import type { HostFacts } from './types.js';
import { packageVersion, sectionVersion } from './packages.js';
import { first, keyValues } from './section.js';

export const REDIS_SCRIPT = `sec redis
{
  if first_exe /usr/bin/redis-server /usr/local/bin/redis-server; then
    echo "binary $exe"
    version_of "$exe" --version redis-server
    if alive /run/redis/redis-server.pid || named redis-server; then echo "running yes"; else echo "running no"; fi
  fi
} 2>/dev/null`;

/** `database`: /var/lib/proxysql/proxysql.db exists, so a start reads it and ignores the cnf. */
export const PROXYSQL_SCRIPT = `sec proxysql
{
  if first_exe /usr/bin/proxysql /usr/local/bin/proxysql; then
    echo "binary $exe"
    version_of "$exe" --version proxysql
    if alive /var/lib/proxysql/proxysql.pid || named proxysql; then echo "running yes"; else echo "running no"; fi
    if [ -e /var/lib/proxysql/proxysql.db ]; then echo "database yes"; else echo "database no"; fi
  fi
} 2>/dev/null`;

export const NGINX_SCRIPT = `sec nginx
{
  if first_exe /usr/sbin/nginx; then
    echo "binary $exe"
    if alive /run/nginx.pid || named nginx; then echo "running yes"; else echo "running no"; fi
  fi
} 2>/dev/null`;

/** The daemons `named` can see running: $procs lists only these (one pgrep, see gather.ts). */
export const DAEMON_NAMES = ['mariadbd', 'mysqld', 'redis-server', 'proxysql', 'nginx'];

/** `Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=...` -> "7.0.15". */
export function parseRedisVersionLine(line: string): string | undefined {
  return /\bv=(\d+\.\d+(?:\.\d+)?)/.exec(line)?.[1];
}

/** `ProxySQL version 2.6.3-12-g2f9d4bc, codename Truls` -> "2.6.3". */
export function parseProxysqlVersionLine(line: string): string | undefined {
  return /version\s+v?(\d+\.\d+(?:\.\d+)?)/i.exec(line)?.[1];
}

export function parseRedisSection(lines: string[]): HostFacts['redis'] {
  const kv = keyValues(lines);
  const version = sectionVersion(kv, parseRedisVersionLine, packageVersion);
  if (!kv.has('binary') || !version) return undefined;
  return { version, service: 'redis-server', running: first(kv, 'running') === 'yes' };
}

export function parseProxysqlSection(lines: string[]): HostFacts['proxysql'] {
  const kv = keyValues(lines);
  const version = sectionVersion(kv, parseProxysqlVersionLine, packageVersion);
  if (!kv.has('binary') || !version) return undefined;
  const database = first(kv, 'database');
  return { version, running: first(kv, 'running') === 'yes', ...(database ? { database: database === 'yes' } : {}) };
}

/** nginx: installed (its binary found) and whether its master runs. */
export function parseNginxSection(lines: string[]): HostFacts['nginx'] {
  const kv = keyValues(lines);
  if (!kv.has('binary')) return undefined;
  return { running: first(kv, 'running') === 'yes' };
}
