// Cross-checks over a sized site: small named rules, each returning problems that name the host, the setting, the
// numbers and the way out. They catch what the daemons would refuse (php-fpm's ordering, duplicate
// server ids) and what would fail under load (the connection chain, backlogs the kernel truncates), including when a
// profile pin is the cause: then the fix names the pin key.
import { InvalidInputError, type Problem } from '../errors.js';
import type { Profile, Site } from '../config/types.js';
import { sizeSite } from '../sizing/model.js';
import { pooledTo } from '../sizing/figures.js';
import { memoryRefusal } from '../sizing/memory.js';
import { CPU_REFUSE_FACTOR, CPU_UTILISATION, PHP_CPU_SHARE, phpCpuNeed } from '../sizing/cpu.js';
import type { PinKey } from '../config/pins.js';
import type { Derived, HostResources, HostSizing, SiteSizing } from '../sizing/types.js';

export interface Rule {
  name: string;
  /** What the rule protects, for docs and `--json`. */
  about: string;
  check(s: SiteSizing): Problem[];
}

/** The fix for a bad value: when the profile pinned it, say which pin to change. */
function fix(d: Derived<unknown> | undefined, key: PinKey, suggestion: string): string {
  return d?.pinned ? `the profile pins ${key}: ${suggestion}, or remove the pin` : suggestion;
}

function problem(h: HostSizing | string, path: string, message: string, fixText: string): Problem {
  return { where: typeof h === 'string' ? h : h.host.name, path, message, fix: fixText };
}

const fpmOrder: Rule = {
  name: 'fpm-order',
  about: "php-fpm's own checks (fpm_conf.c): max_children >= 1; for pm = dynamic 0 < min_spare <= start <= max_spare <= max_children",
  check(s) {
    const out: Problem[] = [];
    for (const h of s.hosts) {
      const f = h.fpm;
      if (!f) continue;
      const mc = f.maxChildren.value;
      if (mc < 1) out.push(problem(h, 'pm.max_children', `pm.max_children ${mc} is below 1`, fix(f.maxChildren, 'fpm.max_children', 'at least 1')));
      if (f.pm.value !== 'dynamic') continue;
      const min = f.minSpareServers.value;
      const max = f.maxSpareServers.value;
      const start = f.startServers.value;
      if (min <= 0) out.push(problem(h, 'pm.min_spare_servers', `pm.min_spare_servers ${min} must be above 0 for pm = dynamic`, fix(f.minSpareServers, 'fpm.min_spare_servers', 'pin a value from 1 up')));
      if (max <= 0) out.push(problem(h, 'pm.max_spare_servers', `pm.max_spare_servers ${max} must be above 0 for pm = dynamic`, fix(f.maxSpareServers, 'fpm.max_spare_servers', 'pin a value from 1 up')));
      if (min > mc) out.push(problem(h, 'pm.min_spare_servers', `pm.min_spare_servers ${min} is above pm.max_children ${mc}`, fix(f.minSpareServers, 'fpm.min_spare_servers', `pin a value from 1 to ${mc}`)));
      if (max > mc) out.push(problem(h, 'pm.max_spare_servers', `pm.max_spare_servers ${max} is above pm.max_children ${mc}`, fix(f.maxSpareServers, 'fpm.max_spare_servers', `pin a value from ${Math.min(min, mc)} to ${mc}`)));
      if (max < min) {
        const d = f.maxSpareServers.pinned ? f.maxSpareServers : f.minSpareServers;
        const key: PinKey = f.maxSpareServers.pinned ? 'fpm.max_spare_servers' : 'fpm.min_spare_servers';
        out.push(problem(h, 'pm.max_spare_servers', `pm.max_spare_servers ${max} is below pm.min_spare_servers ${min}`, fix(d, key, 'keep min_spare_servers <= max_spare_servers')));
      }
      // start_servers 0 means "php-fpm picks min + (max - min) / 2", which is always in range; with the spare bounds
      // inverted (reported above) there is no right start to suggest.
      if (start !== 0 && min <= max && (start < min || start > max)) {
        const above = start > mc ? `above pm.max_children ${mc}` : start > max ? `above pm.max_spare_servers ${max}` : `below pm.min_spare_servers ${min}`;
        out.push(
          problem(
            h,
            'pm.start_servers',
            `pm.start_servers ${start} is ${above}; php-fpm requires min_spare_servers (${min}) <= start_servers <= max_spare_servers (${max})`,
            fix(f.startServers, 'fpm.start_servers', `pin a value from ${min} to ${max}`),
          ),
        );
      }
    }
    return out;
  },
};

