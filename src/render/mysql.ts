// The MySQL 8 / MariaDB drop-in: 60-stackscale.cnf, read after Debian's 50-server.cnf so its settings win
// (bind-address=127.0.0.1 there, for one).
import type { HostSizing, MysqlSizing, SiteSizing } from '../sizing/types.js';
import { derivationLine } from './derivation.js';
import { commentText } from './quote.js';
import { formatBytes } from '../config/size.js';
import { renderTemplate } from './templates.js';
import type { RenderedFile } from './types.js';
import { versionAtLeast } from '../util/versions.js';

interface Setting {
  name: string;
  value: string;
}

/** Seconds with up to microsecond precision, never in exponent form (mysqld does not read 1e-7). */
function seconds(value: number): string {
  return String(Number(value.toFixed(6)));
}

/**
 * The replica-or-primary lines. read_only is written on the primary too, so a host that was a replica is writable
 * again once it is the primary. MySQL: super_read_only also stops accounts with SUPER / CONNECTION_ADMIN; MariaDB has
 * no such variable, and its read_only already spares the replication threads.
 */
function roleSettings(m: MysqlSizing): Setting[] {
  const on = m.readOnly ? 'ON' : 'OFF';
  if (m.flavour === 'mariadb') return [{ name: 'read_only', value: on }];
  return [
    { name: 'read_only', value: on },
    { name: 'super_read_only', value: on },
  ];
}

function derivations(m: MysqlSizing): string[] {
  return [
    derivationLine('server_id', m.serverId),
    derivationLine('max_connections', m.maxConnections, `${m.maxConnections.value} (${m.reservedConnections} of them reserved)`),
    derivationLine('innodb_buffer_pool_size', m.innodbBufferPoolSize, `${m.innodbBufferPoolSize.value} (${formatBytes(m.innodbBufferPoolSize.value)})`),
    derivationLine('long_query_time', m.longQueryTime, seconds(m.longQueryTime.value)),
    derivationLine('thread_cache_size', m.threadCacheSize),
    derivationLine('table_open_cache', m.tableOpenCache),
  ];
}

/**
 * Debian's MariaDB and MySQL packages do not create /var/log/mysql; their 50-server.cnf asks for
 * `mkdir -m 2750 /var/log/mysql; chown mysql /var/log/mysql` before a log is put there. Group adm (setgid, so new
 * logs inherit it) lets log readers in, as /var/log/redis has it.
 */
export const MYSQL_LOG_DIR = '/var/log/mysql';

/**
 * Log names fixed rather than derived from the hostname (the server's default), so renaming a host does not break
 * replication. Debian's packaging keeps logs in /var/log/mysql for both flavours.
 */
const NAMES = {
  mariadb: { logBin: 'mariadb-bin', relayLog: 'mariadb-relay-bin', slowQueryLogFile: '/var/log/mysql/mariadb-slow.log' },
  mysql: { logBin: 'mysql-bin', relayLog: 'mysql-relay-bin', slowQueryLogFile: '/var/log/mysql/mysql-slow.log' },
} as const;

/** The slow query log stackscale configures for the flavour. */
export function slowQueryLogFile(flavour: 'mariadb' | 'mysql'): string {
  return NAMES[flavour].slowQueryLogFile;
}

export function renderMysqlCnf(h: HostSizing, m: MysqlSizing, sizing: SiteSizing): RenderedFile {
  const common = {
    profile: commentText(sizing.profile.name),
    host: h.host.name,
    version: m.version,
    role: m.role,
    derivations: derivations(m),
    bindAddress: m.bindAddress,
    maxConnections: String(m.maxConnections.value),
    innodbBufferPoolSize: String(m.innodbBufferPoolSize.value),
    threadCacheSize: String(m.threadCacheSize.value),
    tableOpenCache: String(m.tableOpenCache.value),
    longQueryTime: seconds(m.longQueryTime.value),
    serverId: String(m.serverId.value),
    roleSettings: roleSettings(m),
  };
  const content =
    m.flavour === 'mariadb'
      ? renderTemplate('mariadb.cnf', { ...common, ...NAMES.mariadb, gtidDomainId: String(m.gtidDomainId) })
      : renderTemplate('mysql.cnf', {
          ...common,
          ...NAMES.mysql,
          // log_slave_updates was renamed log_replica_updates in 8.0.26; 8.4 keeps only the new name in its docs.
          replicaUpdatesVariable: versionAtLeast(m.version, [8, 0, 26]) ? 'log_replica_updates' : 'log_slave_updates',
        });
  const slowLog = NAMES[m.flavour].slowQueryLogFile;
  const dirs = [{ path: MYSQL_LOG_DIR, mode: 0o2750, owner: 'mysql', group: 'adm', why: `slow_query_log_file = ${slowLog}` }];
  return { host: h.host.name, path: m.path, content, mode: 0o644, owner: 'root', group: 'root', service: 'mysql', secrets: [], dirs };
}
