// The sizing model: profile + site + host resources -> every setting of every host, each with its derivation.
// Pure: no I/O. This file holds the walk over the hosts and each host's memory budget; every service has its sizer
// beside it (fpm.ts, redis.ts, proxysql.ts, mysql.ts, nginx.ts), whose constants each name the rule of thumb they
// come from (docs/daemons.md), and figures.ts the numbers the whole site shares. A profile that does not fit a host is refused here with the numbers and the way out,
// never shrunk; the cross-checks over the result (php-fpm's ordering, the connection chain) are src/validate/rules.ts.
import { InvalidInputError, type Problem } from '../errors.js';
import type { Profile, Site } from '../config/types.js';
import { bytes, ceil, derived, pct, pinOr, plural, ratio, round } from './derive.js';
import { memoryRefusal, osReserve } from './memory.js';
import { resourcesOf } from './resources.js';
import { CPU_REFUSE_FACTOR, CPU_UTILISATION, PHP_CPU_SHARE, phpCpuNeed } from './cpu.js';
import { sizeNginxLb, sizeNginxWeb, webTier } from './nginx.js';
import type { HostResources, HostSizing, MemoryLine, SiteSizing } from './types.js';
import { REDIS_OVERHEAD, sizeRedis } from './redis.js';
import { MYSQL_PER_CONNECTION, bufferPoolFloor, MYSQL_FIXED, maxConnectionsFor, sizeMysql } from './mysql.js';
import { OPCACHE, WEB_SERVER, workerRss, sizeFpm, terminateTimeout } from './fpm.js';
import { PROXYSQL_BASE, PROXYSQL_PER_CONNECTION, CONNECTION_MAX_AGE_MS, sizeProxysql } from './proxysql.js';
import { type SiteFigures, has, siteFigures, pooledTo } from './figures.js';
import { monitorMemoryLines } from './monitoring.js';

export { describeSizing } from './describe.js';

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
