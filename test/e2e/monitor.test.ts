// The monitor role end to end, as `stackscale apply` leaves it on three hosts of this file's own: a web + cache host,
// a database host and a monitor host. Prometheus on the monitor host scrapes every exporter of the site (all `up`,
// and the exporters themselves reach MariaDB and Redis with their own logins); no exporter listens on anything but
// loopback or its host's private address; no secret is on any command line; and a profile that pins
// pm.max_children to 2 plus a short, bounded burst of requests fires the PHP-FPM alert in Prometheus' /api/v1/alerts.
// Traffic goes only to the test hosts: 16 requests, one burst, each bounded by a timeout.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
import { runCli, SECRET_ENV } from '../helpers/cli.js';

const MONITOR_ENV = { EXPORTER_PASSWORD: 'e2e-exporter-Pw-46', ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook?token=e2e-hook-T0k-47' };
const env = { HOME: '/nonexistent', ...SECRET_ENV, ...MONITOR_ENV };
const SECRET_VALUES = Object.values({ ...SECRET_ENV, ...MONITOR_ENV });

/** A small workload with the pool pinned to 2 workers: a handful of slow requests reach pm.max_children. */
const TINY_PROFILE = `description: "e2e: a tiny site, 2 PHP workers"
workload:
  concurrent_users: 20
  peak_in_flight_ratio: 0.10
  requests_per_user_per_minute: 6
  php_time_ms: 120
  response_target_ms: 200
  cache_hit_ratio: 0.75
  db_connections: {min: 2, max: 5}
  worker_rss: 40M
  queries_per_request: 4
cache_ttls: {get_menu_items: 300, get_orders: 10}
pin: {fpm.max_children: 2, fpm.start_servers: 1, fpm.min_spare_servers: 1, fpm.max_spare_servers: 1}
`;

async function sh(h: TestHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(h, cmd, { input, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function hostLines(h: TestHost, roles: string): string[] {
  return [`  ${h.name}:`, `    address: ${h.address}`, `    identity: ${h.rootKey}`, `    host_key: ${h.hostKeyFingerprint}`, `    roles: [${roles}]`];
}

/** Prometheus' HTTP API on the monitor host (it listens on loopback there). */
async function api(mon: TestHost, query: string): Promise<any> {
  return JSON.parse(await sh(mon, `curl -fsS --max-time 5 'http://127.0.0.1:9090/api/v1/${query}'`));
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('monitor role on a three-host site', () => {
  let web: TestHost;
  let db: TestHost;
  let mon: TestHost;
  let site: string;

  beforeAll(async () => {
    [web, db, mon] = await startHosts([
      { name: 'mweb1', services: ['php-fpm', 'redis', 'nginx'] }, // ProxySQL installed, started by apply
      { name: 'mdb1', services: ['mariadb'] },
      { name: 'mmon1', services: [] },
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-monitor-'));
    writeFileSync(path.join(dir, 'tiny.yaml'), TINY_PROFILE);
    site = path.join(dir, 'stackscale.yaml');
    writeFileSync(site, [
      `profile: ${path.join(dir, 'tiny.yaml')}`,
      'hosts:',
      ...hostLines(web, 'web, cache, proxysql'),
      ...hostLines(db, 'db-primary'),
      ...hostLines(mon, 'monitor'),
      'app: {database: restro, db_user: restro}',
      'secrets:',
      '  redis_password: env:REDIS_PASSWORD',
      '  app_db_password: env:APP_DB_PASSWORD',
      '  mysqld_exporter_password: env:EXPORTER_PASSWORD',
      '  proxysql_admin_password: env:PROXYSQL_ADMIN_PASSWORD',
      '  proxysql_monitor_password: env:PROXYSQL_MONITOR_PASSWORD',
      'monitor:',
      '  alert_webhook: env:ALERT_WEBHOOK_URL',
      '',
    ].join('\n'));
    await sh(web, 'cat > /var/www/html/slow.php', '<?php usleep(1500000); echo "slow\\n";');
    await sh(db, 'mariadb', 'CREATE DATABASE restro;\n');
  }, 120_000);
  afterAll(async () => {
    if (web) await stopHosts([web]);
  });

  test('apply deploys Prometheus, Alertmanager and the exporters; every target is up', async () => {
    const r = await runCli(['apply', '--yes', '--json', '--site', site], { env });
    for (const v of SECRET_VALUES) expect(r.stdout + r.stderr).not.toContain(v);
    expect(r.code, r.stderr).toBe(0);
    const changed = Object.fromEntries((JSON.parse(r.stdout).hosts as { host: string; changed: string[] }[]).map((h) => [h.host, h.changed]));
    expect(changed[mon.name]).toEqual(expect.arrayContaining(['/etc/prometheus/prometheus.yml', '/etc/prometheus/rules/stackscale.yml', '/etc/prometheus/alertmanager.yml']));
    expect(changed[db.name]).toEqual(expect.arrayContaining(['/etc/prometheus/mysqld-exporter.cnf', '/etc/default/prometheus-mysqld-exporter']));
    expect(await sh(db, 'stat -c "%U:%G %a" /etc/prometheus/mysqld-exporter.cnf')).toBe('prometheus:prometheus 600\n');

    const expected = [
      `node ${web.name}`, `redis ${web.name}`, `nginx ${web.name}`, `node ${db.name}`, `mysqld ${db.name}`, `node ${mon.name}`, `prometheus ${mon.name}`, `alertmanager ${mon.name}`,
    ].sort();
    const targets = await until('every target up', 90_000, async () => {
      const t = (await api(mon, 'targets')).data.activeTargets as { labels: { job: string; host: string }; health: string; scrapeUrl: string }[];
      return t.length === expected.length && t.every((x) => x.health === 'up') ? t : undefined;
    });
    expect(targets.map((t) => `${t.labels.job} ${t.labels.host}`).sort()).toEqual(expected);
    // Scraped over the private network: the web and db hosts' exporters at their own addresses.
    expect(targets.filter((t) => t.labels.host === web.name).every((t) => t.scrapeUrl.includes(`//${web.address}:`))).toBe(true);
    // The exporters log in: MariaDB with the exporter's own account, Redis with the password from its file.
    const value = async (q: string) => (await api(mon, `query?query=${encodeURIComponent(q)}`)).data.result.map((s: { value: [number, string] }) => s.value[1]);
    await until('mysql_up and redis_up', 60_000, async () => ((await value('mysql_up'))[0] === '1' && (await value('redis_up'))[0] === '1' ? true : undefined));
    // The nginx exporter reads the loopback stub_status: nginx_up 1 and nginx's connection counters.
    await until('nginx_up', 60_000, async () => ((await value('nginx_up'))[0] === '1' ? true : undefined));
    expect(Number((await value('nginx_connections_accepted'))[0])).toBeGreaterThan(0);
    // stub_status answers loopback only: from the monitor host it is refused.
    const status = await ssh(mon, `curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://${web.address}/stackscale-nginx-status`);
    expect(status.stdout).toBe('403');
    // The rules are loaded, with the pinned pool's threshold (more than 80% of 2 workers = 2).
    const rules = (await api(mon, 'rules')).data.groups.flatMap((g: { rules: { name: string; query: string }[] }) => g.rules);
    expect(rules.find((x: { name: string }) => x.name === 'FpmWorkersBusy')?.query).toBe(`stackscale_phpfpm_active_processes{host="${web.name}"} >= 2`);
    expect(rules.find((x: { name: string }) => x.name === 'ResponseTimeHigh')?.query).toBe(
      'histogram_quantile(0.95, sum by (host, le) (rate(stackscale_nginx_request_duration_seconds_bucket[5m]))) > 0.2');

    // A second run has nothing to do: no file, no restart, no install (plan --detailed-exitcode exits 0).
    const again = await runCli(['plan', '--detailed-exitcode', '--site', site], { env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 240_000);

  test('no exporter listens on a non-private address; no secret on any command line', async () => {
    for (const h of [web, db, mon]) {
      const listeners = (await sh(h, "ss -ltnpH | grep -E 'prometheus|alertmanager' || true")).trim().split('\n').filter(Boolean);
      // ProxySQL's REST API (port 6070) would listen on every address: it stays off.
      expect(await sh(h, 'ss -ltnH'), h.name).not.toMatch(/:6070\s/);
      expect(listeners.length, h.name).toBeGreaterThan(0);
      for (const l of listeners) {
        const local = l.split(/\s+/)[3];
        expect([`127.0.0.1`, h.address], `${h.name}: ${l}`).toContain(local.replace(/:\d+$/, ''));
      }
      const argv = await sh(h, 'ps -eo args');
      expect(argv).toMatch(/prometheus/);
      for (const v of SECRET_VALUES) expect(argv, h.name).not.toContain(v);
    }
  }, 60_000);

  test("ProxySQL's pool figures reach Prometheus through node exporter's textfile collector", async () => {
    // The admin login the script reads is root's alone; run the script once now rather than wait for cron's minute.
    expect(await sh(web, 'stat -c "%U:%G %a" /etc/prometheus/proxysql-metrics.cnf')).toBe('root:root 600\n');
    await sh(web, 'setsid /usr/local/lib/stackscale/proxysql-metrics > /dev/null 2>&1 < /dev/null &');
    const query = async (q: string) => (await api(mon, `query?query=${encodeURIComponent(q)}`)).data.result as { metric: Record<string, string>; value: [number, string] }[];
    const used = await until('the ProxySQL pool series in Prometheus', 90_000, async () => {
      const r = await query(`stackscale_proxysql_backend_connections{host="${web.name}",state="used"}`);
      return r.length > 0 ? r : undefined;
    });
    // One series per backend of the pool (writer and reader hostgroups), named by the db host's address.
    expect(used.every((s) => s.metric.endpoint === `${db.address}:3306`), JSON.stringify(used)).toBe(true);
    expect((await query(`stackscale_proxysql_up{host="${web.name}"}`)).map((s) => s.value[1])).toEqual(['1']);
    expect((await query(`stackscale_proxysql_backend_shunned{host="${web.name}"}`)).every((s) => s.value[1] === '0')).toBe(true);
    // The rules read these very series: the pool rule's measure has a value in Prometheus, and nothing is shunned.
    const rules = (await api(mon, 'rules')).data.groups.flatMap((g: { rules: { name: string; query: string; health: string }[] }) => g.rules);
    const pool = rules.find((x: { name: string }) => x.name === 'ProxysqlPoolHigh');
    expect(pool.health).toBe('ok');
    const measure = pool.query.replace(/ >= \d+$/, '');
    expect((await query(measure)).map((s) => s.metric.host)).toEqual([web.name]);
    expect(rules.find((x: { name: string }) => x.name === 'ProxysqlServerShunned').query).toBe('max by (host, endpoint) (stackscale_proxysql_backend_shunned) > 0');
  }, 120_000);

  test('pm.max_children 2 and a short burst of requests fire the PHP-FPM alert', async () => {
    // The test hosts start no cron daemon (a VPS has one running): start it, so /etc/cron.d/stackscale-fpm-metrics runs
    // the status script every minute; and run the script once now rather than wait for the next minute.
    await sh(web, 'service cron start > /dev/null; setsid /usr/local/lib/stackscale/fpm-metrics > /dev/null 2>&1 < /dev/null &');
    await until('the FPM metrics scraped', 60_000, async () => {
      const r = (await api(mon, `query?query=${encodeURIComponent('stackscale_phpfpm_up')}`)).data.result;
      return r.length === 1 && r[0].value[1] === '1' ? true : undefined;
    });
    // 16 slow requests at once to a pool of 2 workers: the rest wait, and php-fpm counts "max children reached".
    const burst = await Promise.allSettled(
      Array.from({ length: 16 }, () => fetch(`http://${web.address}/slow.php`, { signal: AbortSignal.timeout(30_000) }).then((res) => res.status)),
    );
    expect(burst.filter((b) => b.status === 'fulfilled').length).toBeGreaterThan(0);
    const alert = await until('FpmMaxChildrenReached firing', 120_000, async () => {
      const alerts = (await api(mon, 'alerts')).data.alerts as { labels: Record<string, string>; state: string }[];
      return alerts.find((a) => a.labels.alertname === 'FpmMaxChildrenReached' && a.state === 'firing');
    });
    expect(alert.labels).toMatchObject({ host: web.name, severity: 'critical' });

    // The same slow requests, as nginx logged them, are in the latency histogram (cron runs the script), every one
    // over the 200 ms target: ResponseTimeHigh's p95 crosses it and the rule goes pending (it fires after 5 min).
    // Every request that got its answer was logged by then (some may have run into the client's timeout on a busy host).
    const answered = burst.filter((b) => b.status === 'fulfilled').length;
    const count = await until('the latency histogram in Prometheus', 120_000, async () => {
      const r = (await api(mon, `query?query=${encodeURIComponent(`stackscale_nginx_request_duration_seconds_count{host="${web.name}"}`)}`)).data.result;
      return r.length === 1 && Number(r[0].value[1]) >= answered ? Number(r[0].value[1]) : undefined;
    }).catch(async (err) => {
      // What the web host has, to tell a script that did not run from a log nginx did not write.
      const seen = await ssh(web, 'wc -l /var/log/nginx/stackscale-timing.log; cat /var/lib/stackscale/nginx-latency.json; echo; cat /var/lib/prometheus/node-exporter/stackscale_nginx_latency.prom; pgrep -a cron');
      throw new Error(`${String(err)}; ${answered} requests answered; on ${web.name}: ${seen.stdout}${seen.stderr}`);
    });
    expect(count).toBeGreaterThanOrEqual(answered);
    const buckets = (await api(mon, `query?query=${encodeURIComponent(`stackscale_nginx_request_duration_seconds_bucket{host="${web.name}"}`)}`)).data.result as { metric: { le: string } }[];
    expect(buckets.map((b) => b.metric.le).sort()).toEqual(['+Inf', '0.05', '0.1', '0.2', '0.4', '0.8', '2'].sort());
    const slow = await until('ResponseTimeHigh pending', 90_000, async () => {
      const alerts = (await api(mon, 'alerts')).data.alerts as { labels: Record<string, string>; state: string }[];
      return alerts.find((a) => a.labels.alertname === 'ResponseTimeHigh');
    });
    expect(slow.labels.host).toBe(web.name);
  }, 360_000);
});