const uniqueServerIds: Rule = {
  name: 'unique-server-ids',
  about: 'server_id is unique across the replication set (a replica with the id of its primary never connects)',
  check(s) {
    const seen = new Map<number, string>();
    const out: Problem[] = [];
    for (const h of s.hosts) {
      if (!h.mysql) continue;
      const id = h.mysql.serverId.value;
      const other = seen.get(id);
      if (other) out.push(problem(h, 'server_id', `server_id ${id} is also ${other}'s`, 'give every database server its own id'));
      else seen.set(id, h.host.name);
    }
    return out;
  },
};

const onePrimary: Rule = {
  name: 'one-primary',
  about: 'replicas need exactly one primary',
  check(s) {
    const dbs = s.hosts.filter((h) => h.mysql);
    const primaries = dbs.filter((h) => h.mysql!.role === 'primary');
    const replicas = dbs.filter((h) => h.mysql!.role === 'replica');
    if (primaries.length > 1) {
      return primaries.slice(1).map((h) => problem(h, 'roles', `a second db-primary (${primaries[0].host.name} is the primary)`, `make ${h.host.name} a db-replica`));
    }
    if (replicas.length > 0 && primaries.length === 0) {
      return replicas.map((h) => problem(h, 'roles', 'a db-replica with no db-primary in the site', 'give one host the db-primary role'));
    }
    return [];
  },
};

const proxysqlHasServers: Rule = {
  name: 'proxysql-servers',
  about: 'ProxySQL needs a database to route to',
  check(s) {
    return s.hosts
      .filter((h) => h.proxysql && h.proxysql.servers.length === 0)
      .map((h) => problem(h, 'mysql_servers', 'ProxySQL has no database server to route to: the site has no db-primary', 'give a host the db-primary role, or drop the proxysql role'));
  },
};

const chainFrontend: Rule = {
  name: 'chain-frontend',
  about: 'sum of pm.max_children over web hosts <= ProxySQL mysql-max_connections',
  check(s) {
    const workers = s.chain.totalPhpWorkers.value;
    return s.hosts
      .filter((h) => h.proxysql && h.proxysql.frontendMaxConnections.value < workers)
      .map((h) => {
        const d = h.proxysql!.frontendMaxConnections;
        return problem(h, 'mysql-max_connections', `ProxySQL mysql-max_connections ${d.value} is below the ${workers} PHP workers that may connect (${s.chain.totalPhpWorkers.why})`, fix(d, 'proxysql.max_connections', `pin at least ${workers}`));
      });
  },
};

const chainBackend: Rule = {
  name: 'chain-backend',
  about: 'ProxySQL backend pool per server (or every PHP worker, without ProxySQL) <= MySQL max_connections less the reserve',
  check(s) {
    const proxies = s.hosts.filter((h) => h.proxysql);
    const out: Problem[] = [];
    for (const h of s.hosts) {
      const m = h.mysql;
      if (!m) continue;
      const available = m.maxConnections.value - m.reservedConnections;
      const perProxy = proxies.map((p) => pooledTo(p.proxysql!.servers, h.mysql!.address));
      const need = proxies.length > 0 ? perProxy.reduce((a, b) => a + b, 0) : s.chain.totalPhpWorkers.value;
      if (need <= available) continue;
      const from = proxies.length > 0 ? `the ${need} pooled connections ProxySQL may open to it` : `the ${need} PHP workers that may each connect (no ProxySQL)`;
      const backend = proxies[0]?.proxysql?.backendMaxConnectionsPerServer;
      const suggestion = m.maxConnections.pinned
        ? fix(m.maxConnections, 'mysql.max_connections', `pin at least ${need + m.reservedConnections}`)
        : backend?.pinned
          ? fix(backend, 'proxysql.backend_max_connections', `pin at most ${Math.floor(available / Math.max(1, proxies.length))}`)
          : `raise max_connections to at least ${need + m.reservedConnections}`;
      out.push(problem(h, 'max_connections', `max_connections ${m.maxConnections.value} less ${m.reservedConnections} reserved for admin, replication and monitor leaves ${available}, below ${from}`, suggestion));
    }
    return out;
  },
};

