// The PHP-FPM pool of a web host: max_children from the memory left for PHP and the CPU it may use, the spare and
// start counts, worker recycling, the listen backlog and the request timeout.
import type { HostSpec, Profile } from '../config/types.js';
import { MiB } from '../config/size.js';
import { bytes, ceil, derived, pct, pinOr, round } from './derive.js';
import type { Derived, FpmSizing, HostResources } from './types.js';
import { DEFAULT_BACKLOG, type SiteFigures } from './figures.js';

/** pm.start_servers / min_spare / max_spare as shares of max_children: the guide's 50 / 30 / 100 of 200. */
export const FPM_SHARES = { start: 0.25, minSpare: 0.15, maxSpare: 0.5 } as const;

/** The guide's pm.max_requests: recycling bounds slow leaks in long-lived workers. */
const FPM_MAX_REQUESTS = 1000;

/** A request this many times over the response target is stuck: kill it so the worker returns to the pool. */
const TERMINATE_FACTOR = 300;
const TERMINATE_MIN_S = 30;

/** What runs beside the PHP workers on a web host: OPcache's shared memory (PHP's default) and the web server. */
export const OPCACHE = 128 * MiB;
export const WEB_SERVER = 64 * MiB;

/** Measured RSS is rounded up to this step, so the sizing (and the file) does not move with every reading. */
export const RSS_STEP = 8 * 1024 * 1024;

/**
 * The worker RSS to size on: the larger of the profile's guess and the measured one (rounded up to 8 MiB). A live
 * reading moves with every request a worker serves; sizing on it as it is would rewrite the pool file (and reload
 * php-fpm) on every apply. Sizing on the larger value stays safe (size on the largest worker, not the average) and
 * only moves when the workers really outgrow the guess.
 */
export function workerRss(h: HostSpec, r: HostResources, guess: number): Derived<number> {
  // The same words before and after the first measurement: the reason is a comment in the pool file, and a fresh
  // host's second apply must not rewrite (and reload) the pool for a comment once its workers have run.
  const guessWhy = `the profile's guess (worker_rss); sized on the largest worker measured on ${h.name} when that is larger`;
  if (r.measuredWorkerRss === undefined) return derived(guess, guessWhy);
  const measured = Math.ceil(r.measuredWorkerRss / RSS_STEP) * RSS_STEP;
  return measured > guess
    ? derived(measured, `measured on ${h.name} (${r.source}, rounded up to ${bytes(RSS_STEP)}), above the profile's guess of ${bytes(guess)}`)
    : derived(guess, guessWhy);
}

export function sizeFpm(h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures, webIndex: number, phpBudget: number): FpmSizing {
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
export function terminateTimeout(profile: Profile): Derived<number> {
  const w = profile.workload;
  const terminate = Math.max(TERMINATE_MIN_S, Math.ceil((w.responseTargetMs * TERMINATE_FACTOR) / 1000));
  return pinOr(
    profile,
    'fpm.request_terminate_timeout',
    derived(terminate, `${TERMINATE_FACTOR} x the ${w.responseTargetMs} ms response target (at least ${TERMINATE_MIN_S} s): such a request is stuck; kill it and free the worker`),
  );
}
