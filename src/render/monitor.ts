// The monitoring files of a site with a `monitor` host: Prometheus, its rules and Alertmanager on that host; on every
// host the exporters its roles call for, each listening only where Prometheus reaches it (config/monitor-targets.ts).
import type { Site } from '../config/types.js';
import { EXPORTER_USER } from '../config/monitor-targets.js';
import { FPM_METRICS, latencyBuckets, NGINX_LATENCY_METRIC, PROXYSQL_METRICS } from '../monitor/rules.js';
import { exporterAddress, exporterJobs, MONITOR_PORTS, monitorHost, scrapeTargets, type ScrapeJob } from '../config/monitor-targets.js';
import { clientOptionFile } from '../daemons/mysql-client.js';
import { PROXYSQL_ADMIN_USER } from './proxysql-state.js';
import type { HostSizing, SiteSizing } from '../sizing/types.js';
import { FCGI_CLIENT_PHP } from '../daemons/fastcgi.js';
import { renderPrometheusRules } from './prometheus-rules.js';
import {
  ALERTMANAGER_YML, defaultsFile, FCGI_CLIENT, FPM_METRICS_CRON, FPM_METRICS_PHP, FPM_METRICS_SCRIPT, MYSQLD_EXPORTER_CNF, NGINX_LATENCY_PHP,
  NGINX_LATENCY_STATE, NGINX_STATUS_PATH, NGINX_TIMING_LOG, PIDFILE_DIR, PROMETHEUS_RULES_DIR, PROMETHEUS_YML, PROXYSQL_METRICS_CNF,
  PROXYSQL_METRICS_CRON, PROXYSQL_METRICS_SCRIPT, REDIS_EXPORTER_PASSWORD, TEXTFILE_DIR,
} from '../monitor/paths.js';
import { renderTemplate } from './templates.js';
import { secretPlaceholder, type RenderedFile } from './types.js';
import type { Service } from '../daemons/services.js';
import type { SecretValues } from '../config/types.js';

const MYSQL_SOCKET = '/run/mysqld/mysqld.sock';

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
const q = (s: string): string => JSON.stringify(s);

function file(host: string, path: string, content: string, service: Service, mode = 0o644, owner = 'root', group = 'root', secrets: RenderedFile['secrets'] = []): RenderedFile {
  return { host, path, content, mode, owner, group, service, secrets };
}

/** `/etc/default/<package>`: the daemon's flags. */
function argsFile(host: string, service: Service, what: string, args: string[]): RenderedFile {
  const f = file(host, defaultsFile(service), renderTemplate('exporter-args', { what, args: args.join(' ') }), service);
  // Without systemd the packages' init scripts keep their pidfiles here, and nothing creates it on a fresh /run:
  // without it `restart` cannot find the running daemon to stop.
  f.dirs = [{ path: PIDFILE_DIR, mode: 0o755, owner: 'prometheus', group: 'prometheus', why: 'the init scripts\' pidfiles (hosts without systemd)' }];
  return f;
}

const METRICS_PATH: Record<ScrapeJob, string> = {
  node: '/metrics', mysqld: '/metrics', redis: '/metrics', nginx: '/metrics', prometheus: '/metrics', alertmanager: '/metrics',
};

function prometheusYml(site: Site, host: string): string {
  const targets = scrapeTargets(site);
  const jobs = [...new Set(targets.map((t) => t.job))].map((name) => ({
    name,
    path: METRICS_PATH[name],
    targets: targets.filter((t) => t.job === name).map((t) => ({ target: q(t.target), host: q(t.host) })),
  }));
  return renderTemplate('prometheus.yml', {
    host,
    scrapeInterval: '15s',
    evaluationInterval: '15s',
    rulesFile: '/etc/prometheus/rules/*.yml',
    alertmanager: q(`127.0.0.1:${MONITOR_PORTS.alertmanager}`),
    jobs,
  });
}

