// The numbers the whole site shares, worked out before any host: PHP workers wanted and per web host, ProxySQL's
// frontend and backend pools and its server list, the MySQL connection reserve. Every service's sizer reads them.
import type { HostSpec, Profile, Role, Site } from '../config/types.js';
import { ceil, derived, pinOr, plural, ratio, round } from './derive.js';
import { mysqlAddress } from '../config/listen.js';
import type { Derived, ProxysqlServer } from './types.js';

/** php-fpm's own default outside Linux, and Redis's: room for a burst of connects. Capped by somaxconn. */
export const DEFAULT_BACKLOG = 511;

/** Connections kept free for admin sessions (MariaDB also keeps one extra for SUPER). */
const MYSQL_ADMIN_RESERVE = 10;

/** Frontend connections per PHP worker: a worker's old connection may linger while it opens the next. */
const FRONTEND_FACTOR = 2;

/** Replica lag allowed when the profile has no cache TTLs to take it from. */
const DEFAULT_MAX_LAG_S = 30;
export const HOSTGROUPS = { writer: 10, reader: 20 } as const;
const WEIGHTS = { primary: 1, replica: 1000 } as const;

/** With replicas, the primary's reader entry (reads of last resort) gets this share of its pool; without, half. */
const LAST_RESORT_SHARE = 0.1;

/** The numbers the whole site shares, worked out before any host. */
export interface SiteFigures {
  workersWanted: number;
  perWebHost: Derived<number>[];
  totalWorkers: Derived<number>;
  frontend: Derived<number>;
  backendPerServer: Derived<number>;
  reserve: number;
  reserveWhy: string;
  /** ProxySQL's mysql_servers, the same on every ProxySQL host. */
  servers: ProxysqlServer[];
  proxies: number;
  dbServers: number;
  /** Where each database host's MySQL is reached (config/listen.ts): its private address, or loopback. */
  mysqlAddress: Map<string, string>;
}

export function has(h: HostSpec, r: Role): boolean {
  return h.roles.includes(r);
}

export function siteFigures(site: Site, profile: Profile): SiteFigures {
  const w = profile.workload;
  const web = site.hosts.filter((h) => has(h, 'web'));
  const proxies = site.hosts.filter((h) => has(h, 'proxysql'));
  const replicas = site.hosts.filter((h) => has(h, 'db-replica'));
  const dbServers = site.hosts.filter((h) => has(h, 'db-primary') || has(h, 'db-replica')).length;
  const workersWanted = ceil(w.concurrentUsers * w.peakInFlightRatio);
  const wantedWhy = `${w.concurrentUsers} users x ${ratio(w.peakInFlightRatio)} in flight at peak = ${workersWanted} workers`;
  const share = ceil(workersWanted / Math.max(1, web.length));
  const perWebHost = web.map(() =>
    pinOr(profile, 'fpm.max_children', derived(share, web.length > 1 ? `${wantedWhy}, / ${web.length} web hosts = ${share} each` : wantedWhy)),
  );
  const total = perWebHost.reduce((s, d) => s + d.value, 0);
  const totalWorkers =
    web.length === 0
      ? derived(workersWanted, `no web host in the site: the profile's ${wantedWhy}, served from elsewhere`)
      : derived(total, web.map((h, i) => `pm.max_children ${perWebHost[i].value} on ${h.name}`).join(' + '));
  const frontend = pinOr(
    profile,
    'proxysql.max_connections',
    derived(totalWorkers.value * FRONTEND_FACTOR, `${totalWorkers.value} PHP workers x ${FRONTEND_FACTOR}: a worker's old connection may linger while it opens the next`),
  );
  const pool = w.dbConnections;
  const backendPerServer = pinOr(
    profile,
    'proxysql.backend_max_connections',
    derived(pool.max, `the profile's ${pool.min}-${pool.max} pooled backend connections: each server may carry the whole pool when the others are shunned`),
  );
  const reserve = MYSQL_ADMIN_RESERVE + replicas.length + proxies.length;
  const reserveWhy = `${MYSQL_ADMIN_RESERVE} admin + ${plural(replicas.length, 'replication thread')} + ${plural(proxies.length, 'ProxySQL monitor')}`;
  const servers = proxysqlServers(site, profile, backendPerServer.value);
  const mysqlAddresses = new Map(site.hosts.map((h) => [h.name, mysqlAddress(site, h)]));
  return { workersWanted, perWebHost, totalWorkers, frontend, backendPerServer, reserve, reserveWhy, servers, proxies: proxies.length, dbServers, mysqlAddress: mysqlAddresses };
}

/** Connections ProxySQL may open to a server from one ProxySQL host: its entries in every hostgroup together. */
export function pooledTo(servers: ProxysqlServer[], address: string): number {
  return servers.filter((sv) => sv.address === address).reduce((sum, sv) => sum + sv.maxConnections, 0);
}

/** How far a replica may lag before it stops serving reads (ProxySQL) and before an alert fires (monitoring). */
export function replicaLagLimit(profile: Profile): Derived<number> {
  const ttls = Object.entries(profile.cacheTtls).sort((a, b) => a[1] - b[1]);
  return pinOr(
    profile,
    'proxysql.max_replication_lag',
    ttls.length > 0
      ? derived(ttls[0][1], `reads may be as stale as the freshest cached endpoint (${ttls[0][0]}, ${ttls[0][1]} s)`)
      : derived(DEFAULT_MAX_LAG_S, 'the profile has no cache TTLs to take it from'),
  );
}

/** ProxySQL's mysql_servers: the primary as writer (and reader), replicas as readers with a lag limit. */
function proxysqlServers(site: Site, profile: Profile, backend: number): ProxysqlServer[] {
  const lag = replicaLagLimit(profile).value;
  const primary = site.hosts.find((x) => has(x, 'db-primary'));
  const replicas = site.hosts.filter((x) => has(x, 'db-replica'));
  const servers: ProxysqlServer[] = [];
  const server = (x: HostSpec, hostgroup: number, weight: number, maxReplicationLag: number, comment: string, maxConnections = backend): ProxysqlServer => ({
    address: mysqlAddress(site, x),
    port: 3306,
    hostgroup,
    maxConnections,
    weight,
    maxReplicationLag,
    comment,
  });
  if (primary) {
    // The primary is also a reader: the only one without replicas, and otherwise the reader of last resort when every
    // replica is shunned for lag (weight 1 against 1000 gives it ~0.1% of reads). ProxySQL's own
    // mysql-monitor_writer_is_also_reader does the same at runtime; writing it here makes the first start agree.
    // ProxySQL keeps a pool per hostgroup and server, so the two entries split the per-server pool between them and
    // the primary, like every server, is never sent more than `backend` connections.
    const readerShare = replicas.length > 0 ? Math.max(1, round(backend * LAST_RESORT_SHARE)) : Math.floor(backend / 2);
    servers.push(server(primary, HOSTGROUPS.writer, WEIGHTS.primary, 0, `${primary.name} primary (writer)`, backend - readerShare));
    servers.push(
      server(primary, HOSTGROUPS.reader, WEIGHTS.primary, 0, replicas.length > 0 ? `${primary.name} primary, reader of last resort` : `${primary.name} primary, the only reader`, readerShare),
    );
  }
  for (const x of replicas) servers.push(server(x, HOSTGROUPS.reader, WEIGHTS.replica, lag, `${x.name} replica`));
  return servers;
}
