// The alert rules, checked by Prometheus' own tools: `promtool check rules` on the rendered file, and
// `promtool test rules` feeding synthetic series for every rule, once at its derived threshold (it must fire) and once
// just on the quiet side of it (it must not). A rule without a feeder here fails the test, so none goes untested.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseSite } from '../../src/config/site.js';
import { loadProfile } from '../../src/config/profile.js';
import { sizeSite } from '../../src/sizing/model.js';
import { deriveAlertRules, describeRule, latencyBuckets, NGINX_LATENCY_METRIC, PROXYSQL_METRICS, type AlertRule } from '../../src/monitor/rules.js';
import { rulesFileText } from '../../src/render/prometheus-rules.js';

const SITE = `
profile: 1000
hosts:
  web1: {address: 10.0.0.1, roles: [web], size: {memory: 16G, cores: 8}}
  web2: {address: 10.0.0.2, roles: [web], size: {memory: 8G, cores: 4}}
  cache1: {address: 10.0.0.3, roles: [cache, proxysql], size: {memory: 8G, cores: 4}}
  db1: {address: 10.0.0.4, roles: [db-primary], size: {memory: 16G, cores: 8}}
  db2: {address: 10.0.0.5, roles: [db-replica], size: {memory: 16G, cores: 8}}
app: {database: app, db_user: app, max_connections_per_hour: 500}
`;

function rulesFor(profileName: string, siteText = SITE): { rules: AlertRule[]; profile: string } {
  const site = parseSite(siteText, 'stackscale.yaml');
  const profile = loadProfile(profileName, { baseDir: process.cwd() });
  const sizing = sizeSite(site, profile);
  return { rules: deriveAlertRules(sizing, site), profile: profile.name };
}

/** The response target of the profiles tested here (all three aim at 200 ms). */
const TARGET_S = 0.2;

interface Series {
  series: string;
  values: string;
}
/** Feeds one rule: the input series that make its measure equal `v`, and how long to let them run. */
interface Feeder {
  feed(v: number, host: string): Series[];
  /** Labels the alert carries besides alertname and severity. */
  labels(host: string): Record<string, string>;
  eval: string;
  /** Distance from the threshold on the firing side (and on the quiet side when not exact). */
  eps: number;
  /** The measure is exactly `v` (a gauge), so the quiet case can sit exactly on the threshold. */
  exact: boolean;
}

const target = (host: string, job: string): string => `host="${host}",job="${job}",instance="${host}:9100"`;
const targetLabels = (host: string, job: string): Record<string, string> => ({ host, job, instance: `${host}:9100` });
const gauge = (metric: string, labels: string, v: number, n = 40): Series => ({ series: `${metric}{${labels}}`, values: `${v}x${n}` });
/** A counter that goes up by one during the window when v > 0, and stays flat otherwise. */
const bump = (metric: string, labels: string, v: number): Series => ({ series: `${metric}{${labels}}`, values: v > 0 ? '0 0 0 0 1 1 1 1' : '0x7' });
/** A counter rising by `perMinute` each minute. */
const rising = (metric: string, labels: string, perMinute: number, n = 60): Series => ({ series: `${metric}{${labels}}`, values: `0+${perMinute}x${n}` });

const gaugeFeeder = (metric: string, job: string, evalAt: string, extra = ''): Feeder => ({
  feed: (v, host) => [gauge(metric, target(host, job) + extra, v)],
  labels: (host) => targetLabels(host, job),
  eval: evalAt,
  eps: 1,
  exact: true,
});
const bumpFeeder = (metric: string, job: string, extra = '', byHost = false): Feeder => ({
  feed: (v, host) => [bump(metric, target(host, job) + extra, v)],
  labels: (host) => (byHost ? { host } : targetLabels(host, job)),
  eval: '6m',
  eps: 1,
  exact: true,
});

