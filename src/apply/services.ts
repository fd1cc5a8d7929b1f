// Applying a deployed file to its running service with the least disruption, checking the service answers, and
// undoing a runtime change. Each function runs commands built in file-steps.ts and daemons/ and returns what happened.
import type { HostFacts } from '../facts/types.js';
import { MONITOR_SERVICES, type Service } from '../daemons/services.js';
import type { Transport } from '../transport/types.js';
import type { ServiceEndpoints } from './types.js';
import { serviceCommand } from '../daemons/services.js';
import { randomUUID } from 'node:crypto';
import { redisCli, slowLogProbe, sqlClient, tcpConnect } from '../daemons/clients.js';
import { proxysqlAdmin, sqlScript } from '../daemons/mysql-client.js';
import { proxysqlAdminFromCnf, proxysqlInterfaces } from '../proxysql/admin.js';
import { EXPLAIN_DEFAULTS, EXPLAIN_USER, ensureExplainAccount } from '../slowlog/explain.js';
import { httpGet, parseHttp, configSetCommands, redisEndpoint, redisPing, redisReplyError, redisScript, replicaStatus, setGlobalSql, slowLogCheck, sqlSelectOne } from '../daemons/health.js';
import { FCGI_CLIENT_PHP, fcgiGet, fpmEndpoints } from '../daemons/fastcgi.js';
import { parseReplicaStatus, parseVertical, type ReplicaStatus } from '../replication/status.js';
import { dialectFor, dialectFromFacts, type Dialect } from '../replication/flavour.js';

export interface Outcome {
  ok: boolean;
  detail: string;
  output?: string;
}

/** Order services are acted on within a host: the database first, the web tier last (its dependencies are ready). */
export const SERVICE_ORDER: Service[] = ['mysql', 'proxysql', 'redis', 'sysctl', 'php-fpm', 'nginx', ...MONITOR_SERVICES];

/** reload / restart / start through systemctl or the init script (facts.initSystem). */
export async function controlService(t: Transport, facts: HostFacts, service: Service, kind: 'reload' | 'restart' | 'start'): Promise<Outcome> {
  const argv = serviceCommand(facts, service, kind);
  // A changed unit drop-in (nginx's LimitNOFILE) is read by systemd only after daemon-reload.
  if (service === 'nginx' && kind !== 'reload' && facts.initSystem === 'systemd') await t.run(['systemctl', 'daemon-reload']);
  const res = await t.run(argv, { timeoutMs: 120_000 });
  const out = `${res.stdout}${res.stderr}`.trim();
  return { ok: res.code === 0, detail: `${argv.join(' ')}${res.code === 0 ? '' : ` exited ${res.code}`}`, output: out || undefined };
}

/** Load a sysctl.d file into the running kernel (only that file: `--system` would re-apply every other one too). */
export async function sysctlRuntime(t: Transport, path: string): Promise<Outcome> {
  const res = await t.run(['sh', '-c', '[ -e "$1" ] || exit 0; sysctl -q -p "$1"', 'stackscale-sysctl', path]);
  return { ok: res.code === 0, detail: `sysctl -p ${path}${res.code === 0 ? '' : ` exited ${res.code}`}`, output: res.code === 0 ? undefined : res.stderr.trim() };
}

/** Redis CONFIG SET of the named settings, values from `content`, authenticated with `password`. */
export async function redisRuntime(t: Transport, port: number, password: string | undefined, names: string[], content: string): Promise<Outcome> {
  const commands = configSetCommands(names, content);
  if (commands.length === 0) return { ok: true, detail: 'no runtime setting to change' };
  const res = await t.run(redisCli(port), { stdin: redisScript(password, commands) });
  const error = redisReplyError(res.stdout + res.stderr);
  const ok = res.code === 0 && !error;
  return { ok, detail: `CONFIG SET ${names.join(', ')}`, output: ok ? undefined : error ?? res.stderr.trim() };
}

/** MySQL/MariaDB SET GLOBAL of the named variables, values from `content`; SQL on the client's stdin. */
export async function mysqlRuntime(t: Transport, facts: HostFacts, names: string[], content: string): Promise<Outcome> {
  const sql = setGlobalSql(names, content);
  if (sql.trim() === '') return { ok: true, detail: 'no dynamic variable to change' };
  const res = await t.run(sqlClient(facts.db?.flavour ?? 'mariadb'), { stdin: sql });
  return { ok: res.code === 0, detail: `SET GLOBAL ${names.join(', ')}`, output: res.code === 0 ? undefined : res.stderr.trim() };
}

