// nginx in front of PHP-FPM (role `web`) and as the load balancer (role `lb`): every number from the profile's users,
// each with its derivation for `profiles show`. Pure: no I/O. The rules, in short:
//  - worker_connections counts every connection a worker holds, the one to PHP-FPM or to a backend included, so the
//    host needs (its users x 2 browser keep-alive connections) + (its in-flight requests, each holding an upstream
//    connection), with a margin, spread over one worker per core.
//  - Every connection is a file descriptor, so worker_rlimit_nofile (and systemd's LimitNOFILE) is twice that.
//  - The listen backlog absorbs every user of the host reconnecting at once; the kernel truncates it to somaxconn,
//    so the sysctl file raises somaxconn (never lowers it) to hold it and PHP-FPM's and Redis's backlogs.
//  - Rate limits from the profile's requests per user: a user's steady rate x a safety factor, a burst of a page's
//    requests; addresses in the allowlist are never limited.
import type { HostSpec, Profile, Site } from '../config/types.js';
import { appSettings } from '../config/site.js';
import { KiB, MiB } from '../config/size.js';
import { bytes, ceil, derived, pinOr, plural } from './derive.js';
import type { Derived, FpmSizing, HostResources, NginxBackend, NginxSizing } from './types.js';

/** Connections a browser keeps open to a site (HTTP/1.1 browsers open up to 6; 2 is what a page of XHRs holds). */
export const CONNECTIONS_PER_USER = 2;
/** Headroom over the computed need, so a busier minute than the profile's does not hit the limit. */
export const CONNECTION_MARGIN = 0.25;
/** worker_connections is rounded up to a multiple of this, and never below Debian's own 768 rounded up. */
const CONNECTION_STEP = 256;
const CONNECTION_FLOOR = 1024;
/** Each connection is a socket; a proxied one is two (client + upstream): nginx's docs ask for 2x. */
const FDS_PER_CONNECTION = 2;
/** keepalive_timeout: a user's gap between requests plus this slack, within [5, 75] s (75 s is nginx's default). */
const KEEPALIVE_SLACK_S = 5;
const KEEPALIVE_BOUNDS = { min: 5, max: 75 } as const;
/** nginx's default since 1.19.10: a connection is closed after this many requests, freeing per-connection memory. */
const KEEPALIVE_REQUESTS = 1000;
/** The smallest listen backlog worth having (php-fpm's and Redis's own default). */
const BACKLOG_FLOOR = 511;
/** PHP-FPM kills a request at request_terminate_timeout; nginx waits a little longer so the app's error arrives. */
const FASTCGI_TIMEOUT_SLACK_S = 5;
/** A user's steady request rate x this is the per-address rate: room for a few users behind one NAT and fast clicks. */
export const RATE_FACTOR = 10;
/** A page calls every cached endpoint at once (the guide's dashboard): the burst is that x this, served without delay. */
export const BURST_FACTOR = 4;
/** When the profile names no endpoints: the guide's five. */
const DEFAULT_ENDPOINTS = 5;
/** Concurrent requests one address may have in nginx: 6 browser connections x ~5 users behind one NAT. */
const CONN_PER_ADDRESS = 32;
/** Memory: per worker process (code, shared zones, buffers pool) and per expected connection (buffers in use). */
export const NGINX_PER_WORKER = 8 * MiB;
export const NGINX_PER_CONNECTION = 16 * KiB;
/** The lb marks a backend failed after this many failures within fail_timeout, and retries it after fail_timeout. */
const MAX_FAILS = 3;
const FAIL_TIMEOUT_S = 10;
/** Idle connections to each backend kept open by each lb worker. */
const LB_UPSTREAM_KEEPALIVE = 32;

/** Loopback: never limited (health checks, the app calling itself). */
export const LOOPBACK_CIDRS = ['127.0.0.0/8', '::1'];

function has(h: HostSpec, role: string): boolean {
  return (h.roles as string[]).includes(role);
}

/** The site's web hosts behind nginx, and whether an lb host fronts them. */
export function webTier(site: Site): { web: HostSpec[]; lbs: HostSpec[] } {
  if (appSettings(site).webServer === 'none') return { web: [], lbs: [] };
  return { web: site.hosts.filter((h) => has(h, 'web')), lbs: site.hosts.filter((h) => has(h, 'lb')) };
}