const FEEDERS: Record<string, Feeder> = {
  FpmMaxChildrenReached: bumpFeeder('stackscale_phpfpm_max_children_reached_total', 'node'),
  FpmListenQueue: gaugeFeeder('stackscale_phpfpm_listen_queue', 'node', '3m'),
  FpmWorkersBusy: gaugeFeeder('stackscale_phpfpm_active_processes', 'node', '10m'),
  ResponseTimeHigh: {
    // 1000 requests a minute, the fast ones in the bucket just under the target (0.1-0.2 s), the slow ones just over it
    // (0.2-0.4 s). 10% slow: the p95 lands at 0.3 s and fires; 4% slow: the p95 is 0.199 s, just under the target.
    feed: (v, host) => {
      const slow = v > TARGET_S ? 0.1 : 0.04;
      return [
        ...latencyBuckets(TARGET_S * 1000).map((b) =>
          rising(`${NGINX_LATENCY_METRIC}_bucket`, `${target(host, 'node')},le="${b}"`, b < TARGET_S ? 0 : b === TARGET_S ? 1000 * (1 - slow) : 1000)),
        rising(`${NGINX_LATENCY_METRIC}_bucket`, `${target(host, 'node')},le="+Inf"`, 1000),
      ];
    },
    labels: (host) => ({ host }),
    eval: '15m',
    eps: 0.01,
    exact: true,
  },
  FpmRequestTimeHigh: { ...gaugeFeeder('stackscale_phpfpm_request_duration_p95_seconds', 'node', '10m'), eps: 0.01 },
  MysqlConnectionsHigh: gaugeFeeder('mysql_global_status_threads_connected', 'mysqld', '5m'),
  MysqlConnectionErrors: bumpFeeder('mysql_global_status_connection_errors_total', 'mysqld', ',error="max_connection"', true),
  MysqlAbortedConnects: bumpFeeder('mysql_global_status_aborted_connects', 'mysqld'),
  MysqlConnectionsPerHourHigh: {
    feed: (v, host) => [rising('mysql_global_status_connections', target(host, 'mysqld'), v / 60)],
    labels: (host) => targetLabels(host, 'mysqld'),
    eval: '30m',
    eps: 10,
    exact: false,
  },
  MysqlReplicaLag: gaugeFeeder('mysql_slave_status_seconds_behind_master', 'mysqld', '5m'),
  MysqlReplicaNotRunning: {
    feed: (v, host) => [gauge('mysql_slave_status_slave_io_running', target(host, 'mysqld'), v), gauge('mysql_slave_status_slave_sql_running', target(host, 'mysqld'), 1)],
    labels: (host) => targetLabels(host, 'mysqld'),
    eval: '5m',
    eps: 1,
    exact: true,
  },
  RedisHitRatioLow: {
    feed: (v, host) => [rising('redis_keyspace_hits_total', target(host, 'redis'), 1000 * v), rising('redis_keyspace_misses_total', target(host, 'redis'), 1000 * (1 - v))],
    labels: (host) => targetLabels(host, 'redis'),
    eval: '40m',
    eps: 0.02,
    exact: false,
  },
  RedisMemoryHigh: gaugeFeeder('redis_memory_used_bytes', 'redis', '10m'),
  RedisEvictions: bumpFeeder('redis_evicted_keys_total', 'redis'),
  RedisRejectedConnections: bumpFeeder('redis_rejected_connections_total', 'redis'),
  ProxysqlPoolHigh: {
    // Two backends of the pool, the measure split between them: the rule sums over the host's backends.
    feed: (v, host) => [
      gauge(PROXYSQL_METRICS.connections, `${target(host, 'node')},state="used",hostgroup="10",endpoint="db1:3306"`, Math.ceil(v / 2)),
      gauge(PROXYSQL_METRICS.connections, `${target(host, 'node')},state="used",hostgroup="20",endpoint="db2:3306"`, Math.floor(v / 2)),
      gauge(PROXYSQL_METRICS.connections, `${target(host, 'node')},state="free",hostgroup="20",endpoint="db2:3306"`, 1000),
    ],
    labels: (host) => ({ host }),
    eval: '10m',
    eps: 1,
    exact: true,
  },
  ProxysqlDown: gaugeFeeder(PROXYSQL_METRICS.up, 'node', '5m'),
  ProxysqlServerShunned: {
    feed: (v, host) => [gauge(PROXYSQL_METRICS.shunned, `${target(host, 'node')},hostgroup="20",endpoint="db2:3306"`, v > 0 ? 1 : 0)],
    labels: (host) => ({ host, endpoint: 'db2:3306' }),
    eval: '5m',
    eps: 1,
    exact: true,
  },
  TargetDown: gaugeFeeder('up', 'node', '5m'),
  HostMemoryLow: {
    feed: (v, host) => [gauge('node_memory_MemAvailable_bytes', target(host, 'node'), Math.round(v * 1e9)), gauge('node_memory_MemTotal_bytes', target(host, 'node'), 1e9)],
    labels: (host) => targetLabels(host, 'node'),
    eval: '10m',
    eps: 0.01,
    exact: true,
  },
  HostCpuBusy: {
    feed: (v, host) => [rising('node_cpu_seconds_total', `${target(host, 'node')},cpu="0",mode="idle"`, 60 * (1 - v))],
    labels: (host) => ({ host }),
    eval: '30m',
    eps: 0.02,
    exact: false,
  },
};

