// The sizing model: profile + site + host resources -> every setting of every host, each with its derivation.
// Pure: no I/O. All the model's numbers are the constants below, each with the rule of thumb
// it comes from (docs/daemons.md). A profile that does not fit a host is refused here with the numbers and the way out,
// never shrunk; the cross-checks over the result (php-fpm's ordering, the connection chain) are src/validate/rules.ts.
import { InvalidInputError, type Problem } from '../errors.js';
import type { HostSpec, Profile, Role, Site } from '../config/types.js';
import { GiB, KiB, MiB } from '../config/size.js';
import { bytes, ceil, derived, pct, pinOr, plural, ratio, round } from './derive.js';
import { memoryRefusal, osReserve } from './memory.js';
import { resourcesOf } from './resources.js';
import { bindAddresses, mysqlAddress } from '../config/listen.js';
import { CPU_REFUSE_FACTOR, CPU_UTILISATION, PHP_CPU_SHARE, phpCpuNeed } from './cpu.js';
import { sizeNginxLb, sizeNginxWeb, webTier } from './nginx.js';
import { monitorMemoryLines } from './monitoring.js';
import type {
  Derived,
  FpmSizing,
  HostResources,
  HostSizing,
  MemoryLine,
  MysqlSizing,
  ProxysqlServer,
  ProxysqlSizing,
  RedisSizing,
  SiteSizing,
} from './types.js';

export { describeSizing } from './describe.js';

// --- the model's constants -------------------------------------------------------------------------------------
/** pm.start_servers / min_spare / max_spare as shares of max_children: the guide's 50 / 30 / 100 of 200. */
export const FPM_SHARES = { start: 0.25, minSpare: 0.15, maxSpare: 0.5 } as const;
/** The guide's pm.max_requests: recycling bounds slow leaks in long-lived workers. */
const FPM_MAX_REQUESTS = 1000;
/** php-fpm's own default outside Linux, and Redis's: room for a burst of connects. Capped by somaxconn. */
const DEFAULT_BACKLOG = 511;
/** A request this many times over the response target is stuck: kill it so the worker returns to the pool. */
const TERMINATE_FACTOR = 300;
const TERMINATE_MIN_S = 30;
/** Redis memory for cached endpoint answers per concurrent user, rounded up to whole chunks. */
const REDIS_PER_USER = 1 * MiB;
const REDIS_CHUNK = 128 * MiB;
/** Redis uses more than maxmemory: allocator fragmentation, client and replication buffers. */
const REDIS_OVERHEAD = 0.2;
const REDIS_TIMEOUT_S = 300;
/** Redis connections beyond the PHP workers': redis-cli, monitoring, cron jobs. */
const REDIS_SPARE_CLIENTS = 32;
/** Per MySQL connection at worst: thread stack, net buffers, sort/join/read buffers in use. */
const MYSQL_PER_CONNECTION = 3 * MiB;
/** Connections kept free for admin sessions (MariaDB also keeps one extra for SUPER). */
const MYSQL_ADMIN_RESERVE = 10;
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
/** What runs beside the PHP workers on a web host: OPcache's shared memory (PHP's default) and the web server. */
const OPCACHE = 128 * MiB;
const WEB_SERVER = 64 * MiB;
/** MySQL/MariaDB buffers allocated whatever the load: key buffer 128 MiB, Aria page cache 128 MiB, log buffer 16 MiB. */
const MYSQL_FIXED = 272 * MiB;
/** innodb_dedicated_server's shares: 75% of RAM above 4 GiB, 50% below; a shared host gives the pool at most 50%. */
const BUFFER_POOL_SHARE = { dedicatedLarge: 0.75, dedicatedSmall: 0.5, shared: 0.5 } as const;
const TABLE_OPEN_CACHE = 2000;
/** The lowest long_query_time derived (seconds): 0 would log every query. */
const LONG_QUERY_FLOOR_S = 0.05;
const THREAD_CACHE_MAX = 256;
/** ProxySQL: base footprint and per frontend connection (session buffers). */
const PROXYSQL_BASE = 256 * MiB;
const PROXYSQL_PER_CONNECTION = 256 * KiB;
/** Frontend connections per PHP worker: a worker's old connection may linger while it opens the next. */
const FRONTEND_FACTOR = 2;
const PROXYSQL_MAX_THREADS = 16;
/** Pooled connections are reopened this often, so per-hour connection counts stay small and predictable. */
const CONNECTION_MAX_AGE_MS = 30 * 60 * 1000;
/** Replica lag allowed when the profile has no cache TTLs to take it from. */
const DEFAULT_MAX_LAG_S = 30;
export const HOSTGROUPS = { writer: 10, reader: 20 } as const;
const WEIGHTS = { primary: 1, replica: 1000 } as const;
/** With replicas, the primary's reader entry (reads of last resort) gets this share of its pool; without, half. */
const LAST_RESORT_SHARE = 0.1;

