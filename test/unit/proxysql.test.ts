// ProxySQL at runtime without ProxySQL (the live daemon is in test/e2e/proxysql.test.ts): each table's drift case one by
// one against a fake admin port that records what it is sent (live, that would take a ProxySQL per case); the port
// over a transport (command, stdin, `--batch` parsing); and the whole read -> diff -> apply loop against SQLite tables
// shaped like ProxySQL's admin tables (test/tools/proxysql-admin-tables.sql, the render tests' schema), where SQLite
// stands in for the admin interface and its tables for the runtime_* ones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { transportAdminPort } from '../../src/proxysql/admin.js';
import { applyProxysqlRuntime, diffRuntime, nativePasswordHash, readRuntime, runtimeChange, runtimeQuery, tableKey, type AdminPort, type RuntimeRow } from '../../src/proxysql/runtime.js';
import { proxysqlAdminTables } from '../../src/render/proxysql-admin.js';
import type { SecretValues } from '../../src/config/types.js';
import type { ProxysqlSizing } from '../../src/sizing/types.js';
import { FakeTransport } from '../../src/transport/double.js';
import { referenceSizing } from '../fixtures/sizing.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const secrets: SecretValues = { app_db_password: "app'pw\\1", proxysql_admin_password: 'adm1n-pw', proxysql_monitor_password: 'mon-pw' };
const SECRET_VALUES = Object.values(secrets) as string[];

function sizing(): ProxysqlSizing {
  return structuredClone(referenceSizing().hosts.find((h) => h.proxysql)!.proxysql!);
}

/** Runtime rows exactly as wanted, as the admin interface prints them (text cells). */
function runtimeAsWanted(p: ProxysqlSizing): Map<string, RuntimeRow[]> {
  return new Map(proxysqlAdminTables(p, secrets).map((t) => [tableKey(t), t.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])))]));
}

/** A fake admin endpoint: answers runtime queries from a map, records every statement it is sent. */
class FakeAdmin implements AdminPort {
  readonly sent: string[] = [];
  readonly queries: string[] = [];
  constructor(private readonly runtime: Map<string, RuntimeRow[]>, private readonly p: ProxysqlSizing) {}
  async query(sql: string): Promise<RuntimeRow[]> {
    this.queries.push(sql);
    const t = proxysqlAdminTables(this.p, secrets).find((x) => runtimeQuery(x) === sql);
    return t ? (this.runtime.get(tableKey(t)) ?? []) : [];
  }
  async exec(statements: string[]): Promise<void> {
    this.sent.push(...statements);
  }
}