/** Addresses never rate limited: the site file's list, else loopback and every host of the site. */
export function allowlist(site: Site): { cidrs: string[]; why: string } {
  if (site.app.rateLimitAllow) return { cidrs: [...new Set([...LOOPBACK_CIDRS, ...site.app.rateLimitAllow])], why: 'loopback and app.rate_limit_allow' };
  const own = site.hosts.flatMap((h) => [h.address, h.privateAddress]).filter((a) => /^[0-9.]+$|:/.test(a));
  return { cidrs: [...new Set([...LOOPBACK_CIDRS, ...own])], why: "loopback and the site's own hosts (a load balancer or monitor must not be throttled)" };
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

interface Need {
  users: number;
  usersWhy: string;
  upstream: number;
  upstreamWhy: string;
}

function connections(h: HostSpec, r: HostResources, profile: Profile, need: Need): { processes: Derived<number>; perWorker: Derived<number>; expected: number } {
  const processes = pinOr(profile, 'nginx.worker_processes', derived(r.cores, `one worker per core of ${h.name} (${r.cores}, ${r.source})`));
  const clients = need.users * CONNECTIONS_PER_USER;
  const expected = clients + need.upstream;
  const wanted = ceil(expected * (1 + CONNECTION_MARGIN));
  const per = Math.max(CONNECTION_FLOOR, roundUp(ceil(wanted / processes.value), CONNECTION_STEP));
  const why =
    `${need.usersWhy} x ${CONNECTIONS_PER_USER} keep-alive connections = ${clients}, + ${need.upstream} ${need.upstreamWhy} = ${expected}; ` +
    `+ ${Math.round(CONNECTION_MARGIN * 100)}% margin = ${wanted}, / ${plural(processes.value, 'worker')} = ${ceil(wanted / processes.value)}, ` +
    `rounded up to ${CONNECTION_STEP} (at least ${CONNECTION_FLOOR}): ${processes.value} x ${per} = ${processes.value * per} >= ${wanted}`;
  return { processes, perWorker: pinOr(profile, 'nginx.worker_connections', derived(per, why)), expected };
}

function common(h: HostSpec, r: HostResources, profile: Profile, site: Site, need: Need, extraBacklogs: { name: string; value: number }[]) {
  const w = profile.workload;
  const { processes, perWorker, expected } = connections(h, r, profile, need);
  const wc = perWorker.value;
  const nofile = wc * FDS_PER_CONNECTION;
  const gap = 60 / w.requestsPerUserPerMinute;
  const ka = Math.min(KEEPALIVE_BOUNDS.max, Math.max(KEEPALIVE_BOUNDS.min, Math.ceil(gap + KEEPALIVE_SLACK_S)));
  const backlog = pinOr(
    profile,
    'nginx.listen_backlog',
    derived(Math.max(BACKLOG_FLOOR, pow2AtLeast(need.users)), `${need.usersWhy} may all reconnect at once (a restart, a network blip): the next power of two, at least ${BACKLOG_FLOOR}`),
  );
  const others = [{ name: 'nginx listen backlog', value: backlog.value }, ...extraBacklogs];
  const somax = Math.max(r.somaxconn, ...others.map((o) => o.value));
  const somaxWhy = `the largest of ${others.map((o) => `${o.name} ${o.value}`).join(', ')} and ${h.name}'s current ${r.somaxconn} (never lowered): the kernel truncates a larger backlog`;
  const rpm = w.requestsPerUserPerMinute;
  const rate = Math.max(1, Math.ceil(rpm * RATE_FACTOR));
  const endpoints = Object.keys(profile.cacheTtls).length || DEFAULT_ENDPOINTS;
  const allow = allowlist(site);
  const users = need.users;
  return {
    connectionsNeeded: expected,
    workerProcesses: processes,
    workerConnections: perWorker,
    workerRlimitNofile: derived(nofile, `${FDS_PER_CONNECTION} x worker_connections ${wc}: a proxied request holds two sockets; systemd's LimitNOFILE is set to the same (Debian's nginx.service sets none: 1024)`),
    keepaliveTimeout: pinOr(
      profile,
      'nginx.keepalive_timeout',
      derived(ka, `a user requests every ${gap.toFixed(0)} s (${rpm}/min): keep the connection that long + ${KEEPALIVE_SLACK_S} s, within ${KEEPALIVE_BOUNDS.min}-${KEEPALIVE_BOUNDS.max} s; an idle one holds a worker_connections slot no longer`),
    ),
    keepaliveRequests: pinOr(profile, 'nginx.keepalive_requests', derived(KEEPALIVE_REQUESTS, "nginx's default since 1.19.10: a long-lived connection is recycled, freeing its memory")),
    listenBacklog: backlog,
    somaxconn: derived(somax, somaxWhy),
    synBacklog: derived(somax, 'as somaxconn: half-open connects of a burst are not dropped before accept'),
    rate: pinOr(
      profile,
      'nginx.rate_per_minute',
      derived(rate, `a user's ${rpm} requests/min x ${RATE_FACTOR} (a few users behind one NAT, fast clicking): beyond it requests get 429`),
    ),
    burst: pinOr(
      profile,
      'nginx.burst',
      derived(endpoints * BURST_FACTOR, `a page calls the ${endpoints} endpoints at once, x ${BURST_FACTOR} (reloads, tabs): served at once (nodelay), nothing under the limit waits`),
    ),
    connPerAddress: pinOr(profile, 'nginx.conn_per_address', derived(CONN_PER_ADDRESS, `requests in progress from one address: 6 browser connections x ~5 users behind one NAT`)),
    retryAfter: Math.max(1, Math.ceil(60 / rate)),
    zoneMb: Math.max(1, Math.ceil(users / 4000)),
    allow: allow.cidrs,
    allowWhy: allow.why,
    memory: derived(
      processes.value * NGINX_PER_WORKER + expected * NGINX_PER_CONNECTION,
      `${processes.value} workers x ${bytes(NGINX_PER_WORKER)} + ${expected} expected connections x ${bytes(NGINX_PER_CONNECTION)}`,
    ),
  };
}

/** nginx on a web host, in front of its PHP-FPM pool. */
export function sizeNginxWeb(
  site: Site, h: HostSpec, r: HostResources, profile: Profile, fpm: FpmSizing, webHosts: number, lbs: HostSpec[], redisBacklog?: number,
): NginxSizing {
  const users = ceil(profile.workload.concurrentUsers / Math.max(1, webHosts));
  const usersWhy = webHosts > 1 ? `${profile.workload.concurrentUsers} users / ${webHosts} web hosts = ${users}` : `${users} users`;
  const mc = fpm.maxChildren.value;
  const c = common(h, r, profile, site, { users, usersWhy, upstream: mc, upstreamWhy: `FastCGI connections (pm.max_children ${mc}: each running request holds one)` }, [
    { name: 'PHP-FPM listen.backlog', value: fpm.listenBacklog.value },
    ...(redisBacklog !== undefined ? [{ name: 'Redis tcp-backlog', value: redisBacklog }] : []),
  ]);
  const keepalive = Math.max(1, Math.floor(fpm.minSpareServers.value / c.workerProcesses.value));
  const t = fpm.requestTerminateTimeout.value;
  return {
    kind: 'web',
    ...c,
    serverName: appSettings(site).serverName,
    root: appSettings(site).root,
    fpmSocket: fpm.listen,
    fpmStatusPath: fpm.statusPath,
    fpmPingPath: fpm.pingPath,
    fastcgiReadTimeout: derived(t + FASTCGI_TIMEOUT_SLACK_S, `PHP-FPM's request_terminate_timeout ${t} s + ${FASTCGI_TIMEOUT_SLACK_S} s: php-fpm ends a stuck request first, so nginx relays its error instead of a 504`),
    upstreamKeepalive: derived(
      keepalive,
      `PHP-FPM's min spare workers ${fpm.minSpareServers.value} / ${plural(c.workerProcesses.value, 'nginx worker')}: a kept FastCGI connection holds a PHP-FPM worker waiting on it, so no more are kept than the pool keeps idle`,
    ),
    // Behind an lb the limits are the lb's: here every request would come from its address.
    rateLimited: lbs.length === 0,
    realIpFrom: lbs.map((l) => l.privateAddress),
    backends: [],
    maxFails: MAX_FAILS,
    failTimeout: FAIL_TIMEOUT_S,
  };
}

/** nginx on the lb host: every web host's private address as a backend, sized for the whole site's users. */
export function sizeNginxLb(site: Site, h: HostSpec, r: HostResources, profile: Profile, web: HostSpec[], totalWorkers: number, fpmTimeout: number): NginxSizing {
  const users = profile.workload.concurrentUsers;
  const c = common(h, r, profile, site, { users, usersWhy: `${users} users`, upstream: totalWorkers, upstreamWhy: `backend connections (${totalWorkers} PHP workers over the web hosts: each running request holds one)` }, []);
  const backends: NginxBackend[] = web.map((x) => ({ name: x.name, address: x.privateAddress, port: 80 }));
  return {
    kind: 'lb',
    ...c,
    serverName: appSettings(site).serverName,
    root: appSettings(site).root,
    fpmSocket: '',
    fpmStatusPath: '',
    fpmPingPath: '',
    fastcgiReadTimeout: derived(fpmTimeout + 2 * FASTCGI_TIMEOUT_SLACK_S, `the web hosts' fastcgi_read_timeout + ${FASTCGI_TIMEOUT_SLACK_S} s: the web host answers (or fails) first`),
    upstreamKeepalive: derived(LB_UPSTREAM_KEEPALIVE, `idle connections to the backends kept per lb worker, so a request does not pay a TCP handshake`),
    rateLimited: true,
    realIpFrom: [],
    backends,
    maxFails: MAX_FAILS,
    failTimeout: FAIL_TIMEOUT_S,
  };
}
