// Benchmark (not a test): the capacity of a configuration, in concurrent users, on test hosts of this machine, with the
// same sample app (examples/restaurant-api) and the same seeded data, found by stepping the load until the guide's
// service level breaks (p95 <= 300 ms, errors < 0.1%, average < 200 ms):
//   (a) Debian's defaults: the stock PHP-FPM pool (5 children), Debian's nginx with the guide's `.php` location added
//       to its default site, stock MariaDB; no stackscale app config, so the app reads MariaDB on every request
//       (config.local.php: the database only, over the local socket);
//   (b) the 1000 profile applied by `stackscale apply` on one host (roles web, cache, proxysql, db-primary): nginx,
//       PHP-FPM, Redis, ProxySQL and MariaDB as stackscale sizes them, the app reading the app.php apply rendered;
//   (c) the 1000 profile on a split site: lb, two web hosts, a proxysql + cache host, a primary and a replica.
// Each configuration has hosts of its own, all started first; the steps then interleave (a, b, c at one load, then the
// next load), so other work on the machine falls on every configuration alike. Each step is a `stackscale loadtest`
// run (5 s think by default) through nginx with the site sampled over SSH, the machine's load average noted at its
// end; a table per configuration, then the capacities side by side, and the CPU a request by program (bench/host-cpu.ts)
// with the load the machine's cores could carry at that cost. For (a), the stock pool's and nginx's own warnings are
// counted from their logs (pm.max_children reached; worker_connections not enough). The load generator, nginx, PHP, the databases and every host share this machine's cores.
//
// Run as root (it starts and stops its own test hosts):
//   npx vite-node bench/capacity.ts [--steps 250,500,1000,1500,2000,3000,4500,6000,8000,10000] [--step-seconds 30] [--think 5]
//                                   [--orders 100000] [--only a,b,c] [--paths MIX.yaml]
// A smoke run: --steps 50,100 --step-seconds 5 --orders 5000.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/io.js';
import type { LoadtestReport } from '../src/loadtest/report.js';
import { startHosts, stopHosts, type TestHost } from '../test/hosts/harness.js';
import { SECRET_ENV } from '../test/helpers/cli.js';
import { ssh } from '../test/hosts/ssh.js';
import { APP_DIR, APP_ROOT, guideNginx, installApp, installCode, waitForApp, writeLocalConfig, type AppSettings } from '../test/helpers/sample-app.js';
import { cpuSince, hostsCpu } from './host-cpu.js';

const { values: opt } = parseArgs({
  options: {
    steps: { type: 'string', default: '250,500,1000,1500,2000,3000,4500,6000,8000,10000' },
    'step-seconds': { type: 'string', default: '30' },
    think: { type: 'string', default: '5' },
    orders: { type: 'string', default: '100000' },
    only: { type: 'string', default: 'a,b,c' },
    // Another load mix (a `stackscale loadtest --paths` file), to see how the gap follows the database's share.
    paths: { type: 'string' },
  },
});
const STEPS = opt.steps.split(',').map(Number);
const ONLY = new Set(opt.only.split(','));
const SLO = { p95: 300, avg: 200, errors: 0.001 };
const TTLS = { get_menu_items: 300, get_dashboard_stats: 30, get_tables: 120, get_orders: 10, get_reservations: 30 };

interface Step {
  users: number;
  report: LoadtestReport;
  holds: boolean;
  /** The machine's 1-minute load average at the end of the step (other work shares the cores). */
  load: number;
  /** CPU milliseconds a request by program on the configuration's hosts, and the load generator's own (`client`). */
  cpuPerRequest: Map<string, number>;
  /**
   * (a) only, read from its logs: the stock pool's "reached pm.max_children" warnings (it has no FPM status page) and
   * the stock nginx's "worker_connections are not enough" alerts during the step.
   */
  stockWarnings?: { fpm: number; nginx: number };
}

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, env: { ...SECRET_ENV, HOME: '/nonexistent', CI: 'true' }, cwd };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** A site file: each host with its roles; the app served from its public directory, this machine never rate limited. */
function siteFile(dir: string, name: string, profile: string, hosts: [TestHost, string][]): string {
  const file = join(dir, `site-${name}.yaml`);
  const secrets = { redis_password: 'REDIS_PASSWORD', app_db_password: 'APP_DB_PASSWORD', replication_password: 'REPL_PASSWORD', proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD', proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD' };
  writeFileSync(file, [
    `profile: ${profile}`,
    'hosts:',
    ...hosts.flatMap(([h, roles]) => [`  ${h.name}:`, `    address: ${h.address}`, `    identity: ${h.rootKey}`, `    host_key: ${h.hostKeyFingerprint}`, `    roles: [${roles}]`]),
    // The load generator is one address standing for every user: as a client it would be limited like one user.
    `app: {database: restro, db_user: restro, root: ${APP_ROOT}, rate_limit_allow: [${hosts[0][0].gateway}/32]}`,
    'secrets:',
    ...Object.entries(secrets).map(([k, v]) => `  ${k}: env:${v}`),
    '',
  ].join('\n'));
  return file;
}

