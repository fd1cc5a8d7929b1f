// Every setting of a SiteSizing as text lines with its derivation, for `stackscale profiles show` and reviews.
import { formatBytes } from '../config/size.js';
import type { Derived, HostSizing, SiteSizing } from './types.js';
import { ratio } from './derive.js';

type Shown = (v: never) => string;

function line(name: string, d: Derived<unknown>, show: Shown = String as Shown): string {
  const pinned = d.pinned ? ' (pinned)' : '';
  return `    ${name} = ${(show as (v: unknown) => string)(d.value)}${pinned}: ${d.why}`;
}

const size: Shown = ((v: number) => formatBytes(v)) as Shown;
const yesNo: Shown = ((v: boolean) => (v ? 'yes' : 'no')) as Shown;
const quoted: Shown = ((v: string) => (v === '' ? '""' : v)) as Shown;

export function describeSizing(s: SiteSizing): string[] {
  const p = s.profile;
  const w = p.workload;
  const out: string[] = [
    `profile ${p.name} (${p.file}): ${p.description}`,
    `  workload: ${w.concurrentUsers} users, ${ratio(w.peakInFlightRatio)} in flight at peak, ${w.requestsPerUserPerMinute} requests/user/min, ` +
      `${w.phpTimeMs} ms PHP time, ${w.responseTargetMs} ms target, ${Math.round(w.cacheHitRatio * 100)}% cache hits, ` +
      `${w.dbConnections.min}-${w.dbConnections.max} pooled DB connections, worker RSS ${formatBytes(w.workerRss)}, ${w.queriesPerRequest} queries/request`,
  ];
  if (Object.keys(p.pins).length > 0) out.push(`  pinned: ${Object.entries(p.pins).map(([k, v]) => `${k} = ${String(v)}`).join(', ')}`);
  for (const h of s.hosts) out.push(...describeHost(h));
  const c = s.chain;
  out.push('connection chain');
  out.push(line('PHP workers', c.totalPhpWorkers));
  if (c.frontendMaxConnections) out.push(line('ProxySQL frontend mysql-max_connections', c.frontendMaxConnections));
  if (c.backendPoolTotal) out.push(line('pooled backend connections', c.backendPoolTotal));
  out.push(line('connections/hour without a pool', c.connectionsPerHourWithoutPool));
  out.push(line('connections/hour with ProxySQL', c.connectionsPerHourWithPool));
  if (c.perHourLimit !== undefined) out.push(`    DB user limit = ${c.perHourLimit} connections/hour (app.max_connections_per_hour)`);
  const ttls = Object.entries(s.cacheTtls);
  if (ttls.length > 0) out.push(`cache TTLs: ${ttls.map(([k, v]) => `${k} ${v} s`).join(', ')}`);
  for (const n of s.notes) out.push(`note: ${n}`);
  return out;
}

