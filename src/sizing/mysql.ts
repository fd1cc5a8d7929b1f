// MySQL/MariaDB on a database host: max_connections from what the app side may open, the InnoDB buffer pool from
// the memory left, caches, the slow-log threshold, the server id.
import type { HostSpec, Profile, Site } from '../config/types.js';
import { GiB, MiB } from '../config/size.js';
import { bytes, ceil, derived, pct, pinOr, round } from './derive.js';
import { bindAddresses, mysqlAddress } from '../config/listen.js';
import type { Derived, HostResources, MysqlSizing } from './types.js';
import { HOSTGROUPS, type SiteFigures, has, pooledTo } from './figures.js';

/** Per MySQL connection at worst: thread stack, net buffers, sort/join/read buffers in use. */
export const MYSQL_PER_CONNECTION = 3 * MiB;

/** The chunk InnoDB's pool is resized in (innodb_buffer_pool_chunk_size). */
const BUFFER_POOL_CHUNK = 128 * MiB;

/**
 * The least buffer pool the app's data gets: 1 MiB per concurrent user (the orders, tables and reservations they
 * work on, with their indexes), in whole chunks, never below 256 MiB. Less, and every cache miss reads from disk;
 * a host that cannot give it is refused, not starved.
 */
export function bufferPoolFloor(users: number): number {
  return Math.max(2 * BUFFER_POOL_CHUNK, Math.ceil((users * MiB) / BUFFER_POOL_CHUNK) * BUFFER_POOL_CHUNK);
}

/** MySQL/MariaDB buffers allocated whatever the load: key buffer 128 MiB, Aria page cache 128 MiB, log buffer 16 MiB. */
export const MYSQL_FIXED = 272 * MiB;

/** innodb_dedicated_server's shares: 75% of RAM above 4 GiB, 50% below; a shared host gives the pool at most 50%. */
const BUFFER_POOL_SHARE = { dedicatedLarge: 0.75, dedicatedSmall: 0.5, shared: 0.5 } as const;
const TABLE_OPEN_CACHE = 2000;

/** The lowest long_query_time derived (seconds): 0 would log every query. */
const LONG_QUERY_FLOOR_S = 0.05;
const THREAD_CACHE_MAX = 256;

/** MySQL max_connections: what the app side may open (ProxySQL's pool, else every PHP worker) plus the reserve. */
export function maxConnectionsFor(h: HostSpec, profile: Profile, fig: SiteFigures): Derived<number> {
  const { reserve, reserveWhy } = fig;
  if (fig.proxies === 0) {
    const n = fig.totalWorkers.value;
    return pinOr(profile, 'mysql.max_connections', derived(n + reserve, `no ProxySQL: each of the ${n} PHP workers may hold a connection, + ${reserve} reserved (${reserveWhy})`));
  }
  const entries = fig.servers.filter((sv) => sv.address === fig.mysqlAddress.get(h.name));
  const pooled = pooledTo(fig.servers, fig.mysqlAddress.get(h.name)!);
  const parts = entries.length > 1 ? ` (${entries.map((e) => `${e.maxConnections} as ${e.hostgroup === HOSTGROUPS.writer ? 'writer' : 'reader'}`).join(' + ')})` : '';
  const hosts = fig.proxies > 1 ? ` x ${fig.proxies} ProxySQL hosts` : ' from ProxySQL';
  return pinOr(
    profile,
    'mysql.max_connections',
    derived(pooled * fig.proxies + reserve, `${pooled} pooled connections${parts}${hosts} + ${reserve} reserved (${reserveWhy})`),
  );
}

export function sizeMysql(site: Site, h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures, maxConnections: Derived<number>, role: 'primary' | 'replica', serverId: number, left: number): MysqlSizing {
  const w = profile.workload;
  const dedicated = h.roles.length === 1;
  const share = dedicated ? (r.memory > 4 * GiB ? BUFFER_POOL_SHARE.dedicatedLarge : BUFFER_POOL_SHARE.dedicatedSmall) : BUFFER_POOL_SHARE.shared;
  const cap = Math.floor(r.memory * share);
  const pool = Math.floor(Math.max(0, Math.min(cap, left)) / BUFFER_POOL_CHUNK) * BUFFER_POOL_CHUNK;
  const poolWhy =
    cap <= left
      ? `${pct(share)} of ${bytes(r.memory)} on ${h.name} (${dedicated ? 'the host holds only the database' : 'shared with other roles'}), in ${bytes(BUFFER_POOL_CHUNK)} chunks`
      : `the ${bytes(Math.max(0, left))} left on ${h.name} after the OS reserve and its other roles (under the ${pct(share)} cap of ${bytes(cap)}), in ${bytes(BUFFER_POOL_CHUNK)} chunks`;
  const qpr = Math.max(1, w.queriesPerRequest);
  const perQuery = Math.round((w.responseTargetMs / qpr / 1000) * 1000) / 1000;
  // long_query_time = 0 logs every query: on a busy server the slow log then costs more than the queries.
  const lqt = Math.max(LONG_QUERY_FLOOR_S, perQuery);
  const appConnections = maxConnections.value - fig.reserve;
  const threadCache = Math.max(0, Math.min(THREAD_CACHE_MAX, appConnections));
  const flavourDir = r.dbFlavour === 'mariadb' ? 'mariadb.conf.d' : 'mysql.conf.d';
  return {
    flavour: r.dbFlavour,
    version: r.dbVersion,
    role,
    path: `/etc/mysql/${flavourDir}/60-stackscale.cnf`,
    // Always loopback: stackscale's own health checks and status connect to 127.0.0.1; the private address only when
    // ProxySQL, a replica or (without ProxySQL) a web host elsewhere connects. A list needs MariaDB 10.11 / MySQL 8.0.13.
    bindAddress: bindAddresses(site, h, 'mysql').join(','),
    address: mysqlAddress(site, h),
    serverId: derived(serverId, role === 'primary' ? 'the primary is server 1 of the replication set' : `replica ${serverId - 1} in site-file order: ids are unique across the replication set`),
    maxConnections,
    innodbBufferPoolSize: pinOr(profile, 'mysql.innodb_buffer_pool_size', derived(pool, poolWhy), bytes),
    longQueryTime: pinOr(
      profile,
      'mysql.long_query_time',
      derived(
        lqt,
        perQuery < LONG_QUERY_FLOOR_S
          ? `the ${w.responseTargetMs} ms response target shared by the ${w.queriesPerRequest} queries of a request is ${perQuery} s, raised to the floor of ${LONG_QUERY_FLOOR_S} s: below it the slow log records nearly every query`
          : `the ${w.responseTargetMs} ms response target shared by the ${w.queriesPerRequest} queries of a request: a query slower than its share is logged`,
      ),
    ),
    gtidDomainId: 0,
    readOnly: role === 'replica',
    reservedConnections: fig.reserve,
    threadCacheSize: pinOr(profile, 'mysql.thread_cache_size', derived(threadCache, `one cached thread per connection the app side opens (${appConnections}), at most ${THREAD_CACHE_MAX}`)),
    tableOpenCache: pinOr(profile, 'mysql.table_open_cache', derived(TABLE_OPEN_CACHE, 'the server default: the app has a few dozen tables')),
  };
}