const poolRange: Rule = {
  name: 'pool-range',
  about: "ProxySQL's per-server ceiling holds at least the profile's minimum pool",
  check(s) {
    const min = s.profile.workload.dbConnections.min;
    return s.hosts
      .filter((h) => h.proxysql && h.proxysql.backendMaxConnectionsPerServer.value < min)
      .map((h) => {
        const d = h.proxysql!.backendMaxConnectionsPerServer;
        return problem(h, 'mysql_servers.max_connections', `${d.value} backend connections per server is below the profile's minimum pool of ${min}`, fix(d, 'proxysql.backend_max_connections', `pin at least ${min}`));
      });
  },
};

const redisClients: Rule = {
  name: 'redis-maxclients',
  about: 'Redis maxclients >= the PHP workers that can hold a connection',
  check(s) {
    const workers = s.chain.totalPhpWorkers.value;
    return s.hosts
      .filter((h) => h.redis && h.redis.maxclients.value < workers)
      .map((h) => problem(h, 'maxclients', `Redis maxclients ${h.redis!.maxclients.value} is below the ${workers} PHP workers that may each hold a connection`, fix(h.redis!.maxclients, 'redis.maxclients', `pin at least ${workers}`)));
  },
};

const backlogs: Rule = {
  name: 'backlog-somaxconn',
  about: 'listen.backlog and tcp-backlog <= net.core.somaxconn (the kernel silently truncates larger ones)',
  check(s) {
    const out: Problem[] = [];
    for (const h of s.hosts) {
      // With nginx managed, stackscale's sysctl file sets somaxconn (never below the host's current value).
      const max = h.nginx?.somaxconn.value ?? h.resources.somaxconn;
      const b = h.fpm?.listenBacklog;
      if (b && b.value > max) {
        out.push(problem(h, 'listen.backlog', `listen.backlog ${b.value} is above net.core.somaxconn ${max} on ${h.host.name}`, fix(b, 'fpm.listen_backlog', `pin at most ${max}, or raise net.core.somaxconn`)));
      }
      const t = h.redis?.tcpBacklog;
      if (t && t.value > max) {
        out.push(problem(h, 'tcp-backlog', `tcp-backlog ${t.value} is above net.core.somaxconn ${max} on ${h.host.name}`, fix(t, 'redis.tcp_backlog', `pin at most ${max}, or raise net.core.somaxconn`)));
      }
    }
    return out;
  },
};

const nginxConnections: Rule = {
  name: 'nginx-connections',
  about: "nginx's worker_processes x worker_connections hold the host's users' connections and its requests in flight",
  check(s) {
    return s.hosts.flatMap((h) => {
      const n = h.nginx;
      if (!n) return [];
      const out: Problem[] = [];
      const total = n.workerProcesses.value * n.workerConnections.value;
      if (total < n.connectionsNeeded) {
        out.push(problem(h, 'worker_connections', `nginx on ${h.host.name} can hold ${n.workerProcesses.value} x ${n.workerConnections.value} = ${total} connections, below the ${n.connectionsNeeded} its users and requests in flight need`, fix(n.workerConnections, 'nginx.worker_connections', `pin at least ${Math.ceil(n.connectionsNeeded / n.workerProcesses.value)}`)));
      }
      if (n.listenBacklog.value > n.somaxconn.value) {
        out.push(problem(h, 'listen backlog', `nginx's listen backlog ${n.listenBacklog.value} is above net.core.somaxconn ${n.somaxconn.value} on ${h.host.name}`, fix(n.listenBacklog, 'nginx.listen_backlog', `pin at most ${n.somaxconn.value}`)));
      }
      return out;
    });
  },
};

const memoryFits: Rule = {
  name: 'memory',
  about: "the co-located roles fit each host's RAM less the OS reserve",
  check(s) {
    const webHosts = s.hosts.filter((h) => h.fpm).length;
    return s.hosts.map((h) => memoryRefusal(h, s.profile, { bufferPoolFloor: 0, webHosts })).filter((p): p is Problem => p !== undefined);
  },
};

