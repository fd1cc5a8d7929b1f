// One probe per service: read the live figures over the host's transport, read only, and turn them into a
// ServiceReport. Secrets (the Redis password, the ProxySQL admin password) travel on stdin only: redis-cli reads
// `AUTH` from it, the mysql client a 0600 defaults file. A probe never throws for what the host
// answers: a daemon that is down or refuses is a report with `answered: false`.
import { redisCli, sqlClient } from '../daemons/clients.js';
import { httpGet, parseHttp, redisEndpoint, redisScript } from '../daemons/health.js';
import { FCGI_CLIENT_PHP, fcgiGet, fpmEndpoints } from '../daemons/fastcgi.js';
import type { HostFacts } from '../facts/types.js';
import { parseFpmPool } from '../daemons/config-files.js';
import { proxysqlAdminFromCnf, transportAdminPort } from '../proxysql/admin.js';
import { transportSqlRunner } from '../replication/client.js';
import { dialectFromFacts } from '../replication/flavour.js';
import { parseReplicaStatus, parseVertical } from '../replication/status.js';
import type { Transport } from '../transport/types.js';
import { parseFpmStatusJson, parseNameValues, parsePoolRows, parseRedisInfoReply, StatusParseError, type RedisInfoReply } from './parse.js';
import type { Expectations, Figure, ServiceReport, StatusService } from './types.js';
import { fpmFigures, fpmFiguresWithoutStatus, hostFigures, mysqlFigures, proxysqlFigures, redisFigures, replicaFigures } from './verdicts.js';
import { parseHostSample } from './parse.js';

export interface ProbeInput {
  t: Transport;
  facts: HostFacts;
  exp: Expectations;
  /** From the site's secrets; when absent the host's own config file is used (read as root, kept off argv). */
  redisPassword?: string;
  proxysqlAdminPassword?: string;
  timeoutMs?: number;
}

const TIMEOUT_MS = 20_000;

/** The global status variables read, and the server variables read with them in the same client call. */
export const GLOBAL_STATUS_NAMES = [
  'Threads_connected', 'Threads_running', 'Max_used_connections', 'Connections', 'Uptime', 'Aborted_connects',
  // Connections the server refused or lost while accepting (MySQL 5.6+, MariaDB 10.0.4+).
  'Connection_errors_max_connections', 'Connection_errors_internal', 'Connection_errors_accept', 'Connection_errors_tcpwrap',
  'Connection_errors_select', 'Connection_errors_peer_address',
];
export const GLOBAL_VARIABLE_NAMES = ['max_connections'];

export function globalStatusScript(): string {
  const list = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
  return `SHOW GLOBAL STATUS WHERE Variable_name IN (${list(GLOBAL_STATUS_NAMES)});\nSHOW GLOBAL VARIABLES WHERE Variable_name IN (${list(GLOBAL_VARIABLE_NAMES)});\n`;
}

export const POOL_QUERY =
  'SELECT hostgroup, srv_host, srv_port, status, ConnUsed, ConnFree, ConnOK, ConnERR, MaxConnUsed, Queries FROM stats_mysql_connection_pool ORDER BY hostgroup, srv_host, srv_port';
/** ProxySQL's frontend counters (stats_mysql_global): clients connected now, and refused or aborted since start. */
export const PROXYSQL_GLOBAL_QUERY =
  "SELECT Variable_Name, Variable_Value FROM stats_mysql_global WHERE Variable_Name IN ('Client_Connections_connected', 'Client_Connections_aborted', 'Client_Connections_non_idle') ORDER BY Variable_Name";

/** Workers of the FPM master named in the pidfile, for a pool without a status page. */
export function fpmWorkerCount(pidFile: string): string[] {
  return ['sh', '-c', 'ps --no-headers -o pid --ppid "$(cat -- "$1")" | wc -l', 'stackscale-status', pidFile];
}

function down(service: StatusService, error: string): ServiceReport {
  return { service, answered: false, error, figures: [] };
}

function errorText(err: unknown): string {
  if (err instanceof Error && 'problems' in err) return (err as { problems: { message: string }[] }).problems.map((p) => p.message).join('; ');
  return err instanceof Error ? err.message : String(err);
}

/** Runs a probe body; anything thrown becomes a service that did not answer. */
async function guard(service: StatusService, body: () => Promise<ServiceReport>): Promise<ServiceReport> {
  try {
    return await body();
  } catch (err) {
    return down(service, errorText(err));
  }
}

// ---- the host itself: CPU busy over one second (/proc/stat twice) and memory available (/proc/meminfo) ----

export const HOST_SAMPLE_COMMAND = ['sh', '-c', 'head -n1 /proc/stat; sleep 1; head -n1 /proc/stat; grep -E "^(MemTotal|MemAvailable):" /proc/meminfo'];