// --- the model -------------------------------------------------------------------------------------------------

/** The numbers the whole site shares, worked out before any host. */
interface SiteFigures {
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

function has(h: HostSpec, r: Role): boolean {
  return h.roles.includes(r);
}

/**
 * Size every host of the site for the profile. `resources` holds live facts per host name; hosts without them use
 * the site file's `size`, else the default size. Throws InvalidInputError when a host cannot hold its share (unless
 * `keepRefused` is given: then the refusals go there and the sizing, as it would be, is returned).
 */
export function sizeSite(site: Site, profile: Profile, resources: Map<string, HostResources> = new Map(), opts: { keepRefused?: Problem[] } = {}): SiteSizing {
  const res = new Map(site.hosts.map((h) => [h.name, resourcesOf(h, resources.get(h.name))]));
  const fig = siteFigures(site, profile);
  const hosts: HostSizing[] = [];
  const refusals: Problem[] = [];
  let replicaNo = 0;
  for (const h of site.hosts) {
    const r = res.get(h.name)!;
    const hs: HostSizing = { host: h, resources: r, memory: { total: r.memory, reserve: 0, budget: 0, lines: [], used: 0 } };
    const reserve = pinOr(profile, 'memory.os_reserve', derived(osReserve(r.memory), ''), bytes).value;
    const budget = r.memory - reserve;
    const lines: MemoryLine[] = [];
    const webIndex = site.hosts.filter((x) => has(x, 'web')).indexOf(h);
    if (has(h, 'cache')) {
      hs.redis = sizeRedis(site, h, r, profile, fig);
      const total = Math.round(hs.redis.maxmemory.value * (1 + REDIS_OVERHEAD));
      lines.push({ role: 'cache', what: `Redis maxmemory ${bytes(hs.redis.maxmemory.value)} + ${pct(REDIS_OVERHEAD)} overhead`, bytes: total });
    }
    if (has(h, 'proxysql')) {
      hs.proxysql = sizeProxysql(site, h, r, profile, fig);
      const n = hs.proxysql.frontendMaxConnections.value;
      lines.push({ role: 'proxysql', what: `ProxySQL ${bytes(PROXYSQL_BASE)} + ${n} frontend connections x ${bytes(PROXYSQL_PER_CONNECTION)}`, bytes: PROXYSQL_BASE + n * PROXYSQL_PER_CONNECTION });
    }
    lines.push(...monitorMemoryLines(site, h));
    const dbRole = has(h, 'db-primary') ? 'db-primary' : has(h, 'db-replica') ? 'db-replica' : undefined;
    const maxConnections = dbRole ? maxConnectionsFor(h, profile, fig) : undefined;
    if (dbRole && maxConnections) {
      const n = maxConnections.value;
      lines.push({ role: dbRole, what: `MySQL fixed buffers (key buffer, Aria page cache, log buffer)`, bytes: MYSQL_FIXED });
      lines.push({ role: dbRole, what: `MySQL ${n} connections x ${bytes(MYSQL_PER_CONNECTION)}`, bytes: n * MYSQL_PER_CONNECTION });
    }
    if (webIndex >= 0) {
      const others = lines.reduce((s, l) => s + l.bytes, 0) + OPCACHE + WEB_SERVER + (dbRole ? bufferPoolFloor(profile.workload.concurrentUsers) : 0);
      hs.fpm = sizeFpm(h, r, profile, fig, webIndex, budget - others);
      const n = hs.fpm.maxChildren.value;
      lines.unshift(
        { role: 'web', what: `${n} PHP workers x ${bytes(hs.fpm.workerRss.value)}`, bytes: n * hs.fpm.workerRss.value },
        { role: 'web', what: `OPcache shared memory (PHP's default opcache.memory_consumption)`, bytes: OPCACHE },
        { role: 'web', what: 'web server in front of PHP-FPM (nginx)', bytes: WEB_SERVER },
      );
    }
    const tier = webTier(site);
    // nginx's memory is its own small figure (hs.nginx.memory); the host budget's accounting of it is kept apart.
    if (hs.fpm && tier.web.includes(h)) hs.nginx = sizeNginxWeb(site, h, r, profile, hs.fpm, tier.web.length, tier.lbs, hs.redis?.tcpBacklog.value);
    else if (tier.lbs.includes(h)) hs.nginx = sizeNginxLb(site, h, r, profile, tier.web, fig.totalWorkers.value, terminateTimeout(profile).value);
    if (dbRole) {
      const role = dbRole === 'db-primary' ? 'primary' : 'replica';
      const left = budget - lines.reduce((s, l) => s + l.bytes, 0);
      hs.mysql = sizeMysql(site, h, r, profile, fig, maxConnections!, role, role === 'primary' ? 1 : 2 + replicaNo++, left);
      lines.push({ role: dbRole, what: 'InnoDB buffer pool', bytes: hs.mysql.innodbBufferPoolSize.value });
    }
    hs.memory = { total: r.memory, reserve, budget, lines, used: lines.reduce((s, l) => s + l.bytes, 0) };
    const refusal = memoryRefusal(hs, profile, { bufferPoolFloor: bufferPoolFloor(profile.workload.concurrentUsers), webHosts: fig.perWebHost.length });
    if (refusal) refusals.push(refusal);
    hosts.push(hs);
  }
  // `profiles show` wants the derivations of a refused profile too (then the refusal): it collects them instead.
  if (refusals.length > 0 && !opts.keepRefused) throw new InvalidInputError(refusals);
  opts.keepRefused?.push(...refusals);
  const c = chain(site, profile, fig, hosts);
  return {
    profile,
    hosts,
    chain: c,
    cacheTtls: { ...profile.cacheTtls },
    notes: notes(site, profile, fig, hosts, c),
  };
}

function siteFigures(site: Site, profile: Profile): SiteFigures {
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

/** MySQL max_connections: what the app side may open (ProxySQL's pool, else every PHP worker) plus the reserve. */
function maxConnectionsFor(h: HostSpec, profile: Profile, fig: SiteFigures): Derived<number> {
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

/** Measured RSS is rounded up to this step, so the sizing (and the file) does not move with every reading. */
export const RSS_STEP = 8 * 1024 * 1024;

/**
 * The worker RSS to size on: the larger of the profile's guess and the measured one (rounded up to 8 MiB). A live
 * reading moves with every request a worker serves; sizing on it as it is would rewrite the pool file (and reload
 * php-fpm) on every apply. Sizing on the larger value stays safe (size on the largest worker, not the average) and
 * only moves when the workers really outgrow the guess.
 */
function workerRss(h: HostSpec, r: HostResources, guess: number): Derived<number> {
  // The same words before and after the first measurement: the reason is a comment in the pool file, and a fresh
  // host's second apply must not rewrite (and reload) the pool for a comment once its workers have run.
  const guessWhy = `the profile's guess (worker_rss); sized on the largest worker measured on ${h.name} when that is larger`;
  if (r.measuredWorkerRss === undefined) return derived(guess, guessWhy);
  const measured = Math.ceil(r.measuredWorkerRss / RSS_STEP) * RSS_STEP;
  return measured > guess
    ? derived(measured, `measured on ${h.name} (${r.source}, rounded up to ${bytes(RSS_STEP)}), above the profile's guess of ${bytes(guess)}`)
    : derived(guess, guessWhy);
}

function sizeFpm(h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures, webIndex: number, phpBudget: number): FpmSizing {
  const w = profile.workload;
  const v = r.phpVersion;
  const rss = workerRss(h, r, w.workerRss);
  const mc0 = fig.perWebHost[webIndex];
  const mem = mc0.value * rss.value;
  // "left for PHP": RAM less the OS reserve and every other role of the host (the host's budget is the larger sum).
  const fits = `${mc0.value} x ${bytes(rss.value)} = ${bytes(mem)} ${mem <= phpBudget ? '<=' : '>'} ${bytes(Math.max(0, phpBudget))} left for PHP on ${h.name} (${bytes(r.memory)}, ${r.source})`;
  const maxChildren: Derived<number> = { ...mc0, why: `${mc0.why}; ${fits}` };
  const mc = maxChildren.value;
  const minSpare = pinOr(profile, 'fpm.min_spare_servers', derived(Math.max(1, round(mc * FPM_SHARES.minSpare)), `${pct(FPM_SHARES.minSpare)} of max_children ${mc}: idle workers ready for a burst`));
  const maxSpare = pinOr(
    profile,
    'fpm.max_spare_servers',
    derived(Math.min(mc, Math.max(minSpare.value, round(mc * FPM_SHARES.maxSpare))), `${pct(FPM_SHARES.maxSpare)} of max_children ${mc}: idle workers above this are stopped`),
  );
  const start = pinOr(
    profile,
    'fpm.start_servers',
    derived(
      Math.min(maxSpare.value, Math.max(minSpare.value, round(mc * FPM_SHARES.start))),
      `${pct(FPM_SHARES.start)} of max_children ${mc}, within the spare bounds (php-fpm refuses a start outside min_spare..max_spare)`,
    ),
  );
  const rps = (w.concurrentUsers * w.requestsPerUserPerMinute) / 60;
  const perWorker = rps / Math.max(1, fig.totalWorkers.value);
  const lifetimeMin = Math.round(FPM_MAX_REQUESTS / perWorker / 60);
  const backlog = Math.min(DEFAULT_BACKLOG, r.somaxconn);
  return {
    phpVersion: v,
    poolDir: `/etc/php/${v}/fpm/pool.d`,
    listen: `/run/php/php${v}-fpm.sock`,
    user: 'www-data',
    group: 'www-data',
    pm: pinOr(profile, 'fpm.pm', derived('dynamic' as const, `load varies through the day: dynamic keeps ${minSpare.value}-${maxSpare.value} idle workers instead of all ${mc} (static) or none (ondemand)`)),
    maxChildren,
    startServers: start,
    minSpareServers: minSpare,
    maxSpareServers: maxSpare,
    maxRequests: pinOr(
      profile,
      'fpm.max_requests',
      derived(FPM_MAX_REQUESTS, `recycle a worker after ${FPM_MAX_REQUESTS} requests (about every ${lifetimeMin} min at ${round(rps)} requests/s over ${fig.totalWorkers.value} workers) to bound slow memory leaks`),
    ),
    listenBacklog: pinOr(
      profile,
      'fpm.listen_backlog',
      derived(backlog, backlog < DEFAULT_BACKLOG ? `capped at somaxconn ${r.somaxconn} on ${h.name} (the kernel truncates larger backlogs)` : `${DEFAULT_BACKLOG} queued connects (${(DEFAULT_BACKLOG / mc).toFixed(1)}x the ${mc} workers) ride out a burst; <= somaxconn ${r.somaxconn}`),
    ),
    requestTerminateTimeout: terminateTimeout(profile),
    statusPath: '/fpm-status',
    pingPath: '/fpm-ping',
    workerRss: rss,
  };
}

/** request_terminate_timeout, which nginx's FastCGI and proxy timeouts follow. */
function terminateTimeout(profile: Profile): Derived<number> {
  const w = profile.workload;
  const terminate = Math.max(TERMINATE_MIN_S, Math.ceil((w.responseTargetMs * TERMINATE_FACTOR) / 1000));
  return pinOr(
    profile,
    'fpm.request_terminate_timeout',
    derived(terminate, `${TERMINATE_FACTOR} x the ${w.responseTargetMs} ms response target (at least ${TERMINATE_MIN_S} s): such a request is stuck; kill it and free the worker`),
  );
}

function sizeRedis(site: Site, h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures): RedisSizing {
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

function sizeProxysql(site: Site, h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures): ProxysqlSizing {
  const dedicated = h.roles.length === 1;
  const threads = Math.min(PROXYSQL_MAX_THREADS, dedicated ? r.cores : Math.max(1, Math.floor(r.cores / 2)));
  const pool = profile.workload.dbConnections;
  const freePct = pinOr(profile, 'proxysql.free_connections_pct', derived(round((pool.min / pool.max) * 100), '')).value;
  return {
    adminPort: 6032,
    mysqlPort: 6033,
    // Nothing exposed beyond the private network. The web hosts reach it on the private address.
    bind: bindAddresses(site, h, 'proxysql'),
    threads: pinOr(
      profile,
      'proxysql.threads',
      derived(threads, dedicated ? `one worker thread per core of ${h.name} (${r.cores}, at most ${PROXYSQL_MAX_THREADS})` : `half the ${r.cores} cores of ${h.name}, which it shares with ${h.roles.filter((x) => x !== 'proxysql').join(', ')}`),
    ),
    frontendMaxConnections: fig.frontend,
    backendMaxConnectionsPerServer: fig.backendPerServer,
    writerHostgroup: HOSTGROUPS.writer,
    readerHostgroup: HOSTGROUPS.reader,
    servers: fig.servers.map((sv) => ({ ...sv })),
    appUser: { username: site.app.dbUser, defaultHostgroup: HOSTGROUPS.writer, maxConnections: fig.frontend.value, transactionPersistent: true },
    monitorUser: 'monitor',
    rules: [
      { ruleId: 1, active: true, matchDigest: '^SELECT.*FOR UPDATE', destinationHostgroup: HOSTGROUPS.writer, apply: true, comment: 'locking reads go to the writer' },
      { ruleId: 2, active: true, matchDigest: '^SELECT', destinationHostgroup: HOSTGROUPS.reader, apply: true, comment: 'other reads go to the readers' },
    ],
    // Idle connections above min are closed: ProxySQL keeps free_connections_pct of max_connections open.
    freeConnectionsPct: freePct,
    connectionMaxAgeMs: pinOr(profile, 'proxysql.connection_max_age_ms', derived(CONNECTION_MAX_AGE_MS, '')).value,
  };
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

function sizeMysql(site: Site, h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures, maxConnections: Derived<number>, role: 'primary' | 'replica', serverId: number, left: number): MysqlSizing {
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

function chain(site: Site, profile: Profile, fig: SiteFigures, hosts: HostSizing[]): SiteSizing['chain'] {
  const w = profile.workload;
  const proxies = hosts.filter((h) => h.proxysql);
  const rph = w.concurrentUsers * w.requestsPerUserPerMinute * 60;
  const without = round(rph * (1 - w.cacheHitRatio));
  const age = proxies[0]?.proxysql?.connectionMaxAgeMs ?? CONNECTION_MAX_AGE_MS;
  const perServer = Math.max(fig.backendPerServer.value, ...fig.servers.map((sv) => pooledTo(fig.servers, sv.address))) * Math.max(1, proxies.length);
  const withPool = age > 0 ? Math.ceil((perServer * 3_600_000) / age) : perServer;
  const out: SiteSizing['chain'] = {
    totalPhpWorkers: fig.totalWorkers,
    connectionsPerHourWithoutPool: derived(
      without,
      `${w.concurrentUsers} users x ${w.requestsPerUserPerMinute} requests/min x 60 x ${pct(1 - w.cacheHitRatio)} cache misses: without a pool each request that reaches MySQL opens a connection`,
    ),
    connectionsPerHourWithPool: derived(
      withPool,
      age > 0
        ? `${perServer} pooled connections per server, each reopened every ${Math.round(age / 60000)} min by ProxySQL (connection_max_age)`
        : `${perServer} pooled connections per server, opened once`,
    ),
  };
  if (proxies.length > 0) {
    out.frontendMaxConnections = fig.frontend;
    if (fig.dbServers > 0) {
      const total = fig.servers.reduce((sum, sv) => sum + sv.maxConnections, 0);
      out.backendPoolTotal = derived(
        total * proxies.length,
        `${fig.servers.map((sv) => sv.maxConnections).join(' + ')} over ${plural(fig.servers.length, 'server entry', 'server entries')}${proxies.length > 1 ? ` x ${proxies.length} ProxySQL hosts` : ''}; multiplexing keeps the ones in use near the ${w.dbConnections.min}-${w.dbConnections.max} the profile wants`,
      );
    }
  }
  if (site.app.maxConnectionsPerHour !== undefined) out.perHourLimit = site.app.maxConnectionsPerHour;
  return out;
}

function notes(site: Site, profile: Profile, fig: SiteFigures, hosts: HostSizing[], c: SiteSizing['chain']): string[] {
  const w = profile.workload;
  const out: string[] = [];
  const rps = (w.concurrentUsers * w.requestsPerUserPerMinute) / 60;
  const busy = (rps * w.phpTimeMs) / 1000;
  out.push(
    `Little's law: ${round(rps)} requests/s x ${(w.phpTimeMs / 1000).toFixed(3)} s in PHP = ${busy.toFixed(1)} workers busy on average; the ${fig.totalWorkers.value}-worker pool covers the ${ratio(w.peakInFlightRatio)} in-flight peak`,
  );
  if (w.phpTimeMs > w.responseTargetMs) {
    out.push(`PHP time ${w.phpTimeMs} ms is above the ${w.responseTargetMs} ms response target: the target cannot be met until requests get faster (cache more, optimise the slow queries)`);
  }
  const cpu = phpCpuNeed(profile, hosts);
  if (cpu && cpu.need > cpu.cores * CPU_UTILISATION && cpu.need <= cpu.cores * CPU_REFUSE_FACTOR) {
    out.push(
      `CPU: the PHP workers need about ${cpu.need.toFixed(1)} cores (${round(rps)} requests/s x ${(w.phpTimeMs / 1000).toFixed(3)} s x ${PHP_CPU_SHARE} of it on a CPU), above ${pct(CPU_UTILISATION)} of the ${cpu.cores} cores of ${cpu.web.join(', ')}: expect requests to queue for a CPU at the peak`,
    );
  }
  const qps = rps * (1 - w.cacheHitRatio) * w.queriesPerRequest;
  out.push(`MySQL load: ${round(rps)} requests/s x ${pct(1 - w.cacheHitRatio)} cache misses x ${w.queriesPerRequest} queries = ${Math.round(qps)} queries/s at peak`);
  const proxies = hosts.some((h) => h.proxysql);
  const dbs = hosts.some((h) => h.mysql);
  if (dbs && !proxies) out.push('no ProxySQL in the site: every PHP worker may hold its own MySQL connection, so MySQL max_connections covers them all');
  const limit = site.app.maxConnectionsPerHour;
  if (limit !== undefined) {
    const without = c.connectionsPerHourWithoutPool.value;
    const withPool = c.connectionsPerHourWithPool.value;
    out.push(
      `the DB user may open ${limit} connections an hour: without a pool about ${without}/hour (${without <= limit ? 'under' : 'over'} it); with ProxySQL pooling about ${withPool}/hour per server (${withPool <= limit ? 'under' : 'over'} it)`,
    );
  }
  return out;
}