/** The receiver's YAML lines: a webhook, an e-mail, both, or none (alerts then show in Alertmanager only). */
function receiverLines(site: Site, secrets: SecretValues): { text: string; kind: string; keys: RenderedFile['secrets'] } {
  const m = site.monitor ?? {};
  const lines: string[] = [];
  const keys: RenderedFile['secrets'] = [];
  const kinds: string[] = [];
  if (m.webhook) {
    kinds.push('webhook');
    keys.push('alert_webhook_url');
    lines.push('    webhook_configs:', `      - url: ${q(secrets.alert_webhook_url ?? secretPlaceholder('alert_webhook_url'))}`, '        send_resolved: true');
  }
  if (m.email) {
    kinds.push(`e-mail to ${m.email.to}`);
    lines.push('    email_configs:', `      - to: ${q(m.email.to)}`, `        from: ${q(m.email.from)}`, `        smarthost: ${q(m.email.smarthost)}`);
    if (m.email.authUsername !== undefined) lines.push(`        auth_username: ${q(m.email.authUsername)}`);
    if (site.secrets.alert_smtp_password) {
      keys.push('alert_smtp_password');
      lines.push(`        auth_password: ${q(secrets.alert_smtp_password ?? secretPlaceholder('alert_smtp_password'))}`);
    }
    lines.push('        send_resolved: true');
  }
  return { text: lines.join('\n'), kind: kinds.length > 0 ? kinds.join(' and ') : 'none set: alerts are kept in Alertmanager only', keys };
}

/** Prometheus, its rules and Alertmanager on the monitor host. Both listen on loopback: operators use an SSH tunnel. */
function monitorFiles(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  const name = h.host.name;
  const rules = renderPrometheusRules(h, sizing, site);
  rules.dirs = [{ path: PROMETHEUS_RULES_DIR, mode: 0o755, owner: 'root', group: 'root', why: 'rule_files /etc/prometheus/rules/*.yml' }];
  const receiver = receiverLines(site, secrets);
  const am = renderTemplate('alertmanager.yml', { host: name, receiverKind: receiver.kind, receiver: receiver.text });
  return [
    rules,
    file(name, PROMETHEUS_YML, prometheusYml(site, name), 'prometheus'),
    argsFile(name, 'prometheus', 'Prometheus: API and UI on loopback only (reach it through an SSH tunnel)', [`--web.listen-address=127.0.0.1:${MONITOR_PORTS.prometheus}`]),
    // The receiver may hold a webhook token or an SMTP password: readable by Alertmanager's user only.
    file(name, ALERTMANAGER_YML, am, 'alertmanager', receiver.keys.length > 0 ? 0o640 : 0o644, 'root', 'prometheus', receiver.keys),
    argsFile(name, 'alertmanager', 'Alertmanager: loopback only, and no cluster port (a single instance)', [
      `--web.listen-address=127.0.0.1:${MONITOR_PORTS.alertmanager}`,
      '--cluster.listen-address=',
    ]),
  ];
}

/** At most this much of nginx's timing log is read per run of the latency script (the rest waits for the next). */
const LATENCY_MAX_BYTES = 32 * 1024 * 1024;

function fpmMetricsFiles(h: HostSizing, sizing: SiteSizing): RenderedFile[] {
  const name = h.host.name;
  const f = h.fpm!;
  const out = `${TEXTFILE_DIR}/stackscale_phpfpm.prom`;
  const latency = h.nginx?.kind === 'web';
  const files = [
    file(name, FCGI_CLIENT, FCGI_CLIENT_PHP, 'node-exporter'),
    file(name, FPM_METRICS_PHP, renderTemplate('fpm-metrics.php', FPM_METRICS), 'node-exporter'),
    file(name, FPM_METRICS_SCRIPT, renderTemplate('fpm-metrics.sh', {
      statusPath: f.statusPath, outFile: out, fcgiClient: FCGI_CLIENT, socket: f.listen, metricsScript: FPM_METRICS_PHP,
      latencyScript: latency ? NGINX_LATENCY_PHP : false,
    }), 'node-exporter', 0o755),
    file(name, FPM_METRICS_CRON, renderTemplate('textfile-metrics.cron', { what: latency ? 'PHP-FPM status and nginx request times' : 'PHP-FPM status', script: FPM_METRICS_SCRIPT }), 'node-exporter'),
  ];
  if (latency) {
    files.push(file(name, NGINX_LATENCY_PHP, renderTemplate('nginx-latency.php', {
      logFile: NGINX_TIMING_LOG, state: NGINX_LATENCY_STATE, outFile: `${TEXTFILE_DIR}/stackscale_nginx_latency.prom`,
      bounds: latencyBuckets(sizing.profile.workload.responseTargetMs).join(', '), maxBytes: String(LATENCY_MAX_BYTES), metric: NGINX_LATENCY_METRIC,
    }), 'node-exporter'));
  }
  return files;
}

/**
 * ProxySQL's figures through the textfile collector: a script reads its stats tables over the admin interface on
 * loopback, logging in with a 0600 option file (the admin password never reaches a command line).
 */