export function probeHost({ t, timeoutMs = TIMEOUT_MS }: ProbeInput): Promise<ServiceReport> {
  return guard('host', async () => {
    const r = await t.run(HOST_SAMPLE_COMMAND, { timeoutMs });
    if (r.code !== 0) return down('host', `reading /proc failed: ${r.stderr.trim()}`);
    return { service: 'host', answered: true, figures: hostFigures(parseHostSample(r.stdout)) };
  });
}

// ---- php-fpm: the pool's status page with ?json, over its socket, through the host's php ----

export function probeFpm({ t, facts, exp, timeoutMs = TIMEOUT_MS }: ProbeInput): Promise<ServiceReport> {
  return guard('php-fpm', async () => {
    const php = facts.php;
    if (!php) return down('php-fpm', 'php-fpm is not installed (stackscale apply installs it)');
    if (!php.running) return down('php-fpm', `${php.service} is not running`);
    const poolPath = `${php.poolDir}/www.conf`;
    const content = facts.files[poolPath]?.content;
    const pool = content ? parseFpmPool(content) : new Map<string, string>();
    const maxChildrenText = [...pool.entries()].find(([k]) => k.endsWith('.pm.max_children'))?.[1];
    const liveMaxChildren = maxChildrenText !== undefined && /^\d+$/.test(maxChildrenText) ? Number(maxChildrenText) : undefined;
    const ep = content ? fpmEndpoints(content) : undefined;
    const socket = ep?.socket ?? `/run/php/php${php.version}-fpm.sock`;

    const withoutStatus = async (why: string): Promise<ServiceReport> => {
      const r = await t.run(fpmWorkerCount(`/run/php/php${php.version}-fpm.pid`), { timeoutMs });
      const n = Number(r.stdout.trim());
      const total = r.code === 0 && r.stdout.trim() !== '' && Number.isFinite(n) ? n : undefined;
      return { service: 'php-fpm', answered: true, figures: fpmFiguresWithoutStatus(total, liveMaxChildren, exp, why) };
    };

    if (!ep?.statusPath) return withoutStatus(`pm.status_path is not set in ${poolPath}`);
    const r = await t.run(fcgiGet(socket, ep.statusPath, 'json'), { stdin: FCGI_CLIENT_PHP, timeoutMs });
    if (r.code !== 0) return down('php-fpm', `status page ${ep.statusPath} on ${socket}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
    try {
      return { service: 'php-fpm', answered: true, figures: fpmFigures(parseFpmStatusJson(r.stdout), liveMaxChildren, exp) };
    } catch (err) {
      if (err instanceof StatusParseError) return withoutStatus(`status page ${ep.statusPath}: ${err.message}`);
      throw err;
    }
  });
}

// ---- Redis: INFO through redis-cli, AUTH on stdin ----

export function probeRedis({ t, facts, exp, redisPassword, timeoutMs = TIMEOUT_MS }: ProbeInput): Promise<ServiceReport> {
  return guard('redis', async () => {
    if (!facts.redis) return down('redis', 'redis-server is not installed (stackscale apply installs it)');
    if (!facts.redis.running) return down('redis', `${facts.redis.service} is not running`);
    const ep = redisEndpoint(facts.files['/etc/redis/redis.conf']?.content);
    // The site's password first; the one in the host's redis.conf when the site has none or it is refused (the host
    // may not be on the site's secrets yet). Neither ever reaches argv or the report.
    const candidates = [...new Set([redisPassword, ep.password].filter((p): p is string => Boolean(p)))];
    if (candidates.length === 0) candidates.push('');
    let reply: RedisInfoReply | undefined;
    let failure: string | undefined;
    for (const password of candidates) {
      const r = await t.run(redisCli(ep.port), { stdin: redisScript(password || undefined, ['INFO']), timeoutMs });
      if (r.code !== 0 && r.stdout.trim() === '') {
        failure = (r.stderr.trim() || `redis-cli exit ${r.code}`).split('\n')[0];
        continue;
      }
      try {
        reply = parseRedisInfoReply(r.stdout, password !== '');
      } catch (err) {
        if (!(err instanceof StatusParseError)) throw err;
        failure = err.message;
        continue;
      }
      if (!reply.authError) break;
    }
    if (!reply) {
      const hint = /NOAUTH|WRONGPASS/.test(failure ?? '')
        ? ' (the password is neither the site\'s secrets.redis_password nor requirepass in /etc/redis/redis.conf)'
        : '';
      return down('redis', `INFO on 127.0.0.1:${ep.port}: ${failure ?? 'no answer'}${hint}`);
    }
    const figures: Figure[] = redisFigures(reply.info, exp);
    if (reply.authError) {
      figures.push({ key: 'redis.auth', label: 'password', value: false, mark: 'warn', note: `Redis answers without a password (AUTH: ${reply.authError})` });
    }
    return { service: 'redis', answered: true, figures };
  });
}

// ---- MySQL / MariaDB: global status and max_connections; replica status on replicas ----

export function probeMysql({ t, facts, exp, timeoutMs = TIMEOUT_MS }: ProbeInput): Promise<ServiceReport> {
  return guard('mysql', async () => {
    if (!facts.db) return down('mysql', 'no MySQL or MariaDB server is installed (stackscale apply installs one)');
    if (!facts.db.running) return down('mysql', `${facts.db.service} is not running`);
    const [binary, ...args] = sqlClient(facts.db.flavour);
    const runner = transportSqlRunner(t, binary as 'mariadb' | 'mysql', { args });
    const fields = parseNameValues(await runner.run(globalStatusScript(), { timeoutMs }));
    if (fields.Threads_connected === undefined) return down('mysql', 'SHOW GLOBAL STATUS returned no Threads_connected');
    return { service: 'mysql', answered: true, figures: mysqlFigures(fields, exp) };
  });
}

export function probeReplica({ t, facts, exp, timeoutMs = TIMEOUT_MS }: ProbeInput): Promise<ServiceReport> {
  return guard('replication', async () => {
    if (!facts.db?.running) return down('replication', 'no database server running');
    const d = dialectFromFacts(facts);
    if (!d) return down('replication', 'no database server');
    const runner = transportSqlRunner(t, d.client, { args: ['--batch'] });
    const rows = parseVertical(await runner.run(`${d.statusStatement}\\G\n`, { timeoutMs }));
    return { service: 'replication', answered: true, figures: replicaFigures(parseReplicaStatus(rows[0], d), exp) };
  });
}

// ---- ProxySQL: stats_mysql_connection_pool through the admin interface ----

export function probeProxysql({ t, facts, exp, proxysqlAdminPassword, timeoutMs = TIMEOUT_MS }: ProbeInput): Promise<ServiceReport> {
  return guard('proxysql', async () => {
    if (!facts.proxysql) return down('proxysql', 'proxysql is not installed (stackscale apply installs it)');
    if (!facts.proxysql.running) return down('proxysql', 'proxysql is not running');
    const cnf = proxysqlAdminFromCnf(facts.files['/etc/proxysql.cnf']?.content);
    const password = proxysqlAdminPassword ?? cnf.password;
    if (!password) return down('proxysql', 'no admin password: set secrets.proxysql_admin_password in the site file');
    const port = transportAdminPort(t, { password, user: cnf.user, port: cnf.port });
    const rows = await withTimeout(port.query(POOL_QUERY), timeoutMs, 'the admin interface did not answer');
    const global = await withTimeout(port.query(PROXYSQL_GLOBAL_QUERY), timeoutMs, 'the admin interface did not answer');
    const counters = Object.fromEntries(global.map((r) => [String(r.Variable_Name), String(r.Variable_Value ?? '')]));
    return { service: 'proxysql', answered: true, figures: proxysqlFigures(parsePoolRows(rows), exp, counters) };
  });
}

// ---- nginx on the lb: each backend of its upstream asked over HTTP from the lb itself ----

/** `server ADDR:PORT ... # name` lines of the lb's server file. */
export function lbBackends(conf: string | undefined): { address: string; port: number; name: string }[] {
  return [...(conf ?? '').matchAll(/^\s*server\s+([A-Za-z0-9.:_-]+):(\d+)\b[^;]*;(?:\s*#\s*(\S+))?/gm)].map((m) => ({ address: m[1], port: Number(m[2]), name: m[3] ?? m[1] }));
}

export function probeNginxLb({ t, facts, timeoutMs = TIMEOUT_MS }: ProbeInput): Promise<ServiceReport> {
  return guard('nginx', async () => {
    if (!facts.nginx) return down('nginx', 'nginx is not installed');
    if (!facts.nginx.running) return down('nginx', 'nginx is not running');
    const backends = lbBackends(facts.files['/etc/nginx/conf.d/stackscale-lb.conf']?.content);
    if (backends.length === 0) return down('nginx', 'no stackscale lb configuration on this host');
    const figures: Figure[] = [];
    for (const b of backends) {
      const r = await t.run(httpGet('/', b.port, b.address), { timeoutMs });
      const res = r.code === 0 ? parseHttp(r.stdout) : undefined;
      figures.push({
        key: `nginx.backend.${b.address}:${b.port}`,
        label: `backend ${b.name} ${b.address}:${b.port}`,
        value: res ? res.status : false,
        mark: res && res.status < 500 ? 'ok' : 'warn',
        ...(res ? {} : { note: 'does not answer: the lb sends its requests to the other backends' }),
      });
    }
    return { service: 'nginx', answered: true, figures };
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