async function apply(dir: string, site: string, label: string): Promise<void> {
  const t0 = Date.now();
  const r = await cli(['apply', '--yes', '--site', site], dir);
  if (r.code !== 0) throw new Error(`${label}: apply: exit ${r.code}: ${r.stderr}${r.stdout}`);
  console.error(`  ${label}: applied in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const holds = (r: LoadtestReport) => r.latency_ms.p95 <= SLO.p95 && r.latency_ms.avg < SLO.avg && r.requests > 0 && r.errors / r.requests < SLO.errors;

/** One step of one configuration: a bounded `stackscale loadtest` run, with the machine's load average at its end. */
async function loadStep(label: string, setup: Setup, dir: string, users: number): Promise<Step> {
  const cpuBefore = hostsCpu(setup.hosts);
  const warningsBefore = setup.stock ? await stockWarnings(setup) : undefined;
  const r = await cli(['loadtest', '--site', setup.site, '--url', setup.url, '--users', String(users), '--think', opt.think, '--duration', opt['step-seconds'], '--sample-interval', '5', '--json', ...(opt.paths ? ['--paths', opt.paths] : [])], dir);
  if (r.code !== 0 && r.code !== 1) throw new Error(`${label}: loadtest at ${users} users exited ${r.code}: ${r.stderr}${r.stdout.slice(0, 2000)}`);
  const report = JSON.parse(r.stdout) as LoadtestReport;
  const cpu = cpuSince(cpuBefore, hostsCpu(setup.hosts));
  cpu.set('client', report.client.cpu_avg * report.duration_s * 1000);
  const cpuPerRequest = new Map([...cpu].map(([name, ms]) => [name, report.requests ? ms / report.requests : 0]));
  const after = warningsBefore === undefined ? undefined : await stockWarnings(setup);
  const warnings = after && warningsBefore ? { fpm: after.fpm - warningsBefore.fpm, nginx: after.nginx - warningsBefore.nginx } : undefined;
  const step = { users, report, holds: holds(report), load: loadavg()[0], cpuPerRequest, stockWarnings: warnings };
  const kinds = Object.entries(report.errors_by_kind ?? {}).filter(([, n]) => Number(n) > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  console.error(`  ${label}: ${users} users: avg ${report.latency_ms.avg} ms, p95 ${report.latency_ms.p95} ms, errors ${report.errors}/${report.requests}${kinds ? ` (${kinds})` : ''}, load average ${step.load.toFixed(1)}${step.holds ? '' : '  <- service level broken'}`);
  return step;
}

/**
 * The counts so far of the stock pool's "server reached pm.max_children setting" (each time it runs out of workers)
 * and of the stock nginx's "worker_connections are not enough" (each connection it could not take).
 */
async function stockWarnings(setup: Setup): Promise<{ fpm: number; nginx: number }> {
  const count = (pattern: string, file: string) => `grep -c '${pattern}' ${file} 2>/dev/null || true`;
  const r = await ssh(setup.hosts[0], `${count('reached pm.max_children', setup.stock!.fpmLog)}; ${count('worker_connections are not enough', setup.stock!.nginxLog)}`);
  const [fpm, nginx] = r.stdout.trim().split('\n').map((n) => Number(n) || 0);
  return { fpm, nginx: nginx ?? 0 };
}

/** The programs in the order a request meets them, then the rest. */
const PROGRAMS = ['nginx', 'php-fpm', 'redis', 'proxysql', 'mariadb', 'ssh sampler', 'other', 'client'];
const hostMs = (perRequest: Map<string, number>) => [...perRequest].filter(([k]) => k !== 'client').reduce((a, [, v]) => a + v, 0);
/** A step's CPU a request, its hosts' and the load generator's together. */
const allMs = (s: Step) => hostMs(s.cpuPerRequest) + (s.cpuPerRequest.get('client') ?? 0);

/** Rows under a header, each column right-aligned to its widest cell. */
function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log('  ' + r.map((c, i) => c.padStart(widths[i])).join('  '));
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const cell = (x: number | null) => (x === null ? 'n/a' : String(x));

/** The capacity: the most users of a step that held; `atLeast` when no step broke the level (the steps ran out). */
interface Capacity {
  users: number;
  atLeast: boolean;
}
const capacityText = (c: Capacity) => `${c.atLeast ? '>= ' : ''}${c.users} users${c.atLeast ? ' (every step held: add larger --steps)' : ''}`;

function table(label: string, steps: Step[]): Capacity {
  const capacity = { users: Math.max(0, ...steps.filter((s) => s.holds).map((s) => s.users)), atLeast: steps.every((s) => s.holds) };
  console.log(`\n${label}: capacity ${capacityText(capacity)} (p95 <= ${SLO.p95} ms, avg < ${SLO.avg} ms, errors < ${SLO.errors * 100}%)`);
  const stock = steps.some((s) => s.stockWarnings);
  const head = ['users', 'req/s', 'avg ms', 'p95 ms', 'p99 ms', 'errors', 'cache hit', 'DB peak', 'conn/hour', 'FPM max-ch', ...(stock ? ['nginx no-conn'] : []), 'client CPU', 'CPU ms/req', 'load', 'level'];
  const rows = steps.map(({ users, report: r, holds: ok, load, stockWarnings: warned, cpuPerRequest }) => [
    String(users), r.throughput_rps.toFixed(0), r.latency_ms.avg.toFixed(1), r.latency_ms.p95.toFixed(1), r.latency_ms.p99.toFixed(1),
    `${r.errors} (${pct(r.requests ? r.errors / r.requests : 0)})`, pct(r.cache_hit_ratio), cell(r.db_connections_max), cell(r.connections_per_hour),
    warned === undefined ? cell(r.fpm_max_children_reached) : `${warned.fpm} (log)`, ...(stock ? [warned === undefined ? 'n/a' : `${warned.nginx} (log)`] : []),
    `${(r.client.cpu_avg * 100).toFixed(0)}%${r.client.saturated ? '!' : ''}`,
    `${hostMs(cpuPerRequest).toFixed(2)}+${(cpuPerRequest.get('client') ?? 0).toFixed(2)}`, load.toFixed(1), ok ? 'holds' : 'BROKEN',
  ]);
  printTable(head, rows);
  return capacity;
}

const app: AppSettings = { database: 'restro', user: 'restro', password: SECRET_ENV.APP_DB_PASSWORD, redisPassword: SECRET_ENV.REDIS_PASSWORD, ttls: TTLS, profile: '1000' };
const seed = () => ({ orders: Number(opt.orders), reservations: Math.max(1000, Math.round(Number(opt.orders) / 5)) });

interface Setup {
  site: string;
  url: string;
  hosts: TestHost[];
  /** (a): the stock pool's and nginx's logs, read for their warnings (the stock pool has no status page to sample). */
  stock?: { fpmLog: string; nginxLog: string };
}

/** (a) Debian's defaults: nothing of stackscale on the host; the app's own file names the database only. */
async function setupDefaults(dir: string): Promise<Setup> {
  const hosts = await startHosts([{ name: 'deb1', services: ['php-fpm', 'redis', 'mariadb', 'nginx'] }]);
  const [h] = hosts;
  console.error(`  (a): ${(await installApp(h, app, seed())).trim()}`);
  // What each request of the default mix costs the database on a miss, on this very data, before any load.
  const cost = await ssh(h, `STACKSCALE_APP_CONFIG=/root/app-seed.php php ${APP_DIR}/cost.php --rounds 3`, { timeoutMs: 300_000 });
  if (cost.code !== 0) throw new Error(`cost.php: ${cost.stderr}`);
  console.log(`\neach request's database cost on a cache miss (examples/restaurant-api/cost.php on (a)'s host, every restaurant, 3 rounds):\n${cost.stdout.replace(/^/gm, '  ').trimEnd()}`);
  await writeLocalConfig(h, app);
  const url = await guideNginx(h);
  // The site file only tells loadtest what to sample (and the 1000 profile's targets); it is never applied here.
  return { site: siteFile(dir, 'a', '1000', [[h, 'web, cache, db-primary']]), url, hosts, stock: { fpmLog: '/var/log/php8.2-fpm.log', nginxLog: '/var/log/nginx/error.log' } };
}

/** (b) the 1000 profile applied by stackscale on one host; ProxySQL's first start is apply's. */
async function setupOneHost(dir: string): Promise<Setup> {
  const hosts = await startHosts([{ name: 'one1', services: ['php-fpm', 'redis', 'mariadb'] }]);
  const [h] = hosts;
  console.error(`  (b): ${(await installApp(h, app, seed())).trim()}`);
  const site = siteFile(dir, 'b', '1000', [[h, 'web, cache, proxysql, db-primary']]);
  await apply(dir, site, '(b)');
  return { site, url: await waitForApp(`http://${h.address}`), hosts };
}