/** The measure's value that must fire and the one that must not, from the rule's comparison and threshold. */
function values(r: AlertRule, f: Feeder): { fire: number; quiet: number } {
  const t = r.threshold.value;
  if (r.op === '>=') return { fire: t, quiet: t - 1 };
  if (r.op === '>') return { fire: t + f.eps, quiet: f.exact ? t : t - f.eps };
  return { fire: t - f.eps, quiet: f.exact ? t : t + f.eps };
}

function expand(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '');
}

/** One promtool test group per rule and side: its own series, so no rule sees another's input. */
function promtoolTests(rules: AlertRule[]): object[] {
  const tests: object[] = [];
  for (const r of rules) {
    const f = FEEDERS[r.alert];
    const host = r.host ?? 'h1';
    const v = values(r, f);
    const labels = { ...f.labels(host), severity: r.severity };
    tests.push({
      name: `${r.alert} on ${host} fires at ${v.fire}`,
      interval: '1m',
      input_series: f.feed(v.fire, host),
      alert_rule_test: [
        {
          eval_time: f.eval,
          alertname: r.alert,
          exp_alerts: [{ exp_labels: labels, exp_annotations: { summary: expand(r.summary, labels), threshold: r.op === ">=" ? `${r.shown} or more` : r.shown } }],
        },
      ],
    });
    tests.push({
      name: `${r.alert} on ${host} quiet at ${v.quiet}`,
      interval: '1m',
      input_series: f.feed(v.quiet, host),
      alert_rule_test: [{ eval_time: f.eval, alertname: r.alert, exp_alerts: [] }],
    });
  }
  return tests;
}