describe('runtime diff', () => {
  test('runtime as wanted: nothing to do, nothing sent', async () => {
    const p = sizing();
    const admin = new FakeAdmin(runtimeAsWanted(p), p);
    const change = await applyProxysqlRuntime(admin, p, secrets);
    expect(change).toEqual({ drift: [], statements: [], masked: [], restart: [], undo: [] });
    expect(admin.sent).toEqual([]);
    expect(admin.queries).toHaveLength(6);
  });

  test('mysql-interfaces differs: a restart is needed, the value is written again after LOAD, and undo puts the running one back', async () => {
    const p = sizing();
    const runtime = runtimeAsWanted(p);
    const vars = runtime.get('global_variables/MYSQL VARIABLES')!;
    vars.find((r) => r.variable_name === 'mysql-interfaces')!.variable_value = '0.0.0.0:6033';
    const change = runtimeChange(p, secrets, runtime);
    expect(change.restart).toEqual(['mysql-interfaces']);
    const load = change.statements.indexOf('LOAD MYSQL VARIABLES TO RUNTIME;');
    expect(change.statements.slice(load)).toEqual([
      'LOAD MYSQL VARIABLES TO RUNTIME;',
      "UPDATE global_variables SET variable_value = '2' WHERE variable_name = 'mysql-threads';",
      "UPDATE global_variables SET variable_value = '127.0.0.1:6033;10.0.0.20:6033' WHERE variable_name = 'mysql-interfaces';",
      'SAVE MYSQL VARIABLES TO DISK;',
    ]);
    expect(change.undo).toEqual([
      "UPDATE global_variables SET variable_value = '0.0.0.0:6033' WHERE variable_name = 'mysql-interfaces';",
      'LOAD MYSQL VARIABLES TO RUNTIME;',
      "UPDATE global_variables SET variable_value = '0.0.0.0:6033' WHERE variable_name = 'mysql-interfaces';",
      'SAVE MYSQL VARIABLES TO DISK;',
    ]);
    // Any other variable: no restart.
    vars.find((r) => r.variable_name === 'mysql-interfaces')!.variable_value = '127.0.0.1:6033;10.0.0.20:6033';
    vars.find((r) => r.variable_name === 'mysql-max_connections')!.variable_value = '7';
    expect(runtimeChange(p, secrets, runtime).restart).toEqual([]);
  });

  test('a server changed by hand: only mysql_servers is rewritten, then LOAD/SAVE MYSQL SERVERS', async () => {
    const p = sizing();
    const runtime = runtimeAsWanted(p);
    runtime.get('mysql_servers/MYSQL SERVERS')![1].max_connections = '5';
    const admin = new FakeAdmin(runtime, p);
    const change = await applyProxysqlRuntime(admin, p, secrets);
    expect(change.drift).toEqual([
      {
        table: 'mysql_servers',
        module: 'MYSQL SERVERS',
        missing: [{ hostgroup_id: '20', hostname: '10.0.0.32', port: '3306', weight: '1', max_connections: '100', max_replication_lag: '30', comment: 'db2 replica' }],
        extra: [{ hostgroup_id: '20', hostname: '10.0.0.32', port: '3306', weight: '1', max_connections: '5', max_replication_lag: '30', comment: 'db2 replica' }],
      },
    ]);
    expect(admin.sent).toEqual([
      'DELETE FROM mysql_servers;',
      "INSERT INTO mysql_servers (hostgroup_id, hostname, port, weight, max_connections, max_replication_lag, comment) VALUES (10, '10.0.0.31', 3306, 1, 100, 0, 'db1 primary');",
      "INSERT INTO mysql_servers (hostgroup_id, hostname, port, weight, max_connections, max_replication_lag, comment) VALUES (20, '10.0.0.32', 3306, 1, 100, 30, 'db2 replica');",
      'LOAD MYSQL SERVERS TO RUNTIME;',
      'SAVE MYSQL SERVERS TO DISK;',
    ]);
  });

  test('a changed user password and a changed variable: two modules, secrets only in the real statements', () => {
    const p = sizing();
    const runtime = runtimeAsWanted(p);
    runtime.get('mysql_users/MYSQL USERS')![0].password = 'old';
    runtime.get('global_variables/MYSQL VARIABLES')!.find((r) => r.variable_name === 'mysql-monitor_password')!.variable_value = 'old-mon';
    const change = runtimeChange(p, secrets, runtime);
    expect(change.drift.map((d) => d.table)).toEqual(['mysql_users', 'global_variables']);
    expect(change.masked.filter((s) => /^(LOAD|SAVE)/.test(s))).toEqual(['LOAD MYSQL USERS TO RUNTIME;', 'SAVE MYSQL USERS TO DISK;', 'LOAD MYSQL VARIABLES TO RUNTIME;', 'SAVE MYSQL VARIABLES TO DISK;']);
    expect(change.masked).toHaveLength(change.statements.length);
    const masked = JSON.stringify([change.masked, change.drift]);
    for (const v of SECRET_VALUES) expect(masked).not.toContain(v);
    expect(change.statements.join('\n')).toContain("'app''pw' || char(92) || '1'");
    expect(change.masked.join('\n')).toContain("'********'");
  });

  test('a password ProxySQL keeps hashed at runtime (admin-hash_passwords) counts as the same', () => {
    const p = sizing();
    const runtime = runtimeAsWanted(p);
    runtime.get('mysql_users/MYSQL USERS')![0].password = nativePasswordHash(secrets.app_db_password!);
    expect(runtimeChange(p, secrets, runtime).drift).toEqual([]);
    expect(nativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });

  test('a rule added by hand is extra; a missing rule is missing; variables are never removed', () => {
    const p = sizing();
    const runtime = runtimeAsWanted(p);
    runtime.get('mysql_query_rules/MYSQL QUERY RULES')!.push({ rule_id: '9', active: '1', match_digest: '^DELETE', destination_hostgroup: '20', apply: '1', comment: 'by hand' });
    runtime.get('global_variables/ADMIN VARIABLES')!.push({ variable_name: 'admin-other', variable_value: 'x' });
    const drift = diffRuntime(proxysqlAdminTables(p, secrets), runtime, secrets);
    expect(drift.map((d) => [d.table, d.missing.length, d.extra.length])).toEqual([['mysql_query_rules', 0, 1]]);
  });
});

describe('the admin port over a transport', () => {
  test('mysql to 127.0.0.1:6032 with the password in a defaults file on stdin; rows parsed from --batch', async () => {
    const t = new FakeTransport('proxy1').on(/mysql --defaults-extra-file/, { code: 0, stdout: 'hostgroup_id\thostname\tcomment\n10\t10.0.0.31\tdb1\\tprimary\n' });
    const port = transportAdminPort(t, { password: 'adm1n-pw' });
    expect(await port.query('SELECT hostgroup_id, hostname, comment FROM runtime_mysql_servers')).toEqual([{ hostgroup_id: '10', hostname: '10.0.0.31', comment: 'db1\tprimary' }]);
    const call = t.log[0];
    expect(call.command).not.toContain('adm1n-pw');
    expect(call.command).toMatch(/mysql --defaults-extra-file="\$f" --batch --no-auto-rehash$/);
    expect(call.stdin).toBe('[client]\nuser="admin"\npassword="adm1n-pw"\nhost="127.0.0.1"\nport=6032\nSELECT hostgroup_id, hostname, comment FROM runtime_mysql_servers;\n');
  });

  test('statements are sent in one script; a failure names the host and hides secrets', async () => {
    const t = new FakeTransport('proxy1').on(() => true, { code: 1, stderr: "ERROR 1045 (28000): near 'app-secret'" });
    const port = transportAdminPort(t, { password: 'adm1n-pw', secrets: ['app-secret'] });
    await expect(port.exec(['DELETE FROM mysql_servers', 'LOAD MYSQL SERVERS TO RUNTIME;'])).rejects.toThrow("proxy1: ProxySQL admin: mysql failed: ERROR 1045 (28000): near '********'");
    expect(t.log[0].stdin).toMatch(/port=6032\nDELETE FROM mysql_servers;\nLOAD MYSQL SERVERS TO RUNTIME;\n$/);
  });
});

describe('read -> diff -> apply against SQLite tables shaped like ProxySQL\'s', () => {
  let dir: string;
  let db: string;
  const sqlite = (input: string, args: string[] = []) => execFileSync('sqlite3', ['-bail', ...args, db], { input, encoding: 'utf8' });

  /** SQLite stands in for the admin interface: runtime_X reads X (there is no runtime layer), LOAD/SAVE are recorded. */
  class SqliteAdmin implements AdminPort {
    readonly loads: string[] = [];
    readonly sent: string[] = [];
    async query(sql: string): Promise<RuntimeRow[]> {
      const out = sqlite(sql.replace(/\bruntime_/g, ''), ['-json']).trim();
      const rows = out === '' ? [] : (JSON.parse(out) as Record<string, unknown>[]);
      return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
    }
    async exec(statements: string[]): Promise<void> {
      this.sent.push(...statements);
      this.loads.push(...statements.filter((s) => /^(LOAD|SAVE) /.test(s)));
      sqlite(statements.filter((s) => !/^(LOAD|SAVE) /.test(s)).join('\n') + '\n');
    }
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'proxysql-runtime-'));
    db = join(dir, 'admin.db');
    sqlite(readFileSync(join(HERE, '../tools/proxysql-admin-tables.sql'), 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('first run writes every table; a second changes nothing; a hand change is put back alone', async () => {
    const p = sizing();
    const admin = new SqliteAdmin();
    const first = await applyProxysqlRuntime(admin, p, secrets);
    expect(first.drift.map((d) => d.table)).toEqual(['mysql_servers', 'mysql_replication_hostgroups', 'mysql_users', 'mysql_query_rules', 'global_variables', 'global_variables']);
    expect(admin.loads).toHaveLength(10);

    const again = new SqliteAdmin();
    expect((await applyProxysqlRuntime(again, p, secrets)).drift).toEqual([]);
    expect(again.sent).toEqual([]);

    sqlite("UPDATE mysql_query_rules SET destination_hostgroup = 10 WHERE rule_id = 2; UPDATE global_variables SET variable_value = '9' WHERE variable_name = 'mysql-threads';\n");
    const repair = new SqliteAdmin();
    const fixed = await applyProxysqlRuntime(repair, p, secrets);
    expect(fixed.drift.map((d) => [d.table, d.module])).toEqual([['mysql_query_rules', 'MYSQL QUERY RULES'], ['global_variables', 'MYSQL VARIABLES']]);
    expect(repair.loads).toEqual(['LOAD MYSQL QUERY RULES TO RUNTIME;', 'SAVE MYSQL QUERY RULES TO DISK;', 'LOAD MYSQL VARIABLES TO RUNTIME;', 'SAVE MYSQL VARIABLES TO DISK;']);
    expect(repair.sent.some((s) => s.includes('mysql_servers'))).toBe(false);
    expect((await readRuntime(new SqliteAdmin(), proxysqlAdminTables(p, secrets))).get('mysql_query_rules/MYSQL QUERY RULES')!.map((r) => r.destination_hostgroup)).toEqual(['10', '20']);
  });

  test('a new replica in the sizing adds one server row and touches nothing else', async () => {
    const p = sizing();
    await applyProxysqlRuntime(new SqliteAdmin(), p, secrets);
    p.servers.push({ address: '10.0.0.33', port: 3306, hostgroup: 20, maxConnections: 100, weight: 1, maxReplicationLag: 30, comment: 'db3 replica' });
    const admin = new SqliteAdmin();
    const change = await applyProxysqlRuntime(admin, p, secrets);
    expect(change.drift).toHaveLength(1);
    expect(change.drift[0].missing.map((r) => r.hostname)).toEqual(['10.0.0.33']);
    expect(admin.loads).toEqual(['LOAD MYSQL SERVERS TO RUNTIME;', 'SAVE MYSQL SERVERS TO DISK;']);
    expect(sqlite('SELECT hostname FROM mysql_servers ORDER BY hostname;\n')).toBe('10.0.0.31\n10.0.0.32\n10.0.0.33\n');
  });
});

describe('the ProxySQL checker without ProxySQL', () => {
  test('falls back to python3-libconf, and without it exits NO_PARSER_EXIT (skipped with a note, never passed)', async () => {
    const { proxysqlChecker } = await import('../../src/apply/checkers.js');
    const { NO_PARSER_EXIT } = await import('../../src/apply/file-steps.js');
    // A PATH holding only sh: no proxysql, no python3.
    const bin = mkdtempSync(join(tmpdir(), 'stackscale-nopx-'));
    try {
      execFileSync('ln', ['-s', execFileSync('sh', ['-c', 'command -v sh']).toString().trim(), join(bin, 'sh')]);
      const { argv } = proxysqlChecker('/nonexistent.cnf', '/etc/proxysql.cnf');
      let code = 0;
      try {
        execFileSync(join(bin, 'sh'), argv.slice(1), { env: { PATH: bin }, stdio: 'pipe' });
      } catch (err) {
        code = (err as { status: number }).status;
      }
      expect(code).toBe(NO_PARSER_EXIT);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('the health check reads the client interfaces from the cnf', async () => {
    const { proxysqlInterfaces } = await import('../../src/proxysql/admin.js');
    const cnf = 'admin_variables =\n{\n  mysql_ifaces = "127.0.0.1:6032"\n}\nmysql_variables =\n{\n  threads = 2\n  interfaces = "127.0.0.1:6033;10.0.0.20:6033"\n}\n';
    expect(proxysqlInterfaces(cnf)).toEqual(['127.0.0.1:6033', '10.0.0.20:6033']);
    expect(proxysqlInterfaces(undefined)).toEqual([]);
  });
});

describe('a rollback reaches the runtime of a running ProxySQL', () => {
  const CNF = '/etc/proxysql.cnf';
  const cnf = (password: string, threads: number, interfaces: string) =>
    `admin_variables =\n{\n  admin_credentials = "admin:${password}"\n  mysql_ifaces = "127.0.0.1:6032"\n}\n` +
    `mysql_variables =\n{\n  threads = ${threads}\n  max_connections = 400\n  interfaces = "${interfaces}"\n}\n`;
  const SNAPSHOT = '/var/backups/stackscale/20250101T000000Z-aaaa/snapshot/etc/proxysql.cnf';
  const target = {
    deployId: '20250101T000000Z-aaaa', time: '', profile: '300', toolVersion: '0.1.0', kind: 'apply' as const,
    files: [{ path: CNF, sha256: '', backup: null, snapshot: SNAPSHOT, service: 'proxysql' as const, mode: 0o640, owner: 'root', group: 'proxysql', secrets: [] }],
  };
  const host = { name: 'px', roles: ['proxysql'] };
  async function jobFor(restored: string, live: string, proxysql: { running: boolean; database?: boolean }) {
    const { rollbackJob } = await import('../../src/apply/rollback.js');
    const { facts } = await import('./apply-fake-host.js');
    const t = new FakeTransport('px', { files: { [SNAPSHOT]: restored, [CNF]: live } });
    return rollbackJob(t, host, facts({ [CNF]: live }, { proxysql: { version: '2.4.8', ...proxysql } }), target, {});
  }

  test('the cnf read back by ProxySQL itself: owned tables emptied before LOAD ... FROM CONFIG, restart-only variables saved after the LOAD', async () => {
    const { proxysqlFromConfigSql } = await import('../../src/render/proxysql-admin.js');
    const sql = proxysqlFromConfigSql();
    for (const [table, module] of [['mysql_servers', 'MYSQL SERVERS'], ['mysql_replication_hostgroups', 'MYSQL SERVERS'], ['mysql_users', 'MYSQL USERS'], ['mysql_query_rules', 'MYSQL QUERY RULES']]) {
      expect(sql.indexOf(`DELETE FROM ${table};`), table).toBeGreaterThanOrEqual(0);
      expect(sql.indexOf(`DELETE FROM ${table};`), table).toBeLessThan(sql.indexOf(`LOAD ${module} FROM CONFIG;`));
    }
    expect(sql.join(' ')).not.toMatch(/DELETE FROM global_variables/);
    // Every module loaded from the cnf goes to runtime and to disk, in that order.
    for (const m of ['MYSQL SERVERS', 'MYSQL USERS', 'MYSQL QUERY RULES', 'MYSQL VARIABLES', 'ADMIN VARIABLES']) {
      expect(sql.indexOf(`LOAD ${m} FROM CONFIG;`), m).toBeLessThan(sql.indexOf(`LOAD ${m} TO RUNTIME;`));
      expect(sql.indexOf(`LOAD ${m} TO RUNTIME;`), m).toBeLessThan(sql.indexOf(`SAVE ${m} TO DISK;`));
    }
    const toRuntime = sql.indexOf('LOAD MYSQL VARIABLES TO RUNTIME;');
    expect(sql.slice(toRuntime, sql.indexOf('SAVE MYSQL VARIABLES TO DISK;'))).toContain('LOAD MYSQL VARIABLES FROM CONFIG;');
  });

  test('reads a mysql_variables setting quoted or bare, and names the restart-only ones that differ', async () => {
    const { proxysqlMysqlVariable, proxysqlRestartOnlyChanges } = await import('../../src/proxysql/admin.js');
    const a = cnf('pw', 4, '127.0.0.1:6033');
    expect(proxysqlMysqlVariable(a, 'threads')).toBe('4');
    expect(proxysqlMysqlVariable(a, 'interfaces')).toBe('127.0.0.1:6033');
    expect(proxysqlMysqlVariable(a, 'monitor_username')).toBeUndefined();
    expect(proxysqlMysqlVariable('mysql_variables=\n{\nthreads=2\n}\n', 'threads')).toBe('2');
    expect(proxysqlRestartOnlyChanges(a, a)).toEqual([]);
    expect(proxysqlRestartOnlyChanges(a, cnf('pw', 2, '127.0.0.1:6033'))).toEqual(['mysql-threads']);
    expect(proxysqlRestartOnlyChanges(a, cnf('pw', 4, '127.0.0.1:6033;10.0.0.5:6033'))).toEqual(['mysql-interfaces']);
  });

  test('a changed cnf: the SQL loads it (and undoes by loading the one put back), logged in as the running cnf says; a restart when threads differ', async () => {
    const { proxysqlAdminAccess } = await import('../../src/apply/host-actions.js');
    const job = await jobFor(cnf('old-pw', 2, '127.0.0.1:6033'), cnf('new-pw', 4, '127.0.0.1:6033'), { running: true, database: true });
    expect(job.sql).toHaveLength(1);
    expect(job.sql[0]).toMatchObject({ target: 'proxysql-admin' });
    expect(job.sql[0].statements).toContain('LOAD MYSQL USERS FROM CONFIG;');
    expect(job.sql[0].undo).toEqual(job.sql[0].statements);
    // The plan shows the statements, never the undo.
    expect(job.plan.sql).toEqual([{ ...job.sql[0], undo: undefined }]);
    expect(job.plan.actions.filter((a) => a.service === 'proxysql')).toEqual([
      expect.objectContaining({ kind: 'restart', why: expect.stringMatching(/^mysql-threads changes only when ProxySQL restarts/) }),
    ]);
    // Its SQL logs in with the login ProxySQL runs with now; the undo with the one that SQL loaded.
    expect(proxysqlAdminAccess(job, 'before')?.password).toBe('new-pw');
    expect(proxysqlAdminAccess(job, 'after')?.password).toBe('old-pw');
  });

  test('no restart when only live settings differ; no SQL when ProxySQL is stopped (its start reads the cnf) or the cnf is the same', async () => {
    const live = await jobFor(cnf('pw', 4, '127.0.0.1:6033').replace('max_connections = 400', 'max_connections = 150'), cnf('pw', 4, '127.0.0.1:6033'), { running: true, database: true });
    expect(live.sql).toHaveLength(1);
    expect(live.plan.actions.filter((a) => a.service === 'proxysql').map((a) => a.kind)).toEqual(['admin']);
    const stopped = await jobFor(cnf('old-pw', 2, '127.0.0.1:6033'), cnf('new-pw', 4, '127.0.0.1:6033'), { running: false, database: true });
    expect(stopped.sql).toEqual([]);
    expect(stopped.plan.actions.find((a) => a.service === 'proxysql')?.why).toMatch(/started with --initial/);
    const same = await jobFor(cnf('pw', 4, '127.0.0.1:6033'), cnf('pw', 4, '127.0.0.1:6033'), { running: true, database: true });
    expect(same.sql).toEqual([]);
  });
});
