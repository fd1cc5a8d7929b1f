// The real ProxySQL is proven end to end in test/e2e/proxysql.test.ts. What stays here, without a daemon, is what the
// live site does not hold and would take a ProxySQL start per case to show:
// - libconfig, the library ProxySQL reads proxysql.cnf with: a small C reader (test/tools/libconfig-to-json.c), built
//   against libconfig-dev in the test, parses the rendered reference site (secrets with backslashes and `&`, the
//   placeholders `render` writes without secrets, libconfig's refusal of a trailing comma) and prints what it holds;
//   the e2e test uses the same reader to compare a live host's cnf with its runtime tables;
// - SQLite, which is what ProxySQL's admin interface is: the whole admin SQL, with quotes in secrets, runs against
//   tables shaped like ProxySQL's (test/tools/proxysql-admin-tables.sql) holding a stale row the DELETE must remove.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { proxysqlAdminSql, proxysqlAdminTables } from '../../src/render/proxysql-admin.js';
import { renderHost } from '../../src/render/render.js';
import { secretPlaceholder } from '../../src/render/types.js';
import type { SecretValues } from '../../src/config/types.js';
import type { ProxysqlSizing } from '../../src/sizing/types.js';
import { referenceSecrets, referenceSite, referenceSizing } from '../fixtures/sizing.js';
import { buildTool, makeTempDir, removeDir, requireBinary, run, TOOLS_DIR } from './helpers.js';

function proxysqlSizing(): { sizing: ReturnType<typeof referenceSizing>; p: ProxysqlSizing } {
  const sizing = referenceSizing();
  return { sizing, p: sizing.hosts.find((h) => h.proxysql)!.proxysql! };
}

describe('proxysql.cnf parsed with libconfig', () => {
  let dir: string;
  let reader: string;

  beforeAll(() => {
    dir = makeTempDir('libconfig');
    reader = buildTool(join(TOOLS_DIR, 'libconfig-to-json.c'), join(dir, 'libconfig-to-json'), ['-lconfig']);
  });
  afterAll(() => removeDir(dir));

  async function parse(secrets: SecretValues): Promise<Record<string, unknown>> {
    const { sizing } = proxysqlSizing();
    const host = sizing.hosts.find((h) => h.proxysql)!;
    const cnf = renderHost(host, sizing, referenceSite(), secrets).find((f) => f.service === 'proxysql')!;
    const path = join(dir, 'proxysql.cnf');
    writeFileSync(path, cnf.content, { mode: 0o600 });
    const res = await run(reader, [path], { timeoutMs: 5_000 });
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as Record<string, unknown>;
  }

  test('holds the planned servers, users, rules, hostgroups and variables', async () => {
    const cfg = await parse(referenceSecrets);
    expect(cfg.datadir).toBe('/var/lib/proxysql');
    expect(cfg.admin_variables).toEqual({ admin_credentials: 'admin:adm1n pw', mysql_ifaces: '127.0.0.1:6032', stats_credentials: 'stats:adm1n pw' });
    expect(cfg.mysql_variables).toEqual({
      threads: 2,
      max_connections: 400,
      interfaces: '127.0.0.1:6033;10.0.0.20:6033',
      monitor_username: 'monitor',
      monitor_password: 'mon\\itor',
      monitor_connect_interval: 60000,
      monitor_ping_interval: 10000,
      monitor_read_only_interval: 1500,
      monitor_read_only_timeout: 500,
      monitor_replication_lag_interval: 10000,
      free_connections_pct: 10,
      connection_max_age_ms: 300000,
    });
    expect(cfg.mysql_servers).toEqual([
      { hostgroup_id: 10, hostname: '10.0.0.31', port: 3306, weight: 1, max_connections: 100, max_replication_lag: 0, comment: 'db1 primary' },
      { hostgroup_id: 20, hostname: '10.0.0.32', port: 3306, weight: 1, max_connections: 100, max_replication_lag: 30, comment: 'db2 replica' },
    ]);
    expect(cfg.mysql_users).toEqual([
      { username: 'restro', password: 'app\\pw&1', active: 1, default_hostgroup: 10, transaction_persistent: 1, max_connections: 400, comment: 'the application, writes by default' },
    ]);
    expect(cfg.mysql_query_rules).toEqual([
      { rule_id: 1, active: 1, match_digest: '^SELECT.*FOR UPDATE', destination_hostgroup: 10, apply: 1, comment: 'locking reads go to the writer' },
      { rule_id: 2, active: 1, match_digest: '^SELECT', destination_hostgroup: 20, apply: 1, comment: 'other reads go to the readers' },
    ]);
    expect(cfg.mysql_replication_hostgroups).toEqual([
      { writer_hostgroup: 10, reader_hostgroup: 20, check_type: 'read_only', comment: 'writer and readers by read_only' },
    ]);
  });

  test('without secrets the placeholders parse too', async () => {
    const cfg = await parse({});
    expect((cfg.admin_variables as Record<string, string>).admin_credentials).toBe(`admin:${secretPlaceholder('proxysql_admin_password')}`);
    expect((cfg.mysql_users as Record<string, string>[])[0].password).toBe(secretPlaceholder('app_db_password'));
  });

  test('the reader rejects what libconfig rejects (a trailing comma, as libconfig 1.5 does)', async () => {
    const path = join(dir, 'broken.cnf');
    writeFileSync(path, 'mysql_servers =\n(\n  { hostname = "a" },\n)\n');
    const res = await run(reader, [path], { timeoutMs: 5_000 });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/broken\.cnf:4: syntax error/);
  });
});

