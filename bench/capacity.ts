// Benchmark (not a test): the capacity of a configuration, in concurrent users, on the same test host, the same sample
// app (examples/restaurant-api) and the same data, found by stepping the load until the guide's service level breaks
// (p95 <= 300 ms, errors < 0.1%, average < 200 ms):
//   (a) Debian's defaults: the stock PHP-FPM pool (5 children), stock MariaDB and Redis, no stackscale app config, so the
//       app reads MariaDB on every request (config.local.php: the database only);
//   (b) the 1000 profile applied by `stackscale apply` on the one host (roles web, cache, db-primary), the app config
//       pointing at Redis with the profile's TTLs.
// Each step is a `stackscale loadtest` run (5 s think by default) with the site sampled over SSH; a table per
// configuration, then the capacities side by side.
//
// Run as root after `npm run build` (it starts and stops its own test host):
//   npx vite-node bench/capacity.ts [--steps 250,500,750,1000,1500,2000] [--step-seconds 60] [--think 5]
//                                   [--orders 100000] [--only a|b] [--workers 64]
// A smoke run: --steps 100,250 --step-seconds 10 --orders 10000.
//
// What it cannot do yet: nginx is not deployed by stackscale on this branch, so PHP's built-in server with the app's
// FastCGI bridge (examples/restaurant-api/fcgi-bridge.php, --workers processes) stands in front of FPM in both
// configurations; (b) has no ProxySQL (its role is not started live on the test hosts yet), so the app connects to
// MariaDB directly; (c), the split site (lb + 2 web + proxysql/cache + primary + replica), needs both.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/io.js';
import type { LoadtestReport } from '../src/loadtest/report.js';
import { startHosts, stopHosts, type TestHost } from '../test/hosts/harness.js';
import { SECRET_ENV } from '../test/helpers/cli.js';
import { installApp, serveApp, writeAppConfig, writeLocalConfig, type AppSettings } from '../test/helpers/sample-app.js';

const { values: opt } = parseArgs({
  options: {
    steps: { type: 'string', default: '250,500,750,1000,1500,2000' },
    'step-seconds': { type: 'string', default: '60' },
    think: { type: 'string', default: '5' },
    orders: { type: 'string', default: '100000' },
    only: { type: 'string' },
    workers: { type: 'string', default: '64' },
  },
});
const STEPS = opt.steps.split(',').map(Number);
const SLO = { p95: 300, avg: 200, errors: 0.001 };
const TTLS = { get_menu_items: 300, get_dashboard_stats: 30, get_tables: 120, get_orders: 10, get_reservations: 30 };

interface Step {
  users: number;
  report: LoadtestReport;
  holds: boolean;
}

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, env: { ...SECRET_ENV, HOME: '/nonexistent', CI: 'true' }, cwd };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function siteFile(dir: string, host: TestHost, profile: string): string {
  const file = join(dir, `site-${profile}.yaml`);
  const secrets = { redis_password: 'REDIS_PASSWORD', app_db_password: 'APP_DB_PASSWORD', replication_password: 'REPL_PASSWORD', proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD', proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD' };
  writeFileSync(file, [
    `profile: ${profile}`, 'hosts:', `  ${host.name}:`, `    address: ${host.address}`, `    identity: ${host.rootKey}`, `    host_key: ${host.hostKeyFingerprint}`,
    '    roles: [web, cache, db-primary]', 'app: {database: restro, db_user: restro}', 'secrets:', ...Object.entries(secrets).map(([k, v]) => `  ${k}: env:${v}`), '',
  ].join('\n'));
  return file;
}

const holds = (r: LoadtestReport) => r.latency_ms.p95 <= SLO.p95 && r.latency_ms.avg < SLO.avg && r.requests > 0 && r.errors / r.requests < SLO.errors;

