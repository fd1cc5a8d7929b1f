// The web tier end to end, as a user gets it from `stackscale apply` on hosts of this file's own:
//  1. one VPS with Debian's nginx running a guide-style PHP site: `web_server: none` sizes only PHP-FPM and leaves
//     nginx alone, and 1000 concurrent keep-alive connections to a PHP page overrun Debian's default nginx; then
//     stackscale's nginx takes all 1000; a PHP page served by nginx reads app.php and reaches Redis (password) and
//     MariaDB; the rate limit answers 429 with Retry-After past the burst from one address, never to an allowlisted one.
//  2. two web hosts behind an lb host: requests shared, a stopped web host costs no failed request.
// Traffic goes only to the test hosts, bounded in connections and time (test/helpers/connections.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
import { runCli, SECRET_ENV } from '../helpers/cli.js';
import { holdConnections } from '../helpers/connections.js';

const env = { HOME: '/nonexistent', ...SECRET_ENV };
const SECRETS = [
  'secrets:',
  ...Object.entries({ redis_password: 'REDIS_PASSWORD', app_db_password: 'APP_DB_PASSWORD', replication_password: 'REPL_PASSWORD', proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD', proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD' }).map(([k, v]) => `  ${k}: env:${v}`),
];

// The 1000-user workload with a small pool, so 1000 requests in flight queue in PHP-FPM's backlog (each holding a
// FastCGI connection in nginx) instead of needing 200 PHP workers on a shared test machine.
const PROFILE = `description: "e2e: 1000 users, a small pool"
workload:
  concurrent_users: 1000
  peak_in_flight_ratio: 0.20
  requests_per_user_per_minute: 6
  php_time_ms: 120
  response_target_ms: 200
  cache_hit_ratio: 0.75
  db_connections: {min: 10, max: 20}
  worker_rss: 40M
  queries_per_request: 4
cache_ttls: {get_menu_items: 300, get_dashboard_stats: 30, get_tables: 120, get_orders: 10, get_reservations: 30}
pin: {fpm.max_children: 50, fpm.min_spare_servers: 5, fpm.start_servers: 10, fpm.max_spare_servers: 20, fpm.listen_backlog: 1024}
`;

/** The guide's endpoint, reading everything from app.php: Redis with its password, MariaDB, the TTLs. */
const MENU_PHP = `<?php
$c = require '/etc/stackscale/app.php';
$out = ['host' => gethostname(), 'remote' => $_SERVER['REMOTE_ADDR'], 'profile' => $c['profile'], 'ttls' => $c['cache_ttls']];
$r = new Redis();
$r->connect($c['redis']['host'], $c['redis']['port'], 2.0);
$r->auth($c['redis']['password']);
$r->select($c['redis']['database']);
if ($r->get('menu_items') === false) { $r->setex('menu_items', $c['cache_ttls']['get_menu_items'], 'menu'); $out['cache'] = 'miss'; } else { $out['cache'] = 'hit'; }
$out['redis_ttl'] = $r->ttl('menu_items');
$db = new mysqli($c['db']['write']['host'], $c['db']['user'], $c['db']['password'], $c['db']['database'], $c['db']['write']['port']);
$out['db'] = (int) $db->query('SELECT 20 + 22')->fetch_row()[0];
header('Content-Type: application/json');
echo json_encode($out);
`;
const SLOW_PHP = `<?php usleep(300000); echo gethostname(), "\\n";`;
const WHO_PHP = `<?php echo gethostname(), ' ', $_SERVER['REMOTE_ADDR'], "\\n";`;
/** What a guide has one add to Debian's default site to run PHP. */
const GUIDE_SITE = `server {
	listen 80 default_server;
	root /var/www/html;
	index index.php index.html;
	location ~ \\.php$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
	}
}
`;

