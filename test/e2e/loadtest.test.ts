// `stackscale loadtest` against the sample app on a host of this file's own, served as a deployed site serves it:
// nginx and PHP-FPM configured by `stackscale apply` (web role, `app.root` the app's public directory), the app
// reading the /etc/stackscale/app.php apply rendered. The verdicts are right both ways. With a profile's pool the app passes a bounded load; with the same profile but
// `fpm.max_children: 4` pinned, an overload shows FPM max-children-reached and high latency, and fails (exit 1).
// The site is sampled over SSH while the load runs: Redis hits and misses, MySQL connections, the FPM status page.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { check } from '../unit/cli-schema.js';
import { APP_DIR, APP_ROOT, installApp, waitForApp, type AppSettings } from '../helpers/sample-app.js';
import { ssh } from '../hosts/ssh.js';

let host: TestHost;
let dir: string;
const env = {
  HOME: '/nonexistent', REDIS_PASSWORD: 'lt-redis-pw', APP_DB_PASSWORD: 'lt-app-pw', REPL_PASSWORD: 'lt-repl-pw',
  PROXYSQL_ADMIN_PASSWORD: 'lt-px-admin', PROXYSQL_MONITOR_PASSWORD: 'lt-px-mon',
};
const TTLS = { get_menu_items: 300, get_dashboard_stats: 30, get_tables: 120, get_orders: 10, get_reservations: 30 };
const app: AppSettings = { database: 'restro', user: 'restro', password: env.APP_DB_PASSWORD, redisPassword: env.REDIS_PASSWORD, ttls: TTLS, profile: '300' };

function site(profile: string): string {
  const file = path.join(dir, `site-${path.basename(profile)}.yaml`);
  writeFileSync(file, [
    `profile: ${profile}`,
    'hosts:',
    '  lt1:',
    `    address: ${host.address}`,
    `    identity: ${host.rootKey}`,
    `    host_key: ${host.hostKeyFingerprint}`,
    '    roles: [web, cache, db-primary]',
    // This machine is the load generator: as the only client address, it would be rate limited like one user.
    `app: {database: restro, db_user: restro, root: ${APP_ROOT}, rate_limit_allow: [${host.gateway}/32]}`,
    'secrets:',
    ...Object.entries({ redis_password: 'REDIS_PASSWORD', app_db_password: 'APP_DB_PASSWORD', replication_password: 'REPL_PASSWORD', proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD', proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD' }).map(([k, v]) => `  ${k}: env:${v}`),
    '',
  ].join('\n'));
  return file;
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, env, cwd: dir };
  const code = await main(args, io);
  for (const [k, secret] of Object.entries(env)) if (k !== 'HOME') expect(stdout + stderr).not.toContain(secret);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  [host] = await startHosts([{ name: 'lt1', services: ['php-fpm', 'redis', 'mariadb'] }]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-loadtest-e2e-'));
  // A small data set: enough for every query to do real work, seeded in a couple of seconds.
  const seeded = await installApp(host, app, { orders: 5000, reservations: 1000 });
  expect(seeded).toMatch(/seeded 50 restaurants, 3000 menu items, 1000 tables, 5000 orders/);
  // Ten restaurants: a key space the cache warms within the run.
  writeFileSync(path.join(dir, 'paths.yaml'), [
    '- {path: "/get_menu_items.php?restaurant_id={1..10}", weight: 30}',
    '- {path: "/get_tables.php?restaurant_id={1..10}", weight: 20}',
    '- {path: "/get_orders.php?restaurant_id={1..10}", weight: 20}',
    '- {path: "/get_reservations.php?restaurant_id={1..10}", weight: 15}',
    '- {path: "/get_dashboard_stats.php?restaurant_id={1..10}", weight: 15}',
    '',
  ].join('\n'));
  // A profile of this file's own: 300 with the pool pinned under-sized.
  const p300 = readFileSync(path.resolve(import.meta.dirname, '../../profiles/300.yaml'), 'utf8');
  writeFileSync(path.join(dir, 'small-pool.yaml'), p300.replace(/^pin: \{\}$/m, 'pin: {fpm.max_children: 4, fpm.start_servers: 2, fpm.min_spare_servers: 1, fpm.max_spare_servers: 4}'));
}, 120_000);

afterAll(async () => {
  if (host) await stopHosts([host]);
});

