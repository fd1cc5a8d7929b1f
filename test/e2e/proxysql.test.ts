// ProxySQL, live: the real ProxySQL 2.4.8 on a test host with the `proxysql` and `cache` roles, in front of a MariaDB
// primary and replica on two other hosts, deployed by `stackscale apply` and started by its init script as on a real
// host. Hosts of this file's own; the tests run in order and each leaves the site as the next one expects it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyHost } from '../../src/apply/host.js';
import type { HostJob } from '../../src/apply/types.js';
import { gatherFacts } from '../../src/facts/gather.js';
import { planHost } from '../../src/plan/build.js';
import { nativePasswordHash } from '../../src/proxysql/runtime.js';
import type { RenderedFile } from '../../src/render/types.js';
import { connectSsh } from '../../src/transport/ssh.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
import { buildTool, run, TOOLS_DIR } from '../daemons/helpers.js';
import { runCli, writeSite, type SiteHost } from '../helpers/cli.js';
import { ADMIN_PASSWORD, APP_PASSWORD, PX_SECRET_ENV, admin, app, db, listening, sh, tryApp, waitFor, watchProcessLists } from './proxysql-helpers.js';

let hosts: TestHost[] = [];
let px: TestHost;
let db1: TestHost;
let db2: TestHost;
let dir: string;
let reader: string;
let siteFile: string;
const env = { HOME: '/nonexistent', ...PX_SECRET_ENV };
const SECRETS = Object.values(PX_SECRET_ENV);

let profileFile = '300';
let pxPrivate: string | undefined;

/**
 * The site file: px (proxysql, cache), db1 (primary), db2 (replica), and web1 (web, PHP-FPM only: the site keeps its
 * own web server), the app host that makes ProxySQL and Redis listen on px's private address besides loopback; px's
 * private address when one is set.
 */