function describeHost(h: HostSizing): string[] {
  const r = h.resources;
  const m = h.memory;
  const out = [
    `host ${h.host.name} [${h.host.roles.join(', ')}]: ${formatBytes(r.memory)}, ${r.cores} cores (${r.source}); somaxconn ${r.somaxconn}`,
    `  memory: ${formatBytes(m.total)} - ${formatBytes(m.reserve)} OS reserve = ${formatBytes(m.budget)} for the roles, ${formatBytes(m.used)} planned`,
    ...m.lines.map((l) => `    ${l.role}: ${l.what} = ${formatBytes(l.bytes)}`),
  ];
  if (h.fpm) {
    const f = h.fpm;
    out.push(`  php-fpm ${f.phpVersion}: ${f.poolDir}/www.conf, listen ${f.listen}, status ${f.statusPath}, ping ${f.pingPath}`);
    out.push(line('pm', f.pm), line('pm.max_children', f.maxChildren));
    if (f.pm.value === 'dynamic') {
      out.push(line('pm.start_servers', f.startServers), line('pm.min_spare_servers', f.minSpareServers), line('pm.max_spare_servers', f.maxSpareServers));
    }
    out.push(
      line('pm.max_requests', f.maxRequests),
      line('listen.backlog', f.listenBacklog),
      line('request_terminate_timeout', f.requestTerminateTimeout, ((v: number) => `${v}s`) as Shown),
      line('worker RSS', f.workerRss, size),
    );
  }
  if (h.nginx) out.push(...describeNginx(h.nginx));
  if (h.redis) {
    const x = h.redis;
    out.push(`  redis: bind ${x.bind.join(' ')}, port ${x.port}`);
    out.push(
      line('maxmemory', x.maxmemory, size),
      line('maxmemory-policy', x.maxmemoryPolicy),
      line('maxclients', x.maxclients),
      line('tcp-backlog', x.tcpBacklog),
      line('timeout', x.timeout),
      line('save', x.save, quoted),
      line('appendonly', x.appendonly, yesNo),
    );
  }
  if (h.proxysql) {
    const x = h.proxysql;
    out.push(`  proxysql: admin ${x.adminPort}, mysql ${x.mysqlPort}, writer hostgroup ${x.writerHostgroup}, reader hostgroup ${x.readerHostgroup}`);
    out.push(
      line('mysql-threads', x.threads),
      line('mysql-max_connections', x.frontendMaxConnections),
      // Per database server in all, split between its hostgroup entries (the `server` lines below): not one entry's.
      line('backend connections per server (all its hostgroup entries together)', x.backendMaxConnectionsPerServer),
    );
    out.push(`    mysql-free_connections_pct = ${x.freeConnectionsPct}, mysql-connection_max_age_ms = ${x.connectionMaxAgeMs}`);
    for (const sv of x.servers) {
      out.push(`    server ${sv.address}:${sv.port} hostgroup ${sv.hostgroup} weight ${sv.weight} max_connections ${sv.maxConnections} max_replication_lag ${sv.maxReplicationLag} (${sv.comment})`);
    }
    for (const rule of x.rules) out.push(`    rule ${rule.ruleId}: ${rule.matchDigest} -> hostgroup ${rule.destinationHostgroup} (${rule.comment})`);
    out.push(`    user ${x.appUser.username}: default hostgroup ${x.appUser.defaultHostgroup}, max_connections ${x.appUser.maxConnections}; monitor user ${x.monitorUser}`);
  }
  if (h.mysql) {
    const x = h.mysql;
    out.push(`  ${x.flavour} ${x.version} ${x.role}: ${x.path}, bind-address ${x.bindAddress}${x.readOnly ? ', read_only' : ''}`);
    out.push(
      line('server_id', x.serverId),
      line('max_connections', x.maxConnections),
      line('innodb_buffer_pool_size', x.innodbBufferPoolSize, size),
      line('long_query_time', x.longQueryTime),
      line('thread_cache_size', x.threadCacheSize),
      line('table_open_cache', x.tableOpenCache),
    );
  }
  return out;
}

function describeNginx(x: NonNullable<HostSizing['nginx']>): string[] {
  const out = [
    x.kind === 'web'
      ? `  nginx (web): server_name ${x.serverName}, root ${x.root}, FastCGI to ${x.fpmSocket}`
      : `  nginx (lb): server_name ${x.serverName}, backends ${x.backends.map((b) => `${b.name} ${b.address}:${b.port}`).join(', ')} (least_conn, max_fails ${x.maxFails}, fail_timeout ${x.failTimeout}s)`,
    line('worker_processes', x.workerProcesses),
    line('worker_connections', x.workerConnections),
    line('worker_rlimit_nofile (and LimitNOFILE)', x.workerRlimitNofile),
    line('keepalive_timeout', x.keepaliveTimeout, ((v: number) => `${v}s`) as Shown),
    line('keepalive_requests', x.keepaliveRequests),
    line('listen backlog', x.listenBacklog),
    line('net.core.somaxconn', x.somaxconn),
    line('net.ipv4.tcp_max_syn_backlog', x.synBacklog),
    line(x.kind === 'web' ? 'fastcgi_read_timeout' : 'proxy_read_timeout', x.fastcgiReadTimeout, ((v: number) => `${v}s`) as Shown),
    line(x.kind === 'web' ? 'upstream keepalive (FastCGI)' : 'upstream keepalive', x.upstreamKeepalive),
  ];
  if (x.rateLimited) {
    out.push(
      line('limit_req rate per address', x.rate, ((v: number) => `${v}r/m`) as Shown),
      line('limit_req burst (nodelay)', x.burst),
      line('limit_conn per address', x.connPerAddress),
      `    over the limit: 429 with Retry-After ${x.retryAfter}; never limited: ${x.allow.join(' ')} (${x.allowWhy})`,
    );
  } else {
    out.push(`    rate limits: on the lb; real client address from X-Forwarded-For set by ${x.realIpFrom.join(', ')}`);
  }
  out.push(line('nginx memory', x.memory, size));
  return out;
}