/** Statements to the MySQL server (as root over the socket) or to ProxySQL's admin interface. */
export async function runSql(
  t: Transport,
  facts: HostFacts,
  target: 'mysql' | 'proxysql-admin' | 'mysql-explain-account',
  statements: string[],
  admin?: { port: number; user: string; password?: string },
): Promise<Outcome> {
  if (target === 'mysql-explain-account') {
    // The statements are the plan's masked view: the host-side script makes the password and runs them itself.
    if (statements.length === 0) return { ok: true, detail: 'nothing to undo' };
    const res = await t.run(ensureExplainAccount(facts.db?.flavour ?? 'mariadb'), { timeoutMs: 30_000 });
    const made = res.stdout.trim() === 'created' ? `password made on the host, kept in ${EXPLAIN_DEFAULTS}` : `password kept in ${EXPLAIN_DEFAULTS}`;
    return { ok: res.code === 0, detail: `${EXPLAIN_USER}@localhost ensured (SELECT, SHOW VIEW); ${made}`, output: res.code === 0 ? undefined : res.stderr.trim() };
  }
  const body = sqlScript(statements);
  const run = target === 'mysql'
    ? { command: sqlClient(facts.db?.flavour ?? 'mariadb'), stdin: body }
    : proxysqlAdmin(admin ?? { port: 6032, user: 'admin' }, body);
  const res = await t.run(run.command, { stdin: run.stdin });
  return { ok: res.code === 0, detail: `${statements.length} statement(s) on ${target}`, output: res.code === 0 ? undefined : res.stderr.trim() };
}

/** A statement slower than long_query_time must appear in the slow log the deployed file names. */
export async function slowLogWorks(t: Transport, facts: HostFacts, cnfContent: string): Promise<Outcome | undefined> {
  const marker = `stackscale-slowlog-check-${randomUUID()}`;
  const check = slowLogCheck(cnfContent, marker);
  if (!check) return undefined;
  const res = await t.run(slowLogProbe(facts.db?.flavour ?? 'mariadb', check.file, marker), { stdin: check.stdin, timeoutMs: 30_000 });
  if (res.code === 0) return { ok: true, detail: `slow log: a statement over ${check.threshold} s was written to ${check.file}` };
  const why =
    res.code === 2 ? 'the test statement failed' :
    res.code === 3 ? `${check.file} does not exist: the server could not create it (is its directory there and writable by the server's user?)` :
    `a statement over ${check.threshold} s did not appear in ${check.file} (is slow_query_log on, and the file writable by the server's user?)`;
  return { ok: false, detail: `slow log: ${why}`, output: res.stderr.trim() || undefined };
}

export interface HealthOptions {
  sleep: (ms: number) => Promise<void>;
  timeoutMs: number;
  now: () => Date;
}

/** Retry `once` until it passes or the time is up: a restarted daemon takes a moment to listen. */
async function retry(once: () => Promise<Outcome>, opts: HealthOptions): Promise<Outcome> {
  const deadline = opts.now().getTime() + opts.timeoutMs;
  for (;;) {
    const r = await once();
    if (r.ok || opts.now().getTime() >= deadline) return r;
    await opts.sleep(500);
  }
}

/**
 * Is the service answering on the configuration now in place? `content` is the service's file as it is on the host
 * now (the new one after a swap, the old one after a restore).
 */
