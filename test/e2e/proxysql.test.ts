// ProxySQL, live: the real ProxySQL 2.4.8 on a test host with the `proxysql` and `cache` roles, in front of a MariaDB
// primary and replica on two other hosts, deployed by `stackscale apply` and started by its init script as on a real
// host. Hosts of this file's own; the tests run in order and each leaves the site as the next one expects it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nativePasswordHash } from '../../src/proxysql/runtime.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
import { buildTool, run, TOOLS_DIR } from '../daemons/helpers.js';
import { runCli, SECRET_ENV, writeSite, type SiteHost } from '../helpers/cli.js';
import { admin, app, db, listening, sh, tryApp, waitFor, watchProcessLists } from './proxysql-helpers.js';

let hosts: TestHost[] = [];
let px: TestHost;
let db1: TestHost;
let db2: TestHost;
let dir: string;
let reader: string;
let siteFile: string;
const env = { HOME: '/nonexistent', ...SECRET_ENV };
const SECRETS = Object.values(SECRET_ENV);

function site(name: string, profile = '300'): string {
  const roles: Record<string, string[]> = { px: ['proxysql', 'cache'], db1: ['db-primary'], db2: ['db-replica'] };
  const list: SiteHost[] = hosts.map((h) => ({ name: h.name, address: h.address, identity: h.rootKey, hostKey: h.hostKeyFingerprint, roles: roles[h.name] }));
  return writeSite(path.join(dir, name), profile, list);
}

/** The CLI in-process; no secret value may appear in anything it prints. */
async function cli(args: string[]) {
  const r = await runCli(args, { env });
  for (const v of SECRETS) expect(r.stdout + r.stderr, `a secret in the output of ${args.join(' ')}`).not.toContain(v);
  return r;
}

/** The cnf on the host, read with libconfig as ProxySQL reads it. */
async function hostCnf(): Promise<Record<string, unknown>> {
  const file = path.join(dir, 'host-proxysql.cnf');
  writeFileSync(file, await sh(px, 'cat /etc/proxysql.cnf'), { mode: 0o600 });
  const res = await run(reader, [file], { timeoutMs: 5_000 });
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as Record<string, unknown>;
}

type Entry = Record<string, string | number>;

/** Runtime rows of a table, as column -> text, for the given columns. */
async function runtimeRows(table: string, cols: string[]): Promise<Record<string, string>[]> {
  const rows = await admin(px, `SELECT DISTINCT ${cols.join(', ')} FROM runtime_${table} ORDER BY ${cols.join(', ')}`);
  return rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
}

/** Every entry of a cnf list is in the runtime table with the same values (passwords as ProxySQL hashes them). */
async function expectRuntimeHolds(table: string, entries: Entry[]): Promise<void> {
  const cols = Object.keys(entries[0]);
  const have = await runtimeRows(table, cols);
  const want = entries.map((e) => Object.fromEntries(cols.map((c) => [c, String(e[c])])));
  const norm = (r: Record<string, string>) => ({ ...r, ...(r.password ? { password: r.password.startsWith('*') ? r.password : nativePasswordHash(r.password) } : {}) });
  expect(have.map(norm)).toEqual(expect.arrayContaining(want.map(norm)));
  expect(have).toHaveLength(want.length);
}