async function sh(h: TestHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(h, cmd, { input, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function cli(site: string, args: string[]) {
  const r = await runCli([...args, '--site', site], { env });
  for (const v of Object.values(SECRET_ENV)) expect(r.stdout + r.stderr).not.toContain(v);
  return r;
}

function hostLines(h: TestHost, roles: string): string[] {
  return [`  ${h.name}:`, `    address: ${h.address}`, `    identity: ${h.rootKey}`, `    host_key: ${h.hostKeyFingerprint}`, `    roles: [${roles}]`];
}

/** One HTTP/1.1 request from this machine to a test host: status, headers, body. */
async function get(h: TestHost, urlPath: string): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`http://${h.address}${urlPath}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('one VPS: web_server none, then stackscale nginx', () => {
  let app: TestHost;
  let client: TestHost;
  let dir: string;
  let site: string;

  const writeSite = (webServer: 'nginx' | 'none'): void => {
    writeFileSync(site, [
      `profile: ${path.join(dir, 'e2e.yaml')}`,
      `web_server: ${webServer}`,
      'hosts:',
      ...hostLines(app, 'web, cache, db-primary'),
      'app:',
      '  database: restro',
      '  db_user: restro',
      // This machine (the load client) is never limited; the extra host `client1` is not in the site, so it is.
      `  rate_limit_allow: [${app.gateway}/32]`,
      ...SECRETS,
      '',
    ].join('\n'));
  };

  beforeAll(async () => {
    [app, client] = await startHosts([{ name: 'web1', services: ['php-fpm', 'redis', 'mariadb', 'nginx'] }, { name: 'client1', services: [] }]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-web-'));
    writeFileSync(path.join(dir, 'e2e.yaml'), PROFILE);
    site = path.join(dir, 'stackscale.yaml');
    await sh(app, 'cat > /etc/nginx/sites-enabled/default && service nginx reload', GUIDE_SITE);
    await sh(app, 'cat > /var/www/html/get_menu_items.php', MENU_PHP);
    await sh(app, 'cat > /var/www/html/slow.php', SLOW_PHP);
    // The app's schema is the app's business: its migrations would create the database.
    await sh(app, 'mariadb', 'CREATE DATABASE restro;\n');
  }, 120_000);
  afterAll(async () => {
    if (app) await stopHosts([app]);
  });

  test('web_server: none: PHP-FPM and app.php are deployed, nginx is left as it was', async () => {
    writeSite('none');
    const nginxBefore = await sh(app, 'sha256sum /etc/nginx/nginx.conf /etc/nginx/sites-enabled/default; cat /run/nginx.pid');
    const r = await cli(site, ['apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const changed: string[] = JSON.parse(r.stdout).hosts[0].changed;
    expect(changed).toEqual(expect.arrayContaining(['/etc/php/8.2/fpm/pool.d/www.conf', '/etc/stackscale/app.php']));
    expect(changed.filter((p) => p.includes('nginx') || p.includes('sysctl'))).toEqual([]);
    expect(await sh(app, 'sha256sum /etc/nginx/nginx.conf /etc/nginx/sites-enabled/default; cat /run/nginx.pid')).toBe(nginxBefore);
    expect(await sh(app, 'stat -c "%U:%G %a" /etc/stackscale/app.php')).toBe('root:www-data 640\n');
  }, 120_000);

  test("1000 concurrent keep-alive connections to a PHP page overrun Debian's default nginx (worker_connections 768)", async () => {
    const r = await holdConnections(app.address, 80, 1000, '/slow.php', 40_000);
    // Seen here: about 720 answered, the rest reset by nginx (2 workers x 768 connections, each request holding a
    // client and a FastCGI connection).
    expect(r.statuses[200] ?? 0, JSON.stringify(r)).toBeLessThan(1000);
    expect(r.failed, JSON.stringify(r)).toBeGreaterThan(0);
  }, 60_000);

  test('apply with nginx: the sized nginx.conf, server block, sysctl and app.php; nginx reloaded, not restarted', async () => {
    writeSite('nginx');
    const masterBefore = await sh(app, 'cat /run/nginx.pid');
    const plan = await cli(site, ['plan', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const actions = JSON.parse(plan.stdout).hosts[0].actions.map((a: { service: string; kind: string }) => `${a.service} ${a.kind}`);
    expect(actions).toEqual(expect.arrayContaining(['nginx reload', 'sysctl runtime']));
    const r = await cli(site, ['apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const h = JSON.parse(r.stdout).hosts[0];
    expect(h.changed).toEqual(expect.arrayContaining(['/etc/nginx/nginx.conf', '/etc/nginx/conf.d/stackscale-app.conf', '/etc/sysctl.d/60-stackscale.conf']));
    expect(h.steps.map((s: { step: string; detail: string }) => `${s.step}: ${s.detail}`).join('\n')).toMatch(/health nginx: nginx GET \/fpm-ping on 127\.0\.0\.1:80: 200 pong/);
    expect(await sh(app, 'cat /run/nginx.pid')).toBe(masterBefore);
    expect(await sh(app, 'cat /proc/sys/net/core/somaxconn')).toBe('4096\n');
    // Workers run with the sized open-files limit.
    const limits = await sh(app, 'for p in $(pgrep -P $(cat /run/nginx.pid)); do grep "Max open files" /proc/$p/limits; done');
    expect(limits).toMatch(/Max open files\s+3072\s/);
    // A second apply changes nothing and reloads nothing.
    const again = await cli(site, ['apply', '--yes', '--json']);
    expect(JSON.parse(again.stdout).hosts[0].status, again.stdout).toBe('unchanged');
  }, 120_000);

  test('the same 1000 connections are all answered by the sized nginx', async () => {
    await sh(app, ': > /var/log/nginx/error.log');
    const r = await holdConnections(app.address, 80, 1000, '/slow.php', 40_000);
    expect(r, JSON.stringify(r)).toMatchObject({ statuses: { 200: 1000 }, failed: 0 });
    const log = await sh(app, 'cat /var/log/nginx/error.log');
    expect(log).not.toContain('worker_connections are not enough');
    expect(log).not.toContain('Too many open files');
  }, 60_000);

  test('a PHP page served by nginx reads app.php, uses Redis with its password and MariaDB, and returns the TTLs', async () => {
    const first = await get(app, '/get_menu_items.php');
    expect(first.status, first.body).toBe(200);
    const body = JSON.parse(first.body);
    expect(body).toMatchObject({ host: 'web1', profile: 'e2e', db: 42, ttls: { get_menu_items: 300, get_orders: 10 } });
    expect(body.redis_ttl).toBeGreaterThan(290);
    expect(JSON.parse((await get(app, '/get_menu_items.php')).body).cache).toBe('hit');
    // An index.php front controller gets every path that is not a file; static files come from disk, cached.
    await sh(app, 'cat > /var/www/html/index.php', '<?php echo "front controller: ", $_SERVER["REQUEST_URI"];');
    await sh(app, 'echo "body{}" > /var/www/html/app.css');
    const routed = await get(app, '/orders/42?x=1');
    expect([routed.status, routed.body]).toEqual([200, 'front controller: /orders/42?x=1']);
    const css = await get(app, '/app.css');
    expect([css.status, css.headers.get('cache-control'), css.headers.get('expires') !== null]).toEqual([200, 'max-age=604800, public', true]);
    // The FPM status page answers on loopback only.
    expect((await get(app, '/fpm-status')).status).toBe(403);
    expect(await sh(app, 'curl -s http://127.0.0.1/fpm-ping')).toBe('pong');
  }, 60_000);

  test('rate limit: past the burst one address gets 429 with Retry-After; an allowlisted one never', async () => {
    const burst = async (from: 'client' | 'gateway'): Promise<string[]> => {
      const url = `http://${app.address}/slow.php`;
      if (from === 'client') {
        const out = await sh(client, `for i in $(seq 1 40); do curl -s -o /dev/null -D - -m 5 ${url} & done; wait`);
        return out.split('\n').filter((l) => /^HTTP\/|^Retry-After/i.test(l)).map((l) => l.trim());
      }
      const all = await Promise.all(Array.from({ length: 40 }, () => fetch(url, { signal: AbortSignal.timeout(10_000) })));
      return all.map((r) => `HTTP/1.1 ${r.status}`);
    };
    const limited = await burst('client');
    const codes = limited.filter((l) => l.startsWith('HTTP/'));
    expect(codes).toHaveLength(40);
    const ok = codes.filter((l) => / 200/.test(l)).length;
    // burst 20 served at once (+1 for the rate itself); the rest refused, each told when to come back.
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThanOrEqual(22);
    expect(codes.filter((l) => / 429/.test(l))).toHaveLength(40 - ok);
    expect(limited.filter((l) => /^Retry-After: 1$/i.test(l))).toHaveLength(40 - ok);
    expect(await burst('gateway')).toEqual(Array(40).fill('HTTP/1.1 200'));
  }, 60_000);
});