export async function healthCheck(
  t: Transport,
  facts: HostFacts,
  service: Service,
  content: string | undefined,
  roles: string[],
  opts: HealthOptions,
  /** The endpoints as sized, when `content` is the file apply rendered from them (else read from `content`). */
  known?: ServiceEndpoints,
): Promise<Outcome> {
  if (service === 'php-fpm') {
    const ep = content ? fpmEndpoints(content) : undefined;
    if (!ep) return { ok: true, detail: 'php-fpm: no listen socket in the pool file, not checked' };
    const path = ep.pingPath ?? ep.statusPath;
    if (!path) {
      return retry(async () => {
        const r = await t.run(['test', '-S', ep.socket]);
        return { ok: r.code === 0, detail: `php-fpm socket ${ep.socket} ${r.code === 0 ? 'exists' : 'missing'}` };
      }, opts);
    }
    return retry(async () => {
      const r = await t.run(fcgiGet(ep.socket, path), { stdin: FCGI_CLIENT_PHP });
      const body = r.stdout.trim();
      const ok = r.code === 0 && (ep.pingPath ? body === ep.pingResponse : /pool:/.test(body));
      return { ok, detail: `php-fpm ${path} on ${ep.socket}: ${ok ? body.split('\n')[0] : 'no answer'}`, output: ok ? undefined : (r.stderr || body).trim() };
    }, opts);
  }
  if (service === 'redis') {
    const ep = known?.redis ?? redisEndpoint(content);
    const ping = redisPing(ep);
    return retry(async () => {
      const r = await t.run(ping.argv, { stdin: ping.stdin });
      const ok = r.code === 0 && /^PONG$/m.test(r.stdout) && !redisReplyError(r.stdout);
      return { ok, detail: `redis PING on 127.0.0.1:${ep.port}: ${ok ? 'PONG' : 'no PONG'}`, output: ok ? undefined : `${r.stdout}${r.stderr}`.trim() };
    }, opts);
  }
  if (service === 'mysql') {
    const q = sqlSelectOne(facts);
    const first = await retry(async () => {
      const r = await t.run(q.argv, { stdin: q.stdin });
      const ok = r.code === 0 && r.stdout.trim() === '1';
      return { ok, detail: `SELECT 1: ${ok ? 'ok' : 'failed'}`, output: ok ? undefined : r.stderr.trim() };
    }, opts);
    if (!first.ok) return first;
    const slow = content ? await slowLogWorks(t, facts, content) : undefined;
    if (slow && !slow.ok) return slow;
    const okSoFar = `SELECT 1: ok${slow ? `; ${slow.detail}` : ''}`;
    if (!roles.includes('db-replica')) return { ok: true, detail: okSoFar };
    const rs = replicaStatus(facts);
    const r = await t.run(rs.argv, { stdin: rs.stdin });
    const status = replicaHealth(parseReplicaStatus(parseVertical(r.stdout)[0], replicaDialect(facts)));
    if (!status) return { ok: true, detail: `${okSoFar}; replication not configured yet` };
    return { ok: status.running, detail: `${okSoFar}; replica ${status.detail}` };
  }
  if (service === 'nginx') {
    // Our config answers on loopback: the FPM ping through nginx on a web host, nginx's own page on the lb. Any
    // other (the file as it was before stackscale) must at least answer HTTP.
    const ours = Boolean(content?.includes('Managed by stackscale'));
    const lb = roles.includes('lb');
    const path = lb ? '/stackscale-lb-health' : '/fpm-ping';
    return retry(async () => {
      const r = await t.run(httpGet(path), { timeoutMs: 15_000 });
      const res = parseHttp(r.stdout);
      const ok = r.code === 0 && res !== undefined && (!ours || (res.status === 200 && res.body.trim() === (lb ? 'ok' : 'pong')));
      return { ok, detail: `nginx GET ${ours ? path : '/'} on 127.0.0.1:80: ${res ? `${res.status}${ok && ours ? ` ${res.body.trim()}` : ''}` : 'no answer'}`, output: ok ? undefined : `${r.stdout}${r.stderr}`.trim().slice(0, 500) };
    }, opts);
  }
  if (service === 'proxysql') {
    // The admin interface answers with the cnf's login, and every client interface the cnf names accepts a connection.
    const admin = known?.proxysqlAdmin ?? proxysqlAdminFromCnf(content);
    const ifaces = known?.proxysqlInterfaces ?? proxysqlInterfaces(content);
    return retry(async () => {
      const ping = proxysqlAdmin(admin, 'SELECT 1;\n');
      const r = await t.run(ping.command, { stdin: ping.stdin });
      if (r.code !== 0 || r.stdout.trim() !== '1') {
        return { ok: false, detail: `proxysql admin on 127.0.0.1:${admin.port}: no answer`, output: r.stderr.trim() || undefined };
      }
      const c = await t.run(tcpConnect(ifaces));
      return c.code === 0
        ? { ok: true, detail: `proxysql admin on 127.0.0.1:${admin.port} answers; clients accepted on ${ifaces.join(', ') || 'its interfaces'}` }
        : { ok: false, detail: `proxysql admin answers, but ${c.stdout.trim() || 'a client interface'} accepts no connection` };
    }, opts);
  }
  if ((MONITOR_SERVICES as readonly string[]).includes(service)) {
    // The Debian packages run each daemon under its own binary name; a bad flag makes it exit at once.
    const bin = service === 'prometheus' ? 'prometheus' : `prometheus-${service}`;
    return retry(async () => {
      const r = await t.run(['pgrep', '-x', bin.slice(0, 15)]);
      return { ok: r.code === 0, detail: `${bin} ${r.code === 0 ? 'running' : 'not running'}` };
    }, opts);
  }
  return { ok: true, detail: `${service}: nothing to check` };
}

/** The host's status field names; a server too old to replicate (refused before apply) reads as MariaDB 10.11. */
function replicaDialect(facts: HostFacts): Dialect {
  try {
    return dialectFromFacts(facts) ?? dialectFor('mariadb', '10.11');
  } catch {
    return dialectFor('mariadb', '10.11');
  }
}

/** undefined = replication not configured; otherwise whether both threads run, and the errors if not. */
export function replicaHealth(status: ReplicaStatus | undefined): { running: boolean; detail: string } | undefined {
  if (!status) return undefined;
  const errors = [status.lastIoError, status.lastSqlError].filter((e) => e).join('; ');
  const sql = status.sqlRunning ? 'Yes' : 'No';
  return { running: status.ioRunning && status.sqlRunning, detail: `IO thread ${status.ioState}, SQL thread ${sql}${errors ? `: ${errors}` : ''}` };
}