/** (c) the split site: the data seeded on the primary before apply, which copies it to the replica. */
async function setupSplit(dir: string): Promise<Setup> {
  const hosts = await startHosts([
    { name: 'lb1', services: [] },
    { name: 'web1', services: ['php-fpm'] },
    { name: 'web2', services: ['php-fpm'] },
    { name: 'pxc1', services: ['redis'] },
    { name: 'db1', services: ['mariadb'] },
    { name: 'db2', services: ['mariadb'] },
  ]);
  const [lb, web1, web2, pxc, db1, db2] = hosts;
  console.error(`  (c): ${(await installApp(db1, app, seed())).trim()}`);
  await Promise.all([installCode(web1), installCode(web2)]);
  const site = siteFile(dir, 'c', '1000', [[lb, 'lb'], [web1, 'web'], [web2, 'web'], [pxc, 'proxysql, cache'], [db1, 'db-primary'], [db2, 'db-replica']]);
  await apply(dir, site, '(c)');
  return { site, url: await waitForApp(`http://${lb.address}`), hosts };
}

const LABELS: Record<string, string> = {
  a: '(a) Debian defaults (stock pool, stock nginx, no app config: MariaDB on every request)',
  b: '(b) profile 1000 applied by stackscale, one host (web + cache + proxysql + db-primary)',
  c: '(c) profile 1000 applied by stackscale, split site (lb + 2 web + proxysql/cache + primary + replica)',
};