describe('two web hosts behind an lb', () => {
  let web1: TestHost;
  let web2: TestHost;
  let lb: TestHost;
  let site: string;

  beforeAll(async () => {
    [web1, web2, lb] = await startHosts([
      { name: 'web1', services: ['php-fpm', 'redis', 'mariadb'] },
      { name: 'web2', services: ['php-fpm'] },
      { name: 'lb1', services: [] },
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-lb-'));
    site = path.join(dir, 'stackscale.yaml');
    writeFileSync(site, [
      'profile: 300',
      'hosts:',
      ...hostLines(web1, 'web, cache, db-primary'),
      ...hostLines(web2, 'web'),
      ...hostLines(lb, 'lb'),
      'app:',
      '  database: restro',
      '  db_user: restro',
      `  rate_limit_allow: [${lb.gateway}/32]`,
      ...SECRETS,
      '',
    ].join('\n'));
    for (const h of [web1, web2]) await sh(h, 'mkdir -p /var/www/html && cat > /var/www/html/who.php', WHO_PHP);
  }, 120_000);
  afterAll(async () => {
    if (web1) await stopHosts([web1]);
  });

  test('apply starts nginx on every host; the lb shares requests between both, passing the client address on', async () => {
    const r = await cli(site, ['apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const h of JSON.parse(r.stdout).hosts) expect(h.actions, h.host).toContain('nginx start');
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const res = await get(lb, '/who.php');
      expect(res.status).toBe(200);
      const [host, remote] = res.body.trim().split(' ');
      seen.set(host, (seen.get(host) ?? 0) + 1);
      // set_real_ip_from the lb: the web host sees this machine, not the lb.
      expect(remote).toBe(lb.gateway);
    }
    expect([...seen.keys()].sort()).toEqual(['web1', 'web2']);
  }, 180_000);

  test('a stopped web host costs no failed request; after fail_timeout it gets none', async () => {
    await sh(web2, 'service nginx stop');
    const hosts: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await get(lb, '/who.php');
      expect(res.status).toBe(200);
      hosts.push(res.body.trim().split(' ')[0]);
    }
    expect(new Set(hosts)).toEqual(new Set(['web1']));
    // status shows each backend's health as the lb sees it.
    const st = await cli(site, ['status', '--json', '--host', 'lb1']);
    const figures = JSON.parse(st.stdout).hosts[0].services.find((x: { service: string }) => x.service === 'nginx').figures;
    expect(figures.map((f: { key: string; value: unknown; mark: string }) => [f.key, f.value === false ? 'down' : 'up', f.mark])).toEqual([
      [`nginx.backend.${web1.address}:80`, 'up', 'ok'],
      [`nginx.backend.${web2.address}:80`, 'down', 'warn'],
    ]);
    await sh(web2, 'service nginx start');
  }, 60_000);
});
