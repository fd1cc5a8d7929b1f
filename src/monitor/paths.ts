// Where the monitoring files live on a host. No imports: plan/paths.ts (read by facts) and render/monitor.ts both use
// these, and render's imports must not reach back into plan through apply.
export const PROMETHEUS_RULES_PATH = '/etc/prometheus/rules/stackscale.yml';
export const PROMETHEUS_RULES_DIR = '/etc/prometheus/rules';
export const PROMETHEUS_YML = '/etc/prometheus/prometheus.yml';
export const ALERTMANAGER_YML = '/etc/prometheus/alertmanager.yml';
export const MYSQLD_EXPORTER_CNF = '/etc/prometheus/mysqld-exporter.cnf';
export const REDIS_EXPORTER_PASSWORD = '/etc/prometheus/redis-exporter.password';
/** Node exporter's textfile collector directory as Debian's package sets it up. */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
/** The init scripts' pidfile directory (hosts without systemd). */
export const PIDFILE_DIR = '/run/prometheus';
const LIB = '/usr/local/lib/stackscale';
export const FPM_METRICS_SCRIPT = `${LIB}/fpm-metrics`;
export const FPM_METRICS_PHP = `${LIB}/fpm-metrics.php`;
export const FCGI_CLIENT = `${LIB}/fcgi-get.php`;
export const FPM_METRICS_CRON = '/etc/cron.d/stackscale-fpm-metrics';
/** The nginx access log of request times the latency script turns into a histogram, and the script's state. */
export const NGINX_TIMING_LOG = '/var/log/nginx/stackscale-timing.log';
export const NGINX_LATENCY_PHP = `${LIB}/nginx-latency.php`;
export const NGINX_LATENCY_STATE = '/var/lib/stackscale/nginx-latency.json';
/** nginx's stub_status, served on loopback only, read by the nginx exporter. */
export const NGINX_STATUS_PATH = '/stackscale-nginx-status';
/** ProxySQL's figures through the textfile collector: the script, its cron entry, and its admin login (0600). */
export const PROXYSQL_METRICS_SCRIPT = `${LIB}/proxysql-metrics`;
export const PROXYSQL_METRICS_CRON = '/etc/cron.d/stackscale-proxysql-metrics';
export const PROXYSQL_METRICS_CNF = '/etc/prometheus/proxysql-metrics.cnf';

/** `/etc/default/<package>` of a monitoring daemon. */
export function defaultsFile(service: string): string {
  return `/etc/default/prometheus${service === 'prometheus' ? '' : `-${service}`}`;
}

/**
 * Every path the monitoring files and directories may have on a host of these roles, for facts to read (whether or
 * not the site has a monitor host: a host that had one keeps its files, and plan shows them).
 */
export function monitoringPaths(roles: readonly string[]): string[] {
  const paths = [defaultsFile('node-exporter'), PIDFILE_DIR];
  if (roles.includes('web')) paths.push(FCGI_CLIENT, FPM_METRICS_PHP, FPM_METRICS_SCRIPT, FPM_METRICS_CRON, NGINX_LATENCY_PHP, defaultsFile('nginx-exporter'));
  if (roles.includes('proxysql')) paths.push(PROXYSQL_METRICS_SCRIPT, PROXYSQL_METRICS_CRON, PROXYSQL_METRICS_CNF);
  if (roles.includes('db-primary') || roles.includes('db-replica')) paths.push(defaultsFile('mysqld-exporter'), MYSQLD_EXPORTER_CNF);
  if (roles.includes('cache')) paths.push(defaultsFile('redis-exporter'), REDIS_EXPORTER_PASSWORD);
  if (roles.includes('monitor')) {
    paths.push(PROMETHEUS_RULES_PATH, PROMETHEUS_RULES_DIR, PROMETHEUS_YML, ALERTMANAGER_YML, defaultsFile('prometheus'), defaultsFile('alertmanager'));
  }
  return paths;
}