beforeAll(async () => {
  hosts = await startHosts([
    { name: 'px', services: ['redis'] }, // ProxySQL installed, never started: its first start is apply's
    { name: 'db1', services: ['mariadb'] },
    { name: 'db2', services: ['mariadb'] },
  ]);
  [px, db1, db2] = hosts;
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-proxysql-'));
  reader = buildTool(path.join(TOOLS_DIR, 'libconfig-to-json.c'), path.join(dir, 'libconfig-to-json'), ['-lconfig']);
  siteFile = site('site.yaml');
  // The application's data, on the primary before stackscale runs (the replica is seeded from it).
  await db(db1, 'CREATE DATABASE restro; CREATE TABLE restro.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB;');
}, 120_000);
afterAll(async () => {
  if (hosts.length) await stopHosts(hosts);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('first start from the rendered cnf', () => {
  test('plan says ProxySQL is started on the new cnf; apply starts it by its init script; the runtime tables hold what the cnf holds', async () => {
    expect(await sh(px, 'test -e /var/lib/proxysql/proxysql.db && echo db || echo none')).toBe('none\n');
    const plan = await cli(['plan', '--site', siteFile]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/== px[\s\S]*start\s+proxysql: ProxySQL is not running and has no database yet: its first start reads the new cnf/);

    const stop = await watchProcessLists(hosts);
    const applied = await cli(['apply', '--yes', '--site', siteFile]);
    const seen = await stop();
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/\[px\] proxysql start: service proxysql start/);
    expect(applied.stdout + applied.stderr).toMatch(/\[px\] health proxysql: proxysql admin on 127\.0\.0\.1:6032 answers/);
    // Secrets: in no process list on any host while apply ran (the watcher did see the processes).
    expect(seen).toContain('proxysql --idle-threads -c /etc/proxysql.cnf');
    for (const v of SECRETS) expect(seen, 'a secret in a process list').not.toContain(v);

    // The runtime tables hold exactly the cnf's rows and variables (ProxySQL read the cnf on its first start).
    const cnf = await hostCnf();
    await expectRuntimeHolds('mysql_servers', cnf.mysql_servers as Entry[]);
    await expectRuntimeHolds('mysql_users', cnf.mysql_users as Entry[]);
    await expectRuntimeHolds('mysql_query_rules', cnf.mysql_query_rules as Entry[]);
    await expectRuntimeHolds('mysql_replication_hostgroups', cnf.mysql_replication_hostgroups as Entry[]);
    const vars = new Map((await admin(px, 'SELECT variable_name, variable_value FROM runtime_global_variables')).map(([k, v]) => [k, v]));
    for (const [prefix, group] of [['mysql', cnf.mysql_variables], ['admin', cnf.admin_variables]] as const) {
      for (const [k, v] of Object.entries(group as Entry)) expect(vars.get(`${prefix}-${k}`), `${prefix}-${k}`).toBe(String(v));
    }
    // The servers are the site's: db1 writer (10), db2 reader (20) at a high weight, db1 a reader of last resort.
    const servers = await runtimeRows('mysql_servers', ['hostgroup_id', 'hostname', 'weight']);
    expect(servers).toEqual([
      { hostgroup_id: '10', hostname: db1.address, weight: '1' },
      { hostgroup_id: '20', hostname: db1.address, weight: '1' },
      { hostgroup_id: '20', hostname: db2.address, weight: '1000' },
    ]);

    // What plan showed is what runs: a plan now finds nothing to change, runtime tables included.
    const again = await cli(['plan', '--site', siteFile, '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  });

  test('the admin interface listens on 127.0.0.1 only; clients on loopback and the private address only', async () => {
    expect(await listening(px, 6032)).toEqual(['127.0.0.1:6032']);
    expect(await listening(px, 6033)).toEqual([`${px.address}:6033`, '127.0.0.1:6033'].sort());
    // The app connects through 6033 on both, from the host and from another host; the admin port refuses others.
    expect(await app(px, 'SELECT 1', '127.0.0.1')).toEqual([['1']]);
    expect(await app(px, 'SELECT 1', px.address, db2)).toEqual([['1']]);
    const fromOutside = await ssh6032(db2);
    expect(fromOutside.code).not.toBe(0);
  });

  test('secrets are in no ProxySQL log and the cnf is root:proxysql 0640', async () => {
    const log = await sh(px, 'cat /var/lib/proxysql/proxysql.log');
    expect(log).toMatch(/ProxySQL/);
    for (const v of SECRETS) expect(log, 'a secret in proxysql.log').not.toContain(v);
    expect((await sh(px, 'stat -c "%U:%G %a" /etc/proxysql.cnf')).trim()).toBe('root:proxysql 640');
  });
});

/** A TCP connect from another host of the set to the ProxySQL host's admin port. */
function ssh6032(from: TestHost) {
  return ssh(from, `timeout 5 bash -c 'exec 3<>/dev/tcp/${px.address}/6032'`, { timeoutMs: 20_000 });
}

interface StatusFigure {
  key: string;
  value: unknown;
  mark: string;
  limit?: number;
  note?: string;
}

/** `status --json`: the ProxySQL host's proxysql figures by key. */
async function proxysqlStatus(): Promise<Map<string, StatusFigure>> {
  const r = await cli(['status', '--json', '--site', siteFile]);
  const doc = JSON.parse(r.stdout) as { hosts: { host: string; services: { service: string; answered: boolean; figures: StatusFigure[] }[] }[] };
  const svc = doc.hosts.find((h) => h.host === 'px')?.services.find((s) => s.service === 'proxysql');
  expect(svc?.answered, r.stdout).toBe(true);
  return new Map(svc!.figures.map((f) => [f.key, f]));
}

/** A client session through 6033 held open for `seconds` (a SLEEP on the writer), started in the background. */
async function holdSession(seconds: number): Promise<void> {
  await sh(px, `IFS= read -r MYSQL_PWD; export MYSQL_PWD; nohup mysql -h 127.0.0.1 -P 6033 -u restro restro -e 'SELECT SLEEP(${seconds}) FOR UPDATE' >/dev/null 2>&1 & sleep 0.5`, `${SECRET_ENV.APP_DB_PASSWORD}\n`);
}

describe('read/write split, observed', () => {
  test('plain SELECTs answer from the replica, FOR UPDATE and writes from the primary; a write is readable through 6033', async () => {
    // Several reads: the replica's weight (1000 against 1) sends all but a rare one there.
    const reads = await app(px, Array(20).fill('SELECT @@hostname;').join('\n'));
    const from = reads.map((r) => r[0]);
    expect(from.filter((h) => h === 'db2').length).toBeGreaterThanOrEqual(18);
    expect(await app(px, 'SELECT @@hostname FOR UPDATE')).toEqual([['db1']]);
    // A write goes to the writer: the row carries the server it was written on.
    await app(px, "INSERT INTO orders (item) VALUES (CONCAT('soup from ', @@hostname))");
    expect(await db(db1, "SELECT item FROM restro.orders WHERE item LIKE 'soup%';")).toBe('soup from db1\n');
    await waitFor('the row through 6033', async () => JSON.stringify(await app(px, "SELECT item FROM orders WHERE item LIKE 'soup%'")) === '[["soup from db1"]]');
    // Inside a transaction everything stays on the writer (transaction_persistent).
    expect(await app(px, 'BEGIN; SELECT @@hostname; COMMIT;')).toEqual([['db1']]);
  });

  test('status reports the live figures from the admin tables: clients, pool per server, queries per hostgroup', async () => {
    const routed = new Map((await admin(px, 'SELECT hostgroup, SUM(Queries) FROM stats_mysql_connection_pool GROUP BY hostgroup')).map(([hg, n]) => [hg, Number(n)]));
    await holdSession(8);
    const f = await proxysqlStatus();
    // The held session: one client connected, one backend connection in use on the writer.
    expect(f.get('proxysql.frontend.connected')).toMatchObject({ value: 1, limit: 120, mark: 'ok' });
    expect(f.get(`proxysql.pool.10.${db1.address}:3306.used`)).toMatchObject({ value: 1, limit: 27 });
    expect(f.get(`proxysql.pool.20.${db2.address}:3306.status`)).toMatchObject({ value: 'ONLINE', mark: 'ok' });
    expect(f.get(`proxysql.pool.20.${db2.address}:3306.errors`)).toMatchObject({ value: 0 });
    expect(f.get('proxysql.shunned')).toMatchObject({ value: 0, mark: 'ok' });
    // Queries per hostgroup are ProxySQL's own counts: the reads above went to 20, the writes to 10.
    expect(f.get('proxysql.hostgroup.20.queries')?.value).toBeGreaterThanOrEqual(routed.get('20') ?? 0);
    expect(routed.get('20')).toBeGreaterThanOrEqual(18);
    expect(f.get('proxysql.hostgroup.10.queries')?.value).toBeGreaterThanOrEqual(routed.get('10') ?? 0);
    expect(routed.get('10')).toBeGreaterThanOrEqual(3);
  });

  test('with the replica stopped, reads fall back to the primary within the monitor interval, without an error', async () => {
    await sh(db2, 'service mariadb stop');
    try {
      // ProxySQL notices at the next ping / read_only check and shuns it; reads then go to db1 (reader of last resort).
      await waitFor('reads from db1', async () => {
        const r = await tryApp(px, 'SELECT @@hostname;', '127.0.0.1');
        return r.code === 0 && r.stdout.trim() === 'db1';
      }, 30_000, 500);
      const started = Date.now();
      for (let i = 0; i < 10; i++) expect(await app(px, 'SELECT @@hostname')).toEqual([['db1']]);
      expect(Date.now() - started).toBeLessThan(20_000);
      const status = await admin(px, `SELECT status FROM runtime_mysql_servers WHERE hostname = '${db2.address}'`);
      expect(status.flat()).not.toContain('ONLINE');
      // status names it.
      const f = await proxysqlStatus();
      expect(f.get('proxysql.shunned')).toMatchObject({ value: 1, mark: 'warn' });
      expect(f.get('proxysql.shunned')?.note).toContain(db2.address);
    } finally {
      await sh(db2, 'service mariadb start');
    }
    await waitFor('reads from db2 again', async () => (await app(px, 'SELECT @@hostname')).flat()[0] === 'db2', 60_000, 500);
  });
});
