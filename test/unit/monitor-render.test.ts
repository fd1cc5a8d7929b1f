// The monitor role's files: Prometheus and Alertmanager configs that their own checkers accept, exporters that listen
// only where Prometheus reaches them, and secrets only in files their daemon alone reads, never in flags.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSite } from '../../src/config/site.js';
import { loadProfile } from '../../src/config/profile.js';
import { resolveSecrets } from '../../src/config/secrets.js';
import { sizeSite } from '../../src/sizing/model.js';
import { renderSite } from '../../src/render/render.js';
import type { RenderedFile } from '../../src/render/types.js';
import type { SecretValues } from '../../src/config/types.js';
import { accountsWanted } from '../../src/replication/statements.js';
import { replicationSpec } from '../../src/replication/spec.js';

const SITE = `
profile: 1000
hosts:
  web1: {address: 10.0.0.1, roles: [web, cache, proxysql], size: {memory: 16G, cores: 8}}
  db1: {address: 10.0.0.2, roles: [db-primary], size: {memory: 16G, cores: 8}}
  mon1: {address: 10.0.0.3, roles: [monitor], size: {memory: 4G, cores: 2}}
app: {database: app, db_user: app}
secrets: {redis_password: env:R, app_db_password: env:A, mysqld_exporter_password: env:E, proxysql_admin_password: env:PA, proxysql_monitor_password: env:PM}
monitor:
  alert_webhook: env:HOOK
  alert_email: {to: ops@example.com, from: alerts@example.com, smarthost: 'smtp.example.com:587', auth_username: alerts, auth_password: env:SMTP}
`;
const ENV = { R: 'redis-pw-R1', A: 'app-pw-A1', E: 'exporter-pw-E1', PA: 'px-admin pw\\1', PM: 'px-mon-pw-1', HOOK: 'https://hooks.example.com/T0KEN-H00K', SMTP: 'smtp-pw-S1' };

function render(siteText = SITE, env: Record<string, string> = ENV): { files: RenderedFile[]; secrets: SecretValues } {
  const site = parseSite(siteText, 'stackscale.yaml');
  const sizing = sizeSite(site, loadProfile('1000', { baseDir: process.cwd() }));
  const secrets = resolveSecrets(site, env);
  return { files: renderSite(sizing, site, secrets), secrets };
}
const find = (files: RenderedFile[], host: string, path: string): RenderedFile => {
  const f = files.find((x) => x.host === host && x.path === path);
  if (!f) throw new Error(`no ${path} on ${host}: ${files.filter((x) => x.host === host).map((x) => x.path).join(', ')}`);
  return f;
};