function proxysqlMetricsFiles(h: HostSizing, secrets: SecretValues): RenderedFile[] {
  const name = h.host.name;
  const p = h.proxysql!;
  const password = secrets.proxysql_admin_password ?? secretPlaceholder('proxysql_admin_password');
  const cnf = clientOptionFile({ user: PROXYSQL_ADMIN_USER, password, host: '127.0.0.1', port: p.adminPort });
  return [
    file(name, PROXYSQL_METRICS_CNF, `# Managed by stackscale: ProxySQL's admin login for ${PROXYSQL_METRICS_SCRIPT}. Readable by root only.\n${cnf}`,
      'node-exporter', 0o600, 'root', 'root', ['proxysql_admin_password']),
    file(name, PROXYSQL_METRICS_SCRIPT, renderTemplate('proxysql-metrics.sh', {
      ...PROXYSQL_METRICS, cnf: PROXYSQL_METRICS_CNF, outFile: `${TEXTFILE_DIR}/stackscale_proxysql.prom`,
    }), 'node-exporter', 0o755),
    file(name, PROXYSQL_METRICS_CRON, renderTemplate('textfile-metrics.cron', { what: 'ProxySQL stats', script: PROXYSQL_METRICS_SCRIPT }), 'node-exporter'),
  ];
}

/** The exporters of one host, when the site has a monitor host. */
function exporterFiles(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  const name = h.host.name;
  const addr = exporterAddress(site, h.host);
  const listen = (port: number): string => `--web.listen-address=${addr}:${port}`;
  const files: RenderedFile[] = [];
  for (const job of exporterJobs(h.host, site)) {
    if (job === 'node') {
      files.push(argsFile(name, 'node-exporter', `node exporter on ${addr}: host CPU, memory, and the textfile collector`, [
        listen(MONITOR_PORTS.node), `--collector.textfile.directory=${TEXTFILE_DIR}`,
      ]));
      if (h.fpm) files.push(...fpmMetricsFiles(h, sizing));
      if (h.proxysql) files.push(...proxysqlMetricsFiles(h, secrets));
    }
    if (job === 'mysqld') {
      files.push(argsFile(name, 'mysqld-exporter', `mysqld exporter on ${addr}; its login is in ${MYSQLD_EXPORTER_CNF}`, [
        `--config.my-cnf=${MYSQLD_EXPORTER_CNF}`, listen(MONITOR_PORTS.mysqld),
      ]));
      const password = secrets.mysqld_exporter_password ?? secretPlaceholder('mysqld_exporter_password');
      files.push(file(name, MYSQLD_EXPORTER_CNF, renderTemplate('mysqld-exporter.cnf', { user: EXPORTER_USER, password, socket: MYSQL_SOCKET }),
        'mysqld-exporter', 0o600, 'prometheus', 'prometheus', ['mysqld_exporter_password']));
    }
    if (job === 'redis') {
      const port = h.redis?.port ?? 6379;
      files.push(argsFile(name, 'redis-exporter', `redis exporter on ${addr}; the password is read from ${REDIS_EXPORTER_PASSWORD}, never from this line`, [
        `-web.listen-address=${addr}:${MONITOR_PORTS.redis}`, `-redis.addr=redis://127.0.0.1:${port}`, `-redis.password-file=${REDIS_EXPORTER_PASSWORD}`,
      ]));
      // redis_exporter's password file maps each Redis URI to its password (JSON).
      const password = secrets.redis_password ?? secretPlaceholder('redis_password');
      files.push(file(name, REDIS_EXPORTER_PASSWORD, `${JSON.stringify({ [`redis://127.0.0.1:${port}`]: password })}\n`, 'redis-exporter', 0o600, 'prometheus', 'prometheus', ['redis_password']));
    }
    if (job === 'nginx') {
      files.push(argsFile(name, 'nginx-exporter', `nginx exporter on ${addr}: reads nginx's stub_status on loopback`, [
        `-nginx.scrape-uri=http://127.0.0.1${NGINX_STATUS_PATH}`, `-web.listen-address=${addr}:${MONITOR_PORTS.nginx}`,
        // It reads the page once at start and exits if nginx does not answer yet (at boot): retry for a minute.
        '-nginx.retries=12', '-nginx.retry-interval=5s',
      ]));
    }
  }
  return files;
}

/** Every monitoring file of one host; none on a site without a monitor host. */
export function renderMonitoring(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  const monitor = monitorHost(site);
  if (!monitor) return [];
  const files = exporterFiles(h, sizing, site, secrets);
  if (monitor.name === h.host.name) files.unshift(...monitorFiles(h, sizing, site, secrets));
  return files;
}