describe('admin SQL against SQLite tables shaped like ProxySQL\'s', () => {
  let dir: string;
  let sqlite: string;
  let db: string;
  // Quotes and backslashes reach SQL fine (only the cnf reader cannot carry quotes).
  const secrets: SecretValues = { app_db_password: "it's\\a pw", proxysql_monitor_password: 'mon"it\'or', proxysql_admin_password: 'adm\\in' };

  beforeAll(async () => {
    sqlite = requireBinary('sqlite3', 'sqlite3');
    dir = makeTempDir('proxysql-admin');
    db = join(dir, 'admin.db');
    const res = await run(sqlite, ['-bail', db], { input: readFileSync(join(TOOLS_DIR, 'proxysql-admin-tables.sql'), 'utf8') });
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(() => removeDir(dir));

  /** Runs statements (LOAD/SAVE left aside: SQLite has no runtime) and returns each one's change count. */
  async function apply(statements: string[]): Promise<number[]> {
    const sql = statements.filter((s) => !/^(LOAD|SAVE) /.test(s));
    const res = await run(sqlite, ['-bail', db], { input: `.changes on\n${sql.join('\n')}\n` });
    expect(res.code, res.stderr).toBe(0);
    const counts = res.stdout.split('\n').filter((l) => l.startsWith('changes:')).map((l) => Number(/changes:\s+(\d+)/.exec(l)![1]));
    expect(counts).toHaveLength(sql.length);
    return counts;
  }

  async function select(sql: string): Promise<Record<string, unknown>[]> {
    const res = await run(sqlite, ['-json', db, sql]);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.trim() === '' ? [] : (JSON.parse(res.stdout) as Record<string, unknown>[]);
  }

  test('every statement applies, each UPDATE hits its variable, and the rows read back are the planned ones', async () => {
    const { p } = proxysqlSizing();
    const all = proxysqlAdminSql(p, secrets);
    expect(all.slice(-12)).toEqual([
      'LOAD MYSQL SERVERS TO RUNTIME;', 'SAVE MYSQL SERVERS TO DISK;',
      'LOAD MYSQL USERS TO RUNTIME;', 'SAVE MYSQL USERS TO DISK;',
      'LOAD MYSQL QUERY RULES TO RUNTIME;', 'SAVE MYSQL QUERY RULES TO DISK;',
      'LOAD MYSQL VARIABLES TO RUNTIME;',
      "UPDATE global_variables SET variable_value = '2' WHERE variable_name = 'mysql-threads';",
      "UPDATE global_variables SET variable_value = '127.0.0.1:6033;10.0.0.20:6033' WHERE variable_name = 'mysql-interfaces';",
      'SAVE MYSQL VARIABLES TO DISK;',
      'LOAD ADMIN VARIABLES TO RUNTIME;', 'SAVE ADMIN VARIABLES TO DISK;',
    ]);
    // A stale row, as a hand edit would leave: DELETE must remove it.
    await apply(["INSERT INTO mysql_servers (hostgroup_id, hostname) VALUES (99, 'stale');"]);
    const sql = all.filter((s) => !/^(LOAD|SAVE) /.test(s));
    const counts = await apply(all);
    sql.forEach((s, i) => {
      if (s.startsWith('INSERT') || s.startsWith('UPDATE')) expect(counts[i], s).toBe(1);
    });

    expect(await select('SELECT hostgroup_id, hostname, port, status, weight, max_connections, max_replication_lag, comment FROM mysql_servers ORDER BY hostgroup_id')).toEqual([
      { hostgroup_id: 10, hostname: '10.0.0.31', port: 3306, status: 'ONLINE', weight: 1, max_connections: 100, max_replication_lag: 0, comment: 'db1 primary' },
      { hostgroup_id: 20, hostname: '10.0.0.32', port: 3306, status: 'ONLINE', weight: 1, max_connections: 100, max_replication_lag: 30, comment: 'db2 replica' },
    ]);
    expect(await select('SELECT username, password, active, default_hostgroup, transaction_persistent, frontend, backend, max_connections FROM mysql_users')).toEqual([
      { username: 'restro', password: "it's\\a pw", active: 1, default_hostgroup: 10, transaction_persistent: 1, frontend: 1, backend: 1, max_connections: 400 },
    ]);
    expect(await select('SELECT rule_id, active, match_digest, destination_hostgroup, apply FROM mysql_query_rules ORDER BY rule_id')).toEqual([
      { rule_id: 1, active: 1, match_digest: '^SELECT.*FOR UPDATE', destination_hostgroup: 10, apply: 1 },
      { rule_id: 2, active: 1, match_digest: '^SELECT', destination_hostgroup: 20, apply: 1 },
    ]);
    expect(await select('SELECT writer_hostgroup, reader_hostgroup, check_type FROM mysql_replication_hostgroups')).toEqual([
      { writer_hostgroup: 10, reader_hostgroup: 20, check_type: 'read_only' },
    ]);
    const vars = Object.fromEntries((await select('SELECT variable_name, variable_value FROM global_variables')).map((r) => [r.variable_name, r.variable_value]));
    expect(vars).toEqual({
      'mysql-threads': '2',
      'mysql-max_connections': '400',
      'mysql-interfaces': '127.0.0.1:6033;10.0.0.20:6033',
      'mysql-monitor_username': 'monitor',
      'mysql-monitor_password': 'mon"it\'or',
      'mysql-monitor_connect_interval': '60000',
      'mysql-monitor_ping_interval': '10000',
      'mysql-monitor_read_only_interval': '1500',
      'mysql-monitor_read_only_timeout': '500',
      'mysql-monitor_replication_lag_interval': '10000',
      'mysql-free_connections_pct': '10',
      'mysql-connection_max_age_ms': '300000',
      'mysql-multiplexing': 'true',
      'admin-admin_credentials': 'admin:adm\\in',
      'admin-mysql_ifaces': '127.0.0.1:6032',
      'admin-stats_credentials': 'stats:adm\\in',
    });
  });

  test('the per-table rows are what the tables hold, and a second run changes nothing', async () => {
    const { p } = proxysqlSizing();
    await apply(proxysqlAdminSql(p, secrets));
    const before = await select('SELECT * FROM mysql_servers ORDER BY hostgroup_id');
    await apply(proxysqlAdminSql(p, secrets));
    expect(await select('SELECT * FROM mysql_servers ORDER BY hostgroup_id')).toEqual(before);
    for (const t of proxysqlAdminTables(p, secrets).filter((x) => x.table !== 'global_variables')) {
      const cols = Object.keys(t.rows[0]);
      const rows = await select(`SELECT ${cols.join(', ')} FROM ${t.table}`);
      expect(rows, t.table).toEqual(t.rows);
    }
  });
});