const dir = mkdtempSync(join(tmpdir(), 'stackscale-monitor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function tool(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`${cmd} could not run (install the prometheus packages): ${r.error.message}`);
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('monitor role', () => {
  const { files } = render();

  it('renders a prometheus.yml that promtool check config accepts, with the rules it loads', () => {
    const rules = find(files, 'mon1', '/etc/prometheus/rules/stackscale.yml');
    writeFileSync(join(dir, 'stackscale.yml'), rules.content);
    const prom = find(files, 'mon1', '/etc/prometheus/prometheus.yml');
    // The host's rule_files glob, pointed at the rendered rules file here.
    writeFileSync(join(dir, 'prometheus.yml'), prom.content.replace('/etc/prometheus/rules/*.yml', join(dir, 'stackscale.yml')));
    const r = tool('promtool', ['check', 'config', 'prometheus.yml']);
    expect(r.out).toMatch(/SUCCESS: .*prometheus.yml is valid prometheus config file syntax/);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code, r.out).toBe(0);
  });

  it('scrapes every exporter of every host at its private address, labelled with the host', () => {
    const prom = find(files, 'mon1', '/etc/prometheus/prometheus.yml').content;
    for (const t of ['"10.0.0.1:9100"', '"10.0.0.1:9121"', '"10.0.0.1:9113"', '"10.0.0.2:9100"', '"10.0.0.2:9104"', '"127.0.0.1:9100"', '"127.0.0.1:9090"']) expect(prom).toContain(t);
    expect(prom).toContain('host: "db1"');
    expect(prom).not.toContain(':6070'); // ProxySQL's restapi would listen on every address
  });

  it('renders an alertmanager.yml that amtool check-config accepts, grouped per host, secrets only in that file (0640)', () => {
    const am = find(files, 'mon1', '/etc/prometheus/alertmanager.yml');
    writeFileSync(join(dir, 'alertmanager.yml'), am.content);
    const r = tool('amtool', ['check-config', 'alertmanager.yml']);
    expect(r.out).toContain('SUCCESS');
    expect(r.code, r.out).toBe(0);
    expect(am.content).toContain('group_by: [host, alertname]');
    expect(am.content).toContain(ENV.HOOK);
    expect(am.mode).toBe(0o640);
    expect(am.group).toBe('prometheus');
    expect(am.secrets.sort()).toEqual(['alert_smtp_password', 'alert_webhook_url']);
  });

  it('exporters listen on the private address, or loopback beside Prometheus; no flag holds a secret', () => {
    const args = (host: string, pkg: string) => find(files, host, `/etc/default/${pkg}`).content.match(/^ARGS="(.*)"$/m)![1];
    expect(args('web1', 'prometheus-node-exporter')).toContain('--web.listen-address=10.0.0.1:9100');
    expect(args('web1', 'prometheus-redis-exporter')).toContain('-web.listen-address=10.0.0.1:9121');
    expect(args('web1', 'prometheus-nginx-exporter')).toBe('-nginx.scrape-uri=http://127.0.0.1/stackscale-nginx-status -web.listen-address=10.0.0.1:9113 -nginx.retries=12 -nginx.retry-interval=5s');
    expect(args('db1', 'prometheus-mysqld-exporter')).toContain('--web.listen-address=10.0.0.2:9104');
    expect(args('mon1', 'prometheus-node-exporter')).toContain('--web.listen-address=127.0.0.1:9100');
    expect(args('mon1', 'prometheus')).toBe('--web.listen-address=127.0.0.1:9090');
    for (const f of files.filter((x) => x.path.startsWith('/etc/default/'))) {
      for (const v of Object.values(ENV)) expect(f.content, f.path).not.toContain(v);
      expect(f.secrets).toEqual([]);
    }
  });

  it("gives the mysqld exporter its own login in a 0600 my.cnf, and the redis exporter its password in a 0600 file", () => {
    const cnf = find(files, 'db1', '/etc/prometheus/mysqld-exporter.cnf');
    expect(cnf.mode).toBe(0o600);
    expect(cnf.owner).toBe('prometheus');
    expect(cnf.content).toMatch(/^\[client\]\nuser=stackscale_exporter\npassword=`exporter-pw-E1`\nsocket=\/run\/mysqld\/mysqld.sock$/m);
    const pw = find(files, 'web1', '/etc/prometheus/redis-exporter.password');
    expect(pw.mode).toBe(0o600);
    expect(JSON.parse(pw.content)).toEqual({ 'redis://127.0.0.1:6379': ENV.R });
  });

  it('creates the exporter account with status privileges only, on the local socket', () => {
    const site = parseSite(SITE, 's.yaml');
    const spec = replicationSpec(sizeSite(site, loadProfile('1000', { baseDir: process.cwd() })), site)!;
    const exporter = accountsWanted(spec, { replication: 'x', app: 'y', exporter: 'z' }).filter((a) => a.purpose === 'exporter');
    expect(exporter.map((a) => `${a.user}@${a.host}`)).toEqual(['stackscale_exporter@localhost']);
    expect(exporter[0].statements[1].masked).toMatch(/^GRANT PROCESS, REPLICATION CLIENT(, SLAVE MONITOR)? ON \*\.\* TO /);
  });

  it('exports PHP-FPM status through the textfile collector, written by a temp file and a rename', () => {
    const sh = find(files, 'web1', '/usr/local/lib/stackscale/fpm-metrics');
    expect(sh.mode).toBe(0o755);
    expect(sh.content).toContain('> "$out.$$" && mv -f "$out.$$" "$out"');
    expect(find(files, 'web1', '/etc/cron.d/stackscale-fpm-metrics').content).toContain('* * * * * root /usr/local/lib/stackscale/fpm-metrics');
  });

  it('serves stub_status on loopback only, and logs request times for the latency histogram', () => {
    const app = find(files, 'web1', '/etc/nginx/conf.d/stackscale-app.conf').content;
    expect(app).toMatch(/location = \/stackscale-nginx-status \{\n\t\tstub_status;\n\t\tallow 127\.0\.0\.1;\n\t\tallow ::1;\n\t\tdeny all;/);
    expect(app).toContain("log_format stackscale_timing '$request_time $status';");
    expect(app).toContain('access_log /var/log/nginx/stackscale-timing.log stackscale_timing');
    // The server's own access_log replaces the http one: the combined log is kept beside the timing log.
    expect(app).toContain('access_log /var/log/nginx/access.log combined');
    expect(find(files, 'web1', '/usr/local/lib/stackscale/fpm-metrics').content).toContain('php /usr/local/lib/stackscale/nginx-latency.php');
  });

  it('the latency script turns only the newly appended whole lines into a cumulative histogram with the target as a bound', () => {
    const script = find(files, 'web1', '/usr/local/lib/stackscale/nginx-latency.php').content
      .replaceAll('/var/log/nginx/stackscale-timing.log', join(dir, 'timing.log'))
      .replaceAll('/var/lib/stackscale/nginx-latency.json', join(dir, 'state', 'latency.json'))
      .replaceAll('/var/lib/prometheus/node-exporter/stackscale_nginx_latency.prom', join(dir, 'latency.prom'));
    // Every path now points into the test's directory: a run must never touch this machine's /var.
    expect(script).not.toContain('/var/');
    writeFileSync(join(dir, 'latency.php'), script);
    const run = () => {
      const r = tool('php', ['latency.php']);
      expect(r.code, r.out).toBe(0);
      return readFileSync(join(dir, 'latency.prom'), 'utf8');
    };
    writeFileSync(join(dir, 'timing.log'), '0.010 200\n0.150 200\n0.250 200\n9.000 502\n0.1');
    let prom = run();
    expect(prom).toContain('stackscale_nginx_request_duration_seconds_bucket{le="0.05"} 1\n');
    expect(prom).toContain('stackscale_nginx_request_duration_seconds_bucket{le="0.2"} 2\n'); // the 1000 profile's 200 ms target
    expect(prom).toContain('stackscale_nginx_request_duration_seconds_bucket{le="0.4"} 3\n');
    expect(prom).toContain('stackscale_nginx_request_duration_seconds_bucket{le="+Inf"} 4\n');
    expect(prom).toContain('stackscale_nginx_request_duration_seconds_count 4\n'); // the unfinished line waits
    appendFileSync(join(dir, 'timing.log'), '90 200\n');
    prom = run();
    expect(prom).toContain('stackscale_nginx_request_duration_seconds_bucket{le="0.2"} 3\n'); // 0.190 counted once
    expect(prom).toContain('stackscale_nginx_request_duration_seconds_count 5\n');
    expect(prom).toMatch(/_sum 9\.600000\n/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: prom, encoding: 'utf8' });
    expect(check.stdout + check.stderr).not.toMatch(/error/i);
  });

  it('exports ProxySQL through the textfile collector with its admin login in a 0600 file, not on a command line', () => {
    const cnf = find(files, 'web1', '/etc/prometheus/proxysql-metrics.cnf');
    expect(cnf.mode).toBe(0o600);
    expect(cnf.owner).toBe('root');
    expect(cnf.secrets).toEqual(['proxysql_admin_password']);
    expect(cnf.content).toContain('[client]\nuser="admin"\npassword="px-admin pw\\\\1"\nhost="127.0.0.1"\nport=6032\n');
    const sh = find(files, 'web1', '/usr/local/lib/stackscale/proxysql-metrics');
    expect(sh.mode).toBe(0o755);
    expect(sh.content).toContain('mysql --defaults-extra-file=/etc/prometheus/proxysql-metrics.cnf');
    expect(sh.content).toContain('> "$out.$$" && mv -f "$out.$$" "$out"');
    expect(sh.content).not.toContain('px-admin');
    expect(find(files, 'web1', '/etc/cron.d/stackscale-proxysql-metrics').content).toContain('* * * * * root /usr/local/lib/stackscale/proxysql-metrics');
    const shellCheck = spawnSync('sh', ['-n'], { input: sh.content, encoding: 'utf8' });
    expect(shellCheck.status, shellCheck.stderr).toBe(0);
  });

  it('renders nothing for monitoring on a site without a monitor host, and asks for no monitoring secret', () => {
    const plain = SITE.replace(/\n  mon1:.*\n/, '\n').replace(/\nmonitor:[\s\S]*$/, '\n').replace(', mysqld_exporter_password: env:E', '');
    const { files: none } = render(plain, { R: 'r', A: 'a', PA: 'p', PM: 'm' });
    expect(none.filter((f) => f.path.includes('prometheus') || f.path.includes('stackscale-fpm') || f.path.includes('metrics'))).toEqual([]);
    // nginx neither serves stub_status nor logs request times for a histogram nobody reads.
    const app = find(none, 'web1', '/etc/nginx/conf.d/stackscale-app.conf').content;
    expect(app).not.toContain('stub_status');
    expect(app).not.toContain('stackscale_timing');
  });

  it('refuses a literal webhook URL in the site file, without repeating it', () => {
    expect(() => parseSite(SITE.replace('alert_webhook: env:HOOK', 'alert_webhook: https://hooks.example.com/SECRETX'), 's.yaml')).toThrow(/monitor\.alert_webhook/);
    try {
      parseSite(SITE.replace('alert_webhook: env:HOOK', 'alert_webhook: https://hooks.example.com/SECRETX'), 's.yaml');
    } catch (err) {
      expect(String(err)).not.toContain('SECRETX');
    }
  });
});

describe('monitor role site checks', () => {
  it('refuses a second monitor host, naming it', () => {
    expect(() => parseSite(SITE.replace('roles: [db-primary]', 'roles: [db-primary, monitor]'), 's.yaml')).toThrow(/a second monitor host \(db1 already is one\)/);
  });

  it('refuses a host whose exporters would listen on a public address', () => {
    expect(() => parseSite(SITE.replace('address: 10.0.0.2', 'address: 203.0.113.7'), 's.yaml')).toThrow(/exporters on db1 must be reached by the monitor host mon1, and 203\.0\.113\.7 is not a private address/);
  });
});

describe('monitor role packages', () => {
  it('installs Prometheus and Alertmanager on the monitor host, and each host the exporters of its roles', async () => {
    const { roleNeeds } = await import('../../src/packages/roles.js');
    const site = parseSite(SITE, 's.yaml');
    const facts = { packageManager: 'apt', os: { id: 'debian', versionId: '12' } } as unknown as Parameters<typeof roleNeeds>[1];
    const names = (host: string) => roleNeeds(site.hosts.find((h) => h.name === host)!.roles, facts, site).map((n) => n.name).filter((n) => n.startsWith('prometheus') || n === 'cron');
    expect(names('mon1')).toEqual(['prometheus', 'prometheus-alertmanager', 'prometheus-node-exporter']);
    expect(names('db1')).toEqual(['prometheus-node-exporter', 'prometheus-mysqld-exporter']);
    expect(names('web1')).toEqual(['prometheus-node-exporter', 'prometheus-redis-exporter', 'cron', 'prometheus-nginx-exporter']);
    expect(roleNeeds(['proxysql'], facts, site).map((n) => n.name)).toContain('cron');
    const unmonitored = parseSite(SITE.replace(/\n  mon1:.*\n/, '\n').replace(/\nmonitor:[\s\S]*$/, '\n'), 's.yaml');
    expect(roleNeeds(['web', 'cache'], facts, unmonitored).map((n) => n.name).filter((n) => n.startsWith('prometheus'))).toEqual([]);
  });
});