/**
 * Where a request's CPU goes, per configuration, at its busiest step that held (where the programs' idle work weighs
 * least), and the load the machine's cores could carry at that cost if nothing else ran on them: on one machine every
 * configuration is bounded by its CPU per request, whatever its pool sizes.
 */
function cpuBudget(busiest: Record<string, Step | undefined>): void {
  const keys = Object.keys(busiest).filter((k) => busiest[k] !== undefined);
  if (keys.length === 0) return;
  const cores = availableParallelism();
  console.log(`\nCPU ms a request, by program, at each configuration's busiest step that held (this machine's /proc; 'client' is the load generator and sampler)`);
  const head = ['', 'users', ...PROGRAMS, 'all', `${cores} cores carry`];
  const rows = keys.map((k) => {
    const s = busiest[k]!;
    const all = allMs(s);
    const rps = (cores * 1000) / all;
    return [`(${k})`, String(s.users), ...PROGRAMS.map((p) => (s.cpuPerRequest.get(p) ?? 0).toFixed(2)), all.toFixed(2), `${rps.toFixed(0)} req/s = ${Math.round(rps * Number(opt.think))} users`];
  });
  printTable(head, rows);
  const a = busiest.a;
  if (!a) return;
  // Bounded by CPU, a configuration's capacity is cores / CPU a request, so (k)/(a) is at most all(a) / all(k). Split
  // each into the database's part (MariaDB, and ProxySQL, which only a miss reaches) and the rest (F): (k) with no
  // database work at all would still cost F(k), and at hit ratio h it reaches 3x (a) only when (a)'s database part
  // D satisfies F(a) + D >= 3 (F(k) + (1 - h) D), i.e. D >= (3 F(k) - F(a)) / (1 - 3 (1 - h)).
  const db = (s: Step) => (s.cpuPerRequest.get('mariadb') ?? 0) + (s.cpuPerRequest.get('proxysql') ?? 0);
  for (const k of keys.filter((k) => k !== 'a')) {
    const s = busiest[k]!;
    const h = s.report.cache_hit_ratio ?? 0;
    const fa = allMs(a) - db(a);
    const fk = allMs(s) - db(s);
    const need = 1 - 3 * (1 - h) > 0
      ? `needs (a)'s requests to spend ${((3 * fk - fa) / (1 - 3 * (1 - h))).toFixed(2)} ms in the database, against ${db(a).toFixed(2)} ms measured`
      : 'is out of reach whatever the database costs (at most 1 / (1 - h) of it is saved)';
    console.log(`  (${k}) / (a) by CPU a request: ${(allMs(a) / allMs(s)).toFixed(2)}x; with no database work at all in (${k}): ${(allMs(a) / fk).toFixed(2)}x; 3x at its hit ratio (${pct(h)}) ${need}`);
  }
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stackscale-capacity-'));
  const started = Date.now();
  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`steps ${STEPS.join(', ')} users at ${opt.think} s think, ${opt['step-seconds']} s each, ${opt.orders} orders seeded; the load generator and every host share this machine's cores`);
  console.log(`load mix: ${opt.paths ? `${opt.paths} (not the default)` : "stackscale loadtest's default"}`);
  const setups: Record<string, (dir: string) => Promise<Setup>> = { a: setupDefaults, b: setupOneHost, c: setupSplit };
  const results: Record<string, Capacity> = {};
  const at1000: Record<string, Step | undefined> = {};
  const busiest: Record<string, Step | undefined> = {};
  // Every configuration's hosts run at once, and the steps interleave (a, b, c at 250 users, then at 500, ...): the
  // other work on this machine's cores comes and goes, and interleaving spreads it over the configurations instead of
  // letting it fall on whichever ran last. A configuration leaves the rotation at its first broken step.
  const keys = ['a', 'b', 'c'].filter((k) => ONLY.has(k));
  const running: Record<string, Setup> = {};
  try {
    for (const key of keys) running[key] = await setups[key](dir);
    const steps: Record<string, Step[]> = Object.fromEntries(keys.map((k) => [k, []]));
    let active = [...keys];
    for (const users of STEPS) {
      for (const key of active) steps[key].push(await loadStep(`(${key})`, running[key], dir, users));
      active = active.filter((k) => steps[k].at(-1)!.holds);
      if (active.length === 0) break;
    }
    for (const key of keys) {
      results[key] = table(LABELS[key], steps[key]);
      at1000[key] = steps[key].find((s) => s.users === 1000);
      busiest[key] = steps[key].filter((s) => s.holds).at(-1);
    }
  } finally {
    for (const setup of Object.values(running)) await stopHosts(setup.hosts);
  }

  console.log('\ncapacity side by side');
  for (const key of Object.keys(results)) console.log(`  ${LABELS[key].split(' (')[0].padEnd(52)} ${capacityText(results[key])}`);
  for (const key of ['b', 'c']) {
    if (results.a === undefined || results[key] === undefined) continue;
    const ratio = results.a.atLeast ? 'unknown ((a) broke at no step)' : results.a.users > 0 ? `${results[key].atLeast ? '>= ' : ''}${(results[key].users / results.a.users).toFixed(2)}x` : 'n/a ((a) held no step)';
    console.log(`  (${key}) / (a): ${ratio}${key === 'b' ? '   (targets: (b) >= 1000 users and >= 3x (a))' : ''}`);
  }
  for (const key of ['b', 'c']) {
    const r = at1000[key]?.report;
    if (r) console.log(`  (${key}) at 1000 users: cache hit ${pct(r.cache_hit_ratio)} (target 70-80%), DB connections peak ${cell(r.db_connections_max)} (target <= 100)`);
  }
  cpuBudget(busiest);
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${((Date.now() - started) / 60000).toFixed(1)} min in all`);
}

await run();