const dir = mkdtempSync(join(tmpdir(), 'stackscale-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function promtool(args: string[]): { code: number; out: string } {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`promtool could not run (install the prometheus package): ${r.error.message}`);
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe.each(['300', '700', '1000'])('alert rules of profile %s', (name) => {
  const { rules, profile } = rulesFor(name);
  const file = `rules-${name}.yml`;

  it('renders a rules file promtool accepts, with every derivation in its comments', () => {
    const text = rulesFileText(profile, rules);
    writeFileSync(join(dir, file), text);
    const r = promtool(['check', 'rules', file]);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.code).toBe(0);
    for (const rule of rules) expect(text).toContain(`# ${describeRule(rule)}`);
  });

  it('has a synthetic-series feeder for every rule', () => {
    expect(rules.map((r) => r.alert).filter((a) => !FEEDERS[a])).toEqual([]);
  });

  it('fires each rule at its derived threshold and not on the quiet side of it (promtool test rules)', () => {
    writeFileSync(join(dir, file), rulesFileText(profile, rules));
    const testFile = `test-${name}.yml`;
    writeFileSync(join(dir, testFile), stringify({ rule_files: [file], evaluation_interval: '1m', tests: promtoolTests(rules) }));
    const r = promtool(['test', 'rules', testFile]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code, r.out).toBe(0);
  });
});

describe('thresholds follow the profile', () => {
  it('sizes FPM, MySQL, Redis and ProxySQL thresholds from the plan, per host', () => {
    const { rules } = rulesFor('1000');
    const find = (alert: string, host?: string) => rules.find((r) => r.alert === alert && r.host === host)!;
    // web1 (16G) and web2 (8G) share 200 workers: each rule uses that host's own pm.max_children.
    const busy = rules.filter((r) => r.alert === 'FpmWorkersBusy');
    expect(busy.map((r) => r.host)).toEqual(['web1', 'web2']);
    for (const r of busy) expect(r.threshold.why).toMatch(new RegExp(`of pm.max_children (\\d+) on ${r.host}`));
    expect(find('RedisHitRatioLow').threshold.value).toBe(0.65); // 0.75 target - 0.10 margin
    expect(find('MysqlReplicaLag').threshold.value).toBe(10); // get_orders' 10 s TTL
    expect(find('ResponseTimeHigh').threshold.value).toBe(0.2);
    expect(find('MysqlConnectionsPerHourHigh').threshold.value).toBe(500);
    expect(find('MysqlConnectionsHigh', 'db1').threshold.value).toBeGreaterThan(0);
  });

  it('a pinned max_children of 2 warns at 2 busy workers (more than 80% of 2 = 1.6)', () => {
    const pinned = join(dir, 'tiny.yaml');
    const base = execFileSync('cat', [join(process.cwd(), 'profiles/300.yaml')], { encoding: 'utf8' });
    writeFileSync(pinned, base.replace(/^pin: \{\}$/m, 'pin:\n  fpm.max_children: 2\n  fpm.start_servers: 1\n  fpm.min_spare_servers: 1\n  fpm.max_spare_servers: 1'));
    const { rules } = rulesFor(pinned);
    expect(rules.filter((r) => r.alert === 'FpmWorkersBusy').map((r) => r.threshold.value)).toEqual([2, 2]);
  });

  it('has no replica or per-hour rule where the site has no replica or no hourly limit', () => {
    const { rules } = rulesFor('1000', SITE.replace(/\n  db2:.*\n/, '\n').replace(', max_connections_per_hour: 500', ''));
    const names = rules.map((r) => r.alert);
    expect(names).not.toContain('MysqlReplicaLag');
    expect(names).not.toContain('MysqlReplicaNotRunning');
    expect(names).not.toContain('MysqlConnectionsPerHourHigh');
    expect(names).toContain('MysqlConnectionsHigh');
  });
});

describe('a site that keeps its own web server (web_server: none)', () => {
  it('has no nginx histogram to read: the response-time rule falls back to PHP-FPM\'s figures, and promtool tests it', () => {
    const { rules, profile } = rulesFor('300', `web_server: none\n${SITE}`);
    const names = rules.map((r) => r.alert);
    expect(names).toContain('FpmRequestTimeHigh');
    expect(names).not.toContain('ResponseTimeHigh');
    writeFileSync(join(dir, 'rules-none.yml'), rulesFileText(profile, rules));
    writeFileSync(join(dir, 'test-none.yml'), stringify({ rule_files: ['rules-none.yml'], evaluation_interval: '1m', tests: promtoolTests(rules) }));
    const r = promtool(['test', 'rules', 'test-none.yml']);
    expect(r.code, r.out).toBe(0);
  });
});