function site(name: string, profile = profileFile, pxRoles = ['proxysql', 'cache']): string {
  const roles: Record<string, string[]> = { px: pxRoles, db1: ['db-primary'], db2: ['db-replica'], web1: ['web'] };
  const list: SiteHost[] = hosts.map((h) => ({ name: h.name, address: h.address, identity: h.rootKey, hostKey: h.hostKeyFingerprint, roles: roles[h.name] }));
  const file = writeSite(path.join(dir, name), profile, list);
  writeFileSync(file, `web_server: none\n${readFileSync(file, 'utf8')}`);
  if (pxPrivate) writeFileSync(file, readFileSync(file, 'utf8').replace(`    address: ${px.address}\n`, `    address: ${px.address}\n    private_address: ${pxPrivate}\n`));
  return file;
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
    { name: 'web1', services: ['php-fpm'] },
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
    expect(applied.stdout + applied.stderr).toMatch(/\[px\] check \/etc\/proxysql\.cnf: proxysql \(throw-away start\): ok/);
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
  }, 150_000);

  test('the admin interface listens on 127.0.0.1 only; clients on loopback and the private address only', async () => {
    expect(await listening(px, 6032)).toEqual(['127.0.0.1:6032']);
    expect(await listening(px, 6033)).toEqual([`${px.address}:6033`, '127.0.0.1:6033'].sort());
    // The app connects through 6033 on both, from the host and from another host; the admin port refuses others.
    expect(await app(px, 'SELECT 1', '127.0.0.1')).toEqual([['1']]);
    expect(await app(px, 'SELECT 1', px.address, db2)).toEqual([['1']]);
    const fromOutside = await ssh6032(db2);
    expect(fromOutside.code).not.toBe(0);
    // The read-only stats login: not the well-known stats:stats, which any user of the host could try.
    const stats = (password: string) =>
      ssh(px, "IFS= read -r MYSQL_PWD; export MYSQL_PWD; mysql --batch --skip-column-names --connect-timeout=5 -h 127.0.0.1 -P 6032 -u stats -e 'SELECT COUNT(*) FROM stats_mysql_processlist'", { input: `${password}\n` });
    const known = await stats('stats');
    expect(known.code).not.toBe(0);
    expect(known.stderr).toMatch(/Access denied/);
    expect((await stats(ADMIN_PASSWORD)).code).toBe(0);
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
  await sh(px, `IFS= read -r MYSQL_PWD; export MYSQL_PWD; nohup mysql -h 127.0.0.1 -P 6033 -u restro restro -e 'SELECT SLEEP(${seconds}) FOR UPDATE' >/dev/null 2>&1 & sleep 0.5`, `${APP_PASSWORD}\n`);
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
    // Reads keep going while it stops; ProxySQL sends the ones it cannot serve on db2 elsewhere (it retries a failed
    // backend connect on another server), so the app sees no error. The one documented exception: a query running on
    // the replica at the moment it goes away is lost with it (ERROR 2013).
    const seen: { code: number | null; out: string }[] = [];
    let reading = true;
    const reader = (async () => {
      for (let i = 0; reading && i < 200; i++) {
        const r = await tryApp(px, 'SELECT @@hostname;', '127.0.0.1');
        seen.push({ code: r.code, out: (r.stdout + r.stderr).trim() });
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    await sh(db2, 'service mariadb stop');
    try {
      // ProxySQL notices at the next ping / read_only check and shuns it; reads then go to db1 (reader of last resort).
      await waitFor('reads from db1', async () => {
        const r = await tryApp(px, 'SELECT @@hostname;', '127.0.0.1');
        return r.code === 0 && r.stdout.trim() === 'db1';
      }, 30_000, 500);
      reading = false;
      await reader;
      const failed = seen.filter((x) => x.code !== 0);
      expect(failed.filter((x) => !/ERROR 2013/.test(x.out)), JSON.stringify(failed)).toEqual([]);
      expect(seen.filter((x) => x.code === 0).length).toBeGreaterThan(0);
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
      reading = false;
      await reader;
      await sh(db2, 'service mariadb start');
    }
    await waitFor('reads from db2 again', async () => (await app(px, 'SELECT @@hostname')).flat()[0] === 'db2', 60_000, 500);
  }, 150_000);
});

/** A profile of this test's own: the shipped 300 profile with pins, written beside the site file. */
function pinnedProfile(name: string, pins: Record<string, number>): string {
  const base = readFileSync(new URL('../../profiles/300.yaml', import.meta.url), 'utf8');
  const pin = `pin: {${Object.entries(pins).map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
  const file = path.join(dir, name);
  writeFileSync(file, base.replace(/^pin: \{\}.*$/m, pin));
  return file;
}

/** The drifted tables a plan names for px's admin step, or [] when it has none. */
function adminTables(planOut: string): string[] {
  const m = /runtime tables differ \(([^)]*)\)/.exec(planOut);
  return m ? m[1].split(', ').sort() : [];
}

describe('admin apply after the first start', () => {
  test('a profile change: plan shows only the admin tables that differ; apply rewrites them, LOAD TO RUNTIME, SAVE TO DISK; a second apply changes nothing', async () => {
    profileFile = pinnedProfile('pinned.yaml', { 'proxysql.max_connections': 150, 'proxysql.backend_max_connections': 20, 'proxysql.free_connections_pct': 25 });
    siteFile = site('site.yaml');
    const plan = await cli(['plan', '--site', siteFile, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    const pxPlan = plan.stdout.slice(plan.stdout.indexOf('== px'), plan.stdout.indexOf('== db1'));
    // Servers (pool per server), users (max_connections) and mysql variables changed; rules, hostgroups and the admin
    // variables did not, and are not rewritten.
    expect(adminTables(pxPlan)).toEqual(['global_variables', 'mysql_servers', 'mysql_users']);
    expect(pxPlan).toMatch(/UPDATE global_variables SET variable_value = '150' WHERE variable_name = 'mysql-max_connections'/);
    expect(pxPlan).toMatch(/LOAD MYSQL SERVERS TO RUNTIME;[\s\S]*SAVE MYSQL SERVERS TO DISK;[\s\S]*LOAD MYSQL USERS TO RUNTIME;[\s\S]*SAVE MYSQL USERS TO DISK;[\s\S]*LOAD MYSQL VARIABLES TO RUNTIME;[\s\S]*SAVE MYSQL VARIABLES TO DISK;/);
    expect(pxPlan).not.toMatch(/mysql_query_rules|mysql_replication_hostgroups|ADMIN VARIABLES/);

    const applied = await cli(['apply', '--yes', '--site', siteFile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const want = async () => ({
      servers: (await admin(px, 'SELECT hostgroup_id, hostname, max_connections FROM runtime_mysql_servers ORDER BY hostgroup_id, hostname')).map((r) => r.join(' ')),
      user: (await admin(px, 'SELECT DISTINCT max_connections FROM runtime_mysql_users')).flat(),
      vars: (await admin(px, "SELECT variable_value FROM runtime_global_variables WHERE variable_name IN ('mysql-max_connections', 'mysql-free_connections_pct') ORDER BY variable_name")).flat(),
    });
    const expected = {
      servers: [`10 ${db1.address} 18`, `20 ${db1.address} 2`, `20 ${db2.address} 20`],
      user: ['150'],
      vars: ['25', '150'],
    };
    expect(await want()).toEqual(expected);
    // Saved to disk: ProxySQL's own database holds the same.
    expect((await admin(px, 'SELECT DISTINCT max_connections FROM disk.mysql_users')).flat()).toEqual(['150']);
    expect((await admin(px, "SELECT variable_value FROM disk.global_variables WHERE variable_name = 'mysql-max_connections'")).flat()).toEqual(['150']);

    const again = await cli(['apply', '--yes', '--site', siteFile]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/\[px\] unchanged: nothing to do/);
    expect((await cli(['plan', '--site', siteFile, '--detailed-exitcode'])).code).toBe(0);

    // A restart keeps the new state: ProxySQL reads its database, not the cnf. To tell the two apart, the cnf on disk
    // is made to say something else first (the old values, as a hand edit would).
    await sh(px, "cp -a /etc/proxysql.cnf /root/cnf.keep && sed -i 's/^\\(\\s*max_connections = \\)150$/\\1999/' /etc/proxysql.cnf && grep -c ' = 999$' /etc/proxysql.cnf");
    try {
      await sh(px, 'service proxysql restart');
      await waitFor('the admin interface after the restart', async () => (await admin(px, 'SELECT 1')).flat()[0] === '1', 30_000, 500);
      expect(await want()).toEqual(expected);
    } finally {
      await sh(px, 'cp -a /root/cnf.keep /etc/proxysql.cnf');
    }
  }, 150_000);

  test('drift made by hand through the admin port shows in plan as that table only, and apply puts it back', async () => {
    // Send every SELECT to the writer, by hand, at runtime.
    await admin(px, 'UPDATE mysql_query_rules SET destination_hostgroup = 10 WHERE rule_id = 2; LOAD MYSQL QUERY RULES TO RUNTIME;');
    await waitFor('reads on db1', async () => (await app(px, 'SELECT @@hostname')).flat()[0] === 'db1', 10_000);
    const plan = await cli(['plan', '--site', siteFile, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(2);
    expect(adminTables(plan.stdout)).toEqual(['mysql_query_rules']);
    expect(plan.stdout).toMatch(/^ {2}unchanged \/etc\/proxysql\.cnf$/m);
    const applied = await cli(['apply', '--yes', '--site', siteFile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect((await admin(px, 'SELECT destination_hostgroup FROM runtime_mysql_query_rules WHERE rule_id = 2')).flat()).toEqual(['20']);
    expect((await admin(px, 'SELECT destination_hostgroup FROM disk.mysql_query_rules WHERE rule_id = 2')).flat()).toEqual(['20']);
    await waitFor('reads on db2 again', async () => (await app(px, 'SELECT @@hostname')).flat()[0] === 'db2', 10_000);
    expect((await cli(['plan', '--site', siteFile, '--detailed-exitcode'])).code).toBe(0);
  }, 150_000);
});

describe('a mysql-interfaces change restarts ProxySQL', () => {
  const net = () => px.address.split('.').slice(0, 3).join('.');
  const interfaces = async () => (await admin(px, "SELECT variable_value FROM runtime_global_variables WHERE variable_name = 'mysql-interfaces'")).flat()[0];
  const onDisk = async () => (await admin(px, "SELECT variable_value FROM disk.global_variables WHERE variable_name = 'mysql-interfaces'")).flat()[0];

  test('plan says a restart is needed; apply saves it, restarts, and the clients are served on the new address', async () => {
    // A second address on px's interface becomes its private address: ProxySQL must listen there instead.
    pxPrivate = `${net()}.111`;
    await sh(px, `ip addr add ${pxPrivate}/24 dev eth0`);
    siteFile = site('site.yaml');
    const plan = await cli(['plan', '--site', siteFile]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const pxPlan = plan.stdout.slice(plan.stdout.indexOf('== px'), plan.stdout.indexOf('== db1'));
    expect(pxPlan).toMatch(/restart\s+proxysql: mysql-interfaces changes only when ProxySQL restarts/);
    expect(pxPlan).toContain(`UPDATE global_variables SET variable_value = '127.0.0.1:6033;${pxPrivate}:6033' WHERE variable_name = 'mysql-interfaces';`);

    const applied = await cli(['apply', '--yes', '--site', siteFile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/\[px\] sql proxysql-admin[\s\S]*\[px\] proxysql restart: service proxysql restart[\s\S]*\[px\] health proxysql: .*clients accepted on 127\.0\.0\.1:6033, 10\.77\.\d+\.111:6033/);
    expect(await listening(px, 6033)).toEqual([`${pxPrivate}:6033`, '127.0.0.1:6033'].sort());
    expect(await interfaces()).toBe(`127.0.0.1:6033;${pxPrivate}:6033`);
    expect(await app(px, 'SELECT 1', pxPrivate, db2)).toEqual([['1']]);
    expect((await cli(['plan', '--site', siteFile, '--detailed-exitcode'])).code).toBe(0);
  }, 150_000);

  test('an interface ProxySQL cannot listen on fails the health check: the old interfaces are put back and ProxySQL restarted on them', async () => {
    const good = pxPrivate!;
    pxPrivate = `${net()}.222`; // not an address of px: nothing can listen there
    const bad = site('bad.yaml', profileFile, ['proxysql']); // (without the cache role: Redis would refuse it first)
    try {
      const applied = await cli(['apply', '--yes', '--site', bad]);
      expect(applied.code, applied.stdout + applied.stderr).toBe(1);
      const out = applied.stdout + applied.stderr;
      expect(out).toMatch(/\[px\] proxysql restart: service proxysql restart/);
      expect(out).toMatch(/proxysql is not healthy after the change/);
      expect(out).toMatch(/\[px\] undo sql proxysql-admin/);
      expect(out).toMatch(/\[px\] rolled back: previous files in place, services answering/);
      await waitFor('the admin interface', async () => (await admin(px, 'SELECT 1')).flat()[0] === '1', 30_000, 500);
      expect(await interfaces()).toBe(`127.0.0.1:6033;${good}:6033`);
      expect(await onDisk()).toBe(`127.0.0.1:6033;${good}:6033`);
      expect(await listening(px, 6033)).toEqual([`${good}:6033`, '127.0.0.1:6033'].sort());
      expect(await sh(px, 'grep -c "interfaces = \\"127.0.0.1:6033;' + good + ':6033\\"" /etc/proxysql.cnf')).toBe('1\n');
    } finally {
      pxPrivate = good;
    }
    expect((await cli(['plan', '--site', siteFile, '--detailed-exitcode'])).code).toBe(0);
  }, 150_000);
});

describe("rollback puts ProxySQL's runtime back, not only its cnf", () => {
  test('rollback to the first deployment: runtime and disk tables hold the restored cnf, the interfaces come back by a restart; apply goes forward again', async () => {
    // The first deployment (profile 300, loopback only) against the last (pinned pool sizes, the private address too).
    const kept = JSON.parse((await cli(['rollback', '--list', '--json', '--site', siteFile])).stdout).deployments.px as { deployId: string }[];
    const first = kept.map((d) => d.deployId).filter((id) => id !== 'original').at(-1)!;
    const state = JSON.parse(await sh(px, 'cat /var/lib/stackscale/state.json')) as { deployments: { deployId: string; files: { path: string; snapshot: string }[] }[] };
    const snapshot = state.deployments.find((d) => d.deployId === first)!.files.find((f) => f.path === '/etc/proxysql.cnf')!.snapshot;
    const firstCnf = await sh(px, `cat ${snapshot}`);
    const before = (await admin(px, "SELECT variable_value FROM runtime_global_variables WHERE variable_name = 'mysql-max_connections'")).flat()[0];
    expect(await listening(px, 6033)).toEqual([`${pxPrivate}:6033`, '127.0.0.1:6033'].sort());

    const back = await cli(['rollback', '--to', first, '--host', 'px', '--yes', '--site', siteFile]);
    const out = back.stdout + back.stderr;
    expect(back.code, out).toBe(0);
    expect(out).toMatch(/\[px\] sql proxysql-admin: ProxySQL runs from its database, not from the restored \/etc\/proxysql\.cnf[\s\S]*\[px\] proxysql restart: service proxysql restart[\s\S]*\[px\] health proxysql: proxysql admin on 127\.0\.0\.1:6032 answers/);
    expect(await sh(px, 'cat /etc/proxysql.cnf')).toBe(firstCnf);

    // ProxySQL's runtime is the restored cnf's, row for row and variable for variable, and so is its disk.
    const cnf = await hostCnf();
    expect(String((cnf.mysql_variables as Entry).max_connections)).not.toBe(before); // the rollback changes something
    await expectRuntimeHolds('mysql_servers', cnf.mysql_servers as Entry[]);
    await expectRuntimeHolds('mysql_users', cnf.mysql_users as Entry[]);
    await expectRuntimeHolds('mysql_query_rules', cnf.mysql_query_rules as Entry[]);
    await expectRuntimeHolds('mysql_replication_hostgroups', cnf.mysql_replication_hostgroups as Entry[]);
    const vars = new Map((await admin(px, 'SELECT variable_name, variable_value FROM runtime_global_variables')).map(([k, v]) => [k, v]));
    const disk = new Map((await admin(px, 'SELECT variable_name, variable_value FROM disk.global_variables')).map(([k, v]) => [k, v]));
    for (const [prefix, group] of [['mysql', cnf.mysql_variables], ['admin', cnf.admin_variables]] as const) {
      for (const [k, v] of Object.entries(group as Entry)) {
        expect(vars.get(`${prefix}-${k}`), `${prefix}-${k}`).toBe(String(v));
        expect(disk.get(`${prefix}-${k}`), `disk ${prefix}-${k}`).toBe(String(v));
      }
    }
    const users = cnf.mysql_users as Entry[];
    expect((await admin(px, 'SELECT DISTINCT max_connections FROM disk.mysql_users')).flat()).toEqual([String(users[0].max_connections)]);
    // The first deployment listened on px's own address, not on the private one added since: the restart moved it back.
    const restored = String((cnf.mysql_variables as Entry).interfaces).split(';').sort();
    expect(restored).toEqual([`${px.address}:6033`, '127.0.0.1:6033'].sort());
    expect(await listening(px, 6033)).toEqual(restored);
    expect(await app(px, 'SELECT 1', px.address, db2)).toEqual([['1']]);

    // Forward again: the site file's state, private address and restart included, and nothing left to change.
    const again = await cli(['apply', '--yes', '--site', siteFile]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await listening(px, 6033)).toEqual([`${pxPrivate}:6033`, '127.0.0.1:6033'].sort());
    expect((await cli(['plan', '--site', siteFile, '--detailed-exitcode'])).code).toBe(0);
  }, 150_000);
});

describe("apply's ProxySQL checker is ProxySQL itself", () => {
  test('a candidate ProxySQL cannot read is refused before the swap: the error names the file and line; the live file and the running ProxySQL are untouched', async () => {
    const t = await connectSsh({
      name: 'px', address: px.address, port: px.port, user: 'root', identity: px.rootKey,
      knownHostsFile: px.knownHosts, sshConfigFile: null, env: { HOME: '/nonexistent' },
    });
    try {
      const live = await sh(px, 'cat /etc/proxysql.cnf');
      const pid = await sh(px, 'cat /var/lib/proxysql/proxysql.pid');
      // A list entry without its closing brace: libconfig, and so ProxySQL, stops at the next line.
      const broken = live.replace(/^mysql_users =\n\(\n {2}\{\n/m, 'mysql_users =\n(\n  {\n  {\n');
      expect(broken).not.toBe(live);
      const badLine = broken.split('\n').findIndex((l, i, all) => l === '  {' && all[i - 1] === '  {') + 1;
      const file: RenderedFile = { host: 'px', path: '/etc/proxysql.cnf', content: broken, mode: 0o640, owner: 'root', group: 'proxysql', service: 'proxysql', secrets: [] };
      const facts = await gatherFacts(t, [file.path]);
      const lines: string[] = [];
      const job: HostJob = { host: 'px', roles: ['proxysql'], transport: t, facts, plan: planHost({ name: 'px', roles: ['proxysql'] }, [file], facts, {}), files: [file], sql: [] };
      const result = await applyHost(job, {
        deployId: '20260101T000000Z-pxck', profile: 'e2e', toolVersion: '0.0.0-test',
        owner: { user: 'tester', machine: 'ci', pid: process.pid, time: new Date().toISOString(), deployId: '20260101T000000Z-pxck' },
        lockTimeoutMs: 0, breakLock: false, progress: (h, s) => lines.push(`[${h}] ${s}`), mask: (x) => x, healthTimeoutMs: 15_000,
      });
      expect(result.status, lines.join('\n')).toBe('failed');
      expect(result.error?.message).toContain('proxysql (throw-away start) rejected the candidate for /etc/proxysql.cnf');
      expect(result.error?.output).toContain(`Parse error at /etc/proxysql.cnf:${badLine} - syntax error`);
      expect(await sh(px, 'cat /etc/proxysql.cnf')).toBe(live);
      expect(await sh(px, 'cat /var/lib/proxysql/proxysql.pid')).toBe(pid);
      expect(await sh(px, 'ls -d /tmp/stackscale-proxysql.* /etc/.proxysql.cnf.stackscale-* 2>/dev/null | wc -l')).toBe('0\n');
      expect(await sh(px, 'pgrep -x proxysql | wc -l')).toBe('2\n'); // the running ProxySQL (angel and child) only
    } finally {
      await t.close();
    }
  });
});

describe('replication lag', () => {
  test('with the replica SQL thread stopped and writes going on, ProxySQL shuns it at the rendered max_replication_lag; it comes back once caught up', async () => {
    // The limit is the shortest cache TTL of the profile (get_orders: 10 s): reads may be as stale as the freshest
    // cached endpoint, no more.
    const ttls = readFileSync(new URL('../../profiles/300.yaml', import.meta.url), 'utf8');
    const shortest = Math.min(...[...ttls.matchAll(/^\s+get_\w+:\s+(\d+)/gm)].map((m) => Number(m[1])));
    expect((await admin(px, `SELECT max_replication_lag FROM runtime_mysql_servers WHERE hostname = '${db2.address}'`)).flat()).toEqual([String(shortest)]);
    await db(db2, 'STOP SLAVE SQL_THREAD;');
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 600; i++) {
        await app(px, `INSERT INTO orders (item) VALUES ('lag-${i}')`);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      // MariaDB reports no Seconds_Behind_Master while the SQL thread is stopped; ProxySQL counts that as
      // mysql-monitor_slave_lag_when_null (60 s), above the limit, and shuns the replica at its next lag check (10 s).
      await waitFor('db2 shunned for lag', async () => (await admin(px, `SELECT status FROM stats_mysql_connection_pool WHERE srv_host = '${db2.address}'`)).flat()[0] === 'SHUNNED_REPLICATION_LAG', 45_000, 500);
      const lags = (await admin(px, `SELECT repl_lag FROM monitor.mysql_server_replication_lag_log WHERE hostname = '${db2.address}' ORDER BY time_start_us DESC LIMIT 1`)).flat();
      expect(Number(lags[0])).toBeGreaterThan(shortest);
      for (let i = 0; i < 10; i++) expect(await app(px, 'SELECT @@hostname')).toEqual([['db1']]);
      expect((await proxysqlStatus()).get('proxysql.shunned')).toMatchObject({ value: 1, mark: 'warn' });
    } finally {
      writing = false;
      await db(db2, 'START SLAVE SQL_THREAD;');
    }
    await writer;
    await waitFor('db2 online again', async () => (await admin(px, `SELECT status FROM stats_mysql_connection_pool WHERE srv_host = '${db2.address}'`)).flat()[0] === 'ONLINE', 45_000, 500);
    // Caught up: the rows written while it lagged are there, and reads go to it again.
    const written = (await db(db1, "SELECT COUNT(*) FROM restro.orders WHERE item LIKE 'lag-%';")).trim();
    await waitFor('db2 caught up', async () => (await db(db2, "SELECT COUNT(*) FROM restro.orders WHERE item LIKE 'lag-%';")).trim() === written, 20_000);
    await waitFor('reads from db2 again', async () => (await app(px, 'SELECT @@hostname')).flat()[0] === 'db2', 20_000);
  }, 180_000);
});

describe('pool size under load', () => {
  test('300 clients through 6033 for 10 s: all accepted, and the backend connections to each server never exceed the rendered max_connections', async () => {
    // The frontend limit pinned to take every one of 300 clients (the 300 profile plans 60 PHP workers and 120).
    profileFile = pinnedProfile('pinned.yaml', { 'proxysql.max_connections': 320, 'proxysql.backend_max_connections': 20, 'proxysql.free_connections_pct': 25 });
    siteFile = site('site.yaml');
    const applied = await cli(['apply', '--yes', '--site', siteFile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    // The rendered pool per server (the runtime equals the cnf, shown above), summed over its hostgroups.
    const limit = new Map<string, number>();
    for (const [host, n] of await admin(px, 'SELECT hostname, max_connections FROM runtime_mysql_servers')) limit.set(host, (limit.get(host) ?? 0) + Number(n));
    expect(limit.get(db1.address)).toBe(20);
    expect(limit.get(db2.address)).toBe(20);
    const mysqlMax = Number((await db(db1, 'SELECT @@max_connections;')).trim());

    await sh(px, 'cat > /root/proxysql-load.php', readFileSync(new URL('../tools/proxysql-load.php', import.meta.url), 'utf8'));
    const load = sh(px, 'timeout 90 php /root/proxysql-load.php 300 10 127.0.0.1 6033 restro restro', `${APP_PASSWORD}\n`, 120_000);
    const peak = { backend: new Map<string, number>(), threads: new Map<string, number>(), clients: 0 };
    let running = true;
    void load.finally(() => (running = false)).catch(() => undefined);
    const deadline = Date.now() + 60_000;
    while (running && Date.now() < deadline) {
      const pool = await admin(px, "SELECT srv_host, SUM(ConnUsed + ConnFree) FROM stats_mysql_connection_pool GROUP BY srv_host; SELECT 'clients', Variable_Value FROM stats_mysql_global WHERE Variable_Name = 'Client_Connections_connected'");
      for (const [host, n] of pool) {
        if (host === 'clients') peak.clients = Math.max(peak.clients, Number(n));
        else peak.backend.set(host, Math.max(peak.backend.get(host) ?? 0, Number(n)));
      }
      for (const h of [db1, db2]) {
        const t = Number((await db(h, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_CONNECTED';")).trim());
        peak.threads.set(h.name, Math.max(peak.threads.get(h.name) ?? 0, t));
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    const result = JSON.parse(await load) as { connected: number; refused: number; queries: number; errors: number; firstError: string | null };
    // Every client was accepted and served.
    expect(result, JSON.stringify(result)).toMatchObject({ connected: 300, refused: 0, errors: 0 });
    expect(result.queries).toBeGreaterThan(1000);
    expect(peak.clients).toBeGreaterThanOrEqual(250);
    // The pool held: at most the rendered max_connections per server, on ProxySQL's side and on the servers' side.
    for (const h of [db1, db2]) {
      expect(peak.backend.get(h.address), `backend connections to ${h.name}`).toBeGreaterThan(0);
      expect(peak.backend.get(h.address), `backend connections to ${h.name}`).toBeLessThanOrEqual(limit.get(h.address)!);
      expect(peak.threads.get(h.name), `Threads_connected on ${h.name}`).toBeLessThanOrEqual(mysqlMax);
    }
    const maxUsed = await admin(px, 'SELECT srv_host, SUM(MaxConnUsed) FROM stats_mysql_connection_pool GROUP BY srv_host');
    for (const [host, n] of maxUsed) expect(Number(n), `MaxConnUsed on ${host}`).toBeLessThanOrEqual(limit.get(host)!);
  }, 240_000);
});

describe('a stopped ProxySQL whose database exists', () => {
  test('is started with --initial, so that it reads the new cnf rather than its old database', async () => {
    await sh(px, 'service proxysql stop');
    profileFile = pinnedProfile('pinned.yaml', { 'proxysql.max_connections': 330, 'proxysql.backend_max_connections': 20, 'proxysql.free_connections_pct': 25 });
    siteFile = site('site.yaml');
    const plan = await cli(['plan', '--site', siteFile]);
    expect(plan.stdout).toMatch(/start\s+proxysql: ProxySQL is not running and its database exists: it is started with --initial/);
    const applied = await cli(['apply', '--yes', '--site', siteFile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/\[px\] proxysql start: service proxysql initial/);
    expect((await admin(px, "SELECT variable_value FROM runtime_global_variables WHERE variable_name = 'mysql-max_connections'")).flat()).toEqual(['330']);
    expect((await admin(px, 'SELECT DISTINCT max_connections FROM disk.mysql_users')).flat()).toEqual(['330']);
    expect(await sh(px, 'ls /var/lib/proxysql/proxysql.db.bak')).toContain('proxysql.db.bak');
    expect((await cli(['plan', '--site', siteFile, '--detailed-exitcode'])).code).toBe(0);
  }, 150_000);
});

describe('a ProxySQL already running on the package sample cnf (admin/admin)', () => {
  let own: TestHost[] = [];
  beforeAll(async () => {
    own = await startHosts([
      { name: 'spx', services: ['proxysql', 'redis'] }, // started by its init script on the sample cnf, as by hand
      { name: 'sdb', services: ['mariadb'] },
    ]);
  }, 120_000);
  afterAll(async () => {
    if (own.length) await stopHosts(own);
  });

  test('plan names the refused admin login and the ways out; stopped, apply starts it with --initial on the rendered cnf', async () => {
    const [spx, sdb] = own;
    const roles: Record<string, string[]> = { spx: ['proxysql', 'cache'], sdb: ['db-primary'] };
    const file = writeSite(path.join(dir, 'sample.yaml'), '300', own.map((h) => ({ name: h.name, address: h.address, identity: h.rootKey, hostKey: h.hostKeyFingerprint, roles: roles[h.name] })));
    await db(sdb, 'CREATE DATABASE restro;');
    const plan = await cli(['plan', '--site', file]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('spx secrets.proxysql_admin_password: ProxySQL runs, but its admin interface (127.0.0.1:6032) refuses the admin login with this password');
    expect(plan.stderr).toContain('or stop ProxySQL, and apply starts it with --initial on the rendered cnf');

    await sh(spx, 'service proxysql stop');
    const applied = await cli(['apply', '--yes', '--site', file]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/\[spx\] proxysql start: service proxysql initial/);
    expect(await admin(spx, 'SELECT hostgroup_id, hostname FROM runtime_mysql_servers ORDER BY hostgroup_id')).toEqual([['10', sdb.address], ['20', sdb.address]]);
    expect(await app(spx, 'SELECT @@hostname')).toEqual([['sdb']]);
    expect((await cli(['plan', '--site', file, '--detailed-exitcode'])).code).toBe(0);
  }, 150_000);
});