describe('stackscale loadtest against the sample app', () => {
  it('the 300 profile passes a bounded load, with the site sampled (exit 0)', async () => {
    const s = site('300');
    const applied = await cli(['apply', '--yes', '--site', s]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    // The app.php apply rendered is the app's only config: MariaDB and Redis where stackscale put them.
    expect(await ssh(host, 'php -r \'$c = require "/etc/stackscale/app.php"; echo $c["db"]["via"], " ", count($c["db"]["read"]), " ", $c["cache_ttls"]["get_orders"];\'')).toMatchObject({ stdout: 'direct 1 10' });
    expect((await ssh(host, `ls ${APP_DIR}`)).stdout).not.toContain('config.local.php');
    const url = await waitForApp(`http://${host.address}`);
    // Warm the cache first, as a site in service has it; then the measured run.
    const warm = await cli(['loadtest', '--site', s, '--url', url, '--users', '20', '--think', '0.2', '--duration', '3', '--paths', 'paths.yaml', '--no-sample']);
    expect(warm.code, warm.stdout).toBe(0);
    const r = await cli(['loadtest', '--site', s, '--url', url, '--users', '40', '--think', '0.5', '--duration', '10', '--paths', 'paths.yaml', '--sample-interval', '2', '--json']);
    const doc = JSON.parse(r.stdout);
    if (process.env.LT_DEBUG) console.log(JSON.stringify({ ...doc, intervals: undefined, samples: undefined }, null, 1));
    expect(check(doc, 'loadtest.schema.json')).toEqual([]);
    const verdicts = Object.fromEntries(doc.checks.map((c: { name: string; verdict: string }) => [c.name, c.verdict]));
    expect(verdicts, JSON.stringify(doc.checks, null, 1)).toEqual({
      avg_latency: 'pass', errors: 'pass', cache_hit_ratio: 'pass', db_connections: 'pass', fpm_max_children_reached: 'pass',
    });
    expect(r.code).toBe(0);
    expect(doc.verdict).toBe('pass');
    // The sampled figures are real: Redis was used, the FPM status page read (the applied pool has one), MySQL seen.
    expect(doc.site.cache_lookups).toBeGreaterThan(doc.requests * 0.9);
    expect(doc.cache_hit_ratio).toBeGreaterThan(0.65);
    expect(doc.fpm_max_children_reached).toBe(0);
    expect(doc.site.fpm_active_max).toBeGreaterThanOrEqual(1);
    expect(doc.db_connections_max).toBeLessThanOrEqual(30);
    expect(doc.connections_per_hour).toBeGreaterThanOrEqual(0);
    expect(doc.samples.length).toBeGreaterThanOrEqual(4);

    // The app's write: create_order drops the restaurant's cached orders, so the next read has the new order.
    const before = await fetch(`${url}/get_orders.php?restaurant_id=3`);
    await before.arrayBuffer();
    const menu = (await (await fetch(`${url}/get_menu_items.php?restaurant_id=3`)).json()) as { items: { id: number; available: number }[] };
    const item = menu.items.find((i) => i.available === 1)?.id;
    const tables = (await (await fetch(`${url}/get_tables.php?restaurant_id=3`)).json()) as { tables: { id: number }[] };
    const created = await fetch(`${url}/create_order.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `restaurant_id=3&table_id=${tables.tables[0].id}&items=${item}:2`,
    });
    expect(created.status).toBe(201);
    const { order_id } = (await created.json()) as { order_id: number };
    const after = await fetch(`${url}/get_orders.php?restaurant_id=3`);
    expect(after.headers.get('x-cache')).toBe('MISS');
    const orders = (await after.json()) as { orders: { id: number; items: unknown[] }[] };
    expect(orders.orders[0]).toMatchObject({ id: order_id, items: [expect.objectContaining({ quantity: 2 })] });
    const again = await fetch(`${url}/get_orders.php?restaurant_id=3`);
    await again.arrayBuffer();
    expect(again.headers.get('x-cache')).toBe('HIT');
    // Bad input is a 400 with a message, never a stack trace.
    const bad = await fetch(`${url}/get_orders.php?restaurant_id=abc`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toMatch(/Stack trace|PDO|password/i);
    for (const q of ['get_orders.php?restaurant_id=3&status=lost', 'get_orders.php?restaurant_id=3&date=2026-02-30', 'get_orders.php?restaurant_id=3&page=0',
      'get_menu_items.php?restaurant_id=3&category[]=x', 'get_dashboard_stats.php?restaurant_id=3&period=year', 'get_reservations.php?restaurant_id=3&date=today']) {
      const r = await fetch(`${url}/${q}`);
      expect(r.status, q).toBe(400);
      expect(await r.text(), q).toMatch(/^\{"error":"(status|date|page|category|period): /);
    }
  }, 180_000);

  it('a new order drops only the cached answers it changes: today\'s orders, the dashboard, the tables', async () => {
    const url = `http://${host.address}`;
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const get = async (q: string) => {
      const r = await fetch(`${url}/${q}`);
      expect(r.status, q).toBe(200);
      return { cache: r.headers.get('x-cache'), body: (await r.json()) as Record<string, unknown> };
    };
    const reads = [
      `get_orders.php?restaurant_id=7&status=open&date=${day(0)}`, `get_orders.php?restaurant_id=7&date=${day(-3)}&page=1`,
      'get_dashboard_stats.php?restaurant_id=7&period=30d', 'get_tables.php?restaurant_id=7', 'get_menu_items.php?restaurant_id=7&category=mains',
      `get_reservations.php?restaurant_id=7&date=${day(2)}`,
    ];
    for (const q of reads) await get(q);
    for (const q of reads) expect((await get(q)).cache, q).toBe('HIT');
    // Each parameter is part of the answer (and of its key): a category's menu holds that category only.
    const mains = (await get('get_menu_items.php?restaurant_id=7&category=mains')).body.items as { category: string }[];
    expect(mains.length).toBeGreaterThan(0);
    expect(new Set(mains.map((i) => i.category))).toEqual(new Set(['mains']));
    const created = await fetch(`${url}/create_order.php`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'restaurant_id=7&table_id=121&items=361:1,362:2',
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { order_id } = (await created.json()) as { order_id: number };
    const after = Object.fromEntries(await Promise.all(reads.map(async (q) => [q.split('?')[0] + (q.includes(day(-3)) ? ' (3 days ago)' : ''), (await get(q)).cache])));
    expect(after).toEqual({
      'get_orders.php': 'MISS', 'get_orders.php (3 days ago)': 'HIT', 'get_dashboard_stats.php': 'MISS', 'get_tables.php': 'MISS',
      'get_menu_items.php': 'HIT', 'get_reservations.php': 'HIT',
    });
    const open = (await get(`get_orders.php?restaurant_id=7&status=open&date=${day(0)}`)).body.orders as { id: number }[];
    expect(open[0].id).toBe(order_id);
    // An order for another restaurant's table, or a dish off the menu (every 20th), is refused and writes nothing.
    for (const body of ['restaurant_id=7&table_id=1&items=361:1', 'restaurant_id=7&table_id=121&items=380:1']) {
      const r = await fetch(`${url}/create_order.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect(r.status, body).toBe(404);
    }
  });

  it('the default mix (no --paths): every drawn request, reads and new orders, is answered without an error', async () => {
    const s = site('300');
    const r = await cli(['loadtest', '--site', s, '--url', `http://${host.address}`, '--users', '40', '--think', '0.5', '--duration', '6', '--no-sample', '--json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.requests).toBeGreaterThan(200);
    expect(doc.errors_by_kind, JSON.stringify(doc.errors_by_kind)).toMatchObject({ http_4xx: 0, http_5xx: 0 });
    expect(doc.errors).toBe(0);
  }, 60_000);

  it('the same profile with fpm.max_children pinned to 4 fails under an overload: max children reached, high latency (exit 1)', async () => {
    const s = site(path.join(dir, 'small-pool.yaml'));
    const applied = await cli(['apply', '--yes', '--site', s]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    // A page that holds its PHP worker for 50 ms (and no CPU): 4 workers serve at most 80 a second on any machine, so
    // 150 a second is an overload wherever the test runs. (The capacity benchmark loads the real app, never this.)
    await ssh(host, `cat > ${APP_DIR}/public/__hold50ms.php`, { input: '<?php usleep(50000); echo "ok\\n";\n' });
    writeFileSync(path.join(dir, 'hold.yaml'), '- {path: /__hold50ms.php, weight: 1}\n');
    const url = await waitForApp(`http://${host.address}`);
    // 150 requests a second offered for 6 s (bounded: at most 1450 requests, 10 s timeout) into a pool of 4 workers.
    const r = await cli(['loadtest', '--site', s, '--url', url, '--users', '30', '--think', '0.2', '--duration', '6', '--paths', 'hold.yaml', '--sample-interval', '1', '--json']);
    const doc = JSON.parse(r.stdout);
    if (process.env.LT_DEBUG) console.log(JSON.stringify({ ...doc, intervals: undefined, samples: undefined }, null, 1));
    expect(check(doc, 'loadtest.schema.json')).toEqual([]);
    expect(r.code).toBe(1);
    expect(doc.verdict).toBe('fail');
    const verdicts = Object.fromEntries(doc.checks.map((c: { name: string; verdict: string }) => [c.name, c.verdict]));
    expect(verdicts.fpm_max_children_reached, JSON.stringify(doc.checks, null, 1)).toBe('fail');
    expect(verdicts.avg_latency).toBe('fail');
    expect(doc.fpm_max_children_reached).toBeGreaterThanOrEqual(1);
    expect(doc.latency_ms.avg).toBeGreaterThan(200);
    // (FPM's listen queue figure is not filled for a unix socket on Linux, so the queue shows as latency only.)
    // The pin held: 4 PHP workers on the host (max_spare_servers 4: none is retired when the load stops). (FPM's status page over-counts `active processes` while requests
    // queue on its socket, past pm.max_children: php/php-src#14212; so the workers are counted on the host.)
    expect(doc.site.fpm_active_max).toBeGreaterThanOrEqual(4);
    expect((await ssh(host, 'pgrep -c -f "^php-fpm: pool www"')).stdout.trim()).toBe('4');
  }, 180_000);
});