async function stepLoad(label: string, dir: string, site: string, url: string): Promise<Step[]> {
  const steps: Step[] = [];
  for (const users of STEPS) {
    const r = await cli(['loadtest', '--site', site, '--url', url, '--users', String(users), '--think', opt.think, '--duration', opt['step-seconds'], '--sample-interval', '5', '--json'], dir);
    if (r.code !== 0 && r.code !== 1) throw new Error(`${label}: loadtest at ${users} users exited ${r.code}: ${r.stderr}${r.stdout.slice(0, 2000)}`);
    const report = JSON.parse(r.stdout) as LoadtestReport;
    const step = { users, report, holds: holds(report) };
    steps.push(step);
    console.error(`  ${label}: ${users} users: avg ${report.latency_ms.avg} ms, p95 ${report.latency_ms.p95} ms, errors ${report.errors}/${report.requests}${step.holds ? '' : '  <- service level broken'}`);
    if (!step.holds) break;
  }
  return steps;
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
  const head = ['users', 'req/s', 'avg ms', 'p95 ms', 'p99 ms', 'errors', 'cache hit', 'DB peak', 'conn/hour', 'FPM max-ch', 'client CPU', 'level'];
  const rows = steps.map(({ users, report: r, holds: ok }) => [
    String(users), r.throughput_rps.toFixed(0), r.latency_ms.avg.toFixed(1), r.latency_ms.p95.toFixed(1), r.latency_ms.p99.toFixed(1),
    `${r.errors} (${pct(r.requests ? r.errors / r.requests : 0)})`, pct(r.cache_hit_ratio), cell(r.db_connections_max), cell(r.connections_per_hour),
    cell(r.fpm_max_children_reached), `${(r.client.cpu_avg * 100).toFixed(0)}%${r.client.saturated ? '!' : ''}`, ok ? 'holds' : 'BROKEN',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log('  ' + r.map((c, i) => c.padStart(widths[i])).join('  '));
  return capacity;
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stackscale-capacity-'));
  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`steps ${STEPS.join(', ')} users at ${opt.think} s think, ${opt['step-seconds']} s each; the load generator, the front and the host share this machine's cores`);
  const [host] = await startHosts([{ name: 'cap1', services: ['php-fpm', 'redis', 'mariadb'] }]);
  try {
    const app: AppSettings = { database: 'restro', user: 'restro', password: SECRET_ENV.APP_DB_PASSWORD, redisPassword: SECRET_ENV.REDIS_PASSWORD, ttls: TTLS, profile: '1000' };
    console.error(`  seeding ${opt.orders} orders...`);
    console.error(`  ${(await installApp(host, app, { orders: Number(opt.orders), reservations: Math.max(1000, Math.round(Number(opt.orders) / 5)) })).trim()}`);
    const results: Record<string, Capacity> = {};
    let at1000: Step | undefined;

    if (opt.only !== 'b') {
      // (a) Debian's defaults: nothing of stackscale on the host; the app's own file names the database only.
      await writeLocalConfig(host, app);
      const url = await serveApp(host, { workers: Number(opt.workers), seconds: 7200 });
      results.a = table('(a) Debian defaults', await stepLoad('(a)', dir, siteFile(dir, host, '1000'), url));
    }
    if (opt.only !== 'a') {
      // (b) the 1000 profile applied by stackscale; the app config points at Redis (the profile's TTLs) and MariaDB,
      // both on the private address stackscale binds them to.
      const site = siteFile(dir, host, '1000');
      const applied = await cli(['apply', '--yes', '--site', site], dir);
      if (applied.code !== 0) throw new Error(`apply 1000: exit ${applied.code}: ${applied.stderr}${applied.stdout}`);
      await writeAppConfig(host, app);
      const url = await serveApp(host, { workers: Number(opt.workers), seconds: 7200 });
      const steps = await stepLoad('(b)', dir, site, url);
      results.b = table('(b) profile 1000 applied by stackscale (web + cache + db-primary on one host)', steps);
      at1000 = steps.find((s) => s.users === 1000);
    }

    console.log('\ncapacity side by side');
    if (results.a !== undefined) console.log(`  (a) Debian defaults          ${capacityText(results.a)}`);
    if (results.b !== undefined) console.log(`  (b) profile 1000 (one host)  ${capacityText(results.b)}`);
    if (results.a !== undefined && results.b !== undefined) {
      const ratio = results.a.atLeast ? 'unknown ((a) broke at no step)' : results.a.users > 0 ? `${results.b.atLeast ? '>= ' : ''}${(results.b.users / results.a.users).toFixed(2)}x` : 'n/a ((a) held no step)';
      console.log(`  (b) / (a): ${ratio}   (targets: (b) >= 1000 users and >= 3x (a))`);
    }
    if (at1000) {
      const r = at1000.report;
      console.log(`  (b) at 1000 users: cache hit ${pct(r.cache_hit_ratio)} (target 70-80%), DB connections peak ${cell(r.db_connections_max)} (target <= 100)`);
    }
    console.log('  (c) split site (lb + 2 web + proxysql/cache + primary + replica): not run; needs the web tier (nginx, lb) and ProxySQL live');
  } finally {
    await stopHosts([host]);
  }
}

await run();