const perHour: Rule = {
  name: 'connections-per-hour',
  about: "the DB user's MAX_CONNECTIONS_PER_HOUR (app.max_connections_per_hour) holds the estimated connections",
  check(s) {
    const limit = s.chain.perHourLimit;
    if (limit === undefined) return [];
    const pooled = s.hosts.some((h) => h.proxysql);
    const est = pooled ? s.chain.connectionsPerHourWithPool : s.chain.connectionsPerHourWithoutPool;
    if (est.value <= limit) return [];
    const how = pooled
      ? 'lower proxysql.backend_max_connections, raise proxysql.connection_max_age_ms, or raise the limit'
      : `add a host with the proxysql role (pooled: about ${s.chain.connectionsPerHourWithPool.value}/hour per server), or raise the limit`;
    return [problem('app', 'app.max_connections_per_hour', `about ${est.value} connections an hour ${pooled ? 'with' : 'without'} pooling (${est.why}) exceeds the DB user's limit of ${limit}`, how)];
  },
};

export { CPU_REFUSE_FACTOR, CPU_UTILISATION, PHP_CPU_SHARE } from '../sizing/cpu.js';

const littlesLaw: Rule = {
  name: 'littles-law',
  about: "Little's law: requests/s x PHP time (the workers busy on average) fits the PHP-FPM pool",
  check(s) {
    const w = s.profile.workload;
    const web = s.hosts.filter((h) => h.fpm);
    if (web.length === 0) return [];
    const rps = (w.concurrentUsers * w.requestsPerUserPerMinute) / 60;
    const busy = (rps * w.phpTimeMs) / 1000;
    const pool = s.chain.totalPhpWorkers.value;
    if (busy <= pool) return [];
    return [
      problem(
        'profile',
        'workload.php_time_ms',
        `Little's law: ${Math.round(rps)} requests/s x ${(w.phpTimeMs / 1000).toFixed(3)} s in PHP = ${busy.toFixed(1)} workers busy on average, above the ${pool}-worker pool (${s.chain.totalPhpWorkers.why}): requests would queue and time out`,
        `make requests faster (php_time_ms), or raise peak_in_flight_ratio to at least ${(busy / w.concurrentUsers).toFixed(2)} with the memory and web hosts for ${Math.ceil(busy)} workers`,
      ),
    ];
  },
};

const phpCpu: Rule = {
  name: 'php-cpu',
  about: `the CPU the PHP workers need (requests/s x PHP time x ${PHP_CPU_SHARE} on a CPU) is at most ${CPU_REFUSE_FACTOR}x the web hosts' cores (above ${CPU_UTILISATION * 100}% a note warns)`,
  check(s) {
    const c = phpCpuNeed(s.profile, s.hosts);
    if (!c || c.need <= c.cores * CPU_REFUSE_FACTOR) return [];
    const w = s.profile.workload;
    return [
      problem(
        'profile',
        'workload.php_time_ms',
        `the PHP workers need about ${c.need.toFixed(1)} cores (${Math.round(c.rps)} requests/s x ${(w.phpTimeMs / 1000).toFixed(3)} s x ${PHP_CPU_SHARE} of it on a CPU), more than ${CPU_REFUSE_FACTOR}x the ${c.cores} cores of ${c.web.join(', ')}`,
        `make requests faster (php_time_ms), or add web hosts or cores for at least ${Math.ceil(c.need / CPU_UTILISATION)} cores in all`,
      ),
    ];
  },
};

export const RULES: Rule[] = [littlesLaw, phpCpu, fpmOrder, uniqueServerIds, onePrimary, proxysqlHasServers, chainFrontend, chainBackend, poolRange, redisClients, backlogs, nginxConnections, memoryFits, perHour];

/** Every rule over the sizing; all problems at once. */
export function checkSizing(s: SiteSizing): Problem[] {
  return RULES.flatMap((r) => r.check(s));
}

/** Size and check: the sizing (unless a host cannot hold the profile) and every problem found. */
export function validateSite(site: Site, profile: Profile, resources?: Map<string, HostResources>): { sizing?: SiteSizing; problems: Problem[] } {
  let sizing: SiteSizing;
  try {
    sizing = sizeSite(site, profile, resources);
  } catch (err) {
    if (err instanceof InvalidInputError) return { problems: err.problems };
    throw err;
  }
  return { sizing, problems: checkSizing(sizing) };
}
