import { describe, expect, test } from 'vitest';
import { proxysqlAdminSql, proxysqlAdminTables, proxysqlLoadSave } from '../../src/render/proxysql-admin.js';
import { libconfigInt, libconfigString, redisArg, sqlString, sqlValue } from '../../src/render/quote.js';
import { referenceSizing } from '../fixtures/sizing.js';

const p = referenceSizing().hosts.find((h) => h.proxysql)!.proxysql!;
const PH = (k: string) => `STACKSCALE-SECRET-NOT-RENDERED(${k})`;

describe('proxysqlAdminSql', () => {
  test('is exactly the DELETE/INSERT, UPDATE and LOAD/SAVE sequence', () => {
    expect(proxysqlAdminSql(p, {})).toEqual([
      'DELETE FROM mysql_servers;',
      "INSERT INTO mysql_servers (hostgroup_id, hostname, port, weight, max_connections, max_replication_lag, comment) VALUES (10, '10.0.0.31', 3306, 1, 100, 0, 'db1 primary');",
      "INSERT INTO mysql_servers (hostgroup_id, hostname, port, weight, max_connections, max_replication_lag, comment) VALUES (20, '10.0.0.32', 3306, 1, 100, 30, 'db2 replica');",
      'DELETE FROM mysql_replication_hostgroups;',
      "INSERT INTO mysql_replication_hostgroups (writer_hostgroup, reader_hostgroup, check_type, comment) VALUES (10, 20, 'read_only', 'writer and readers by read_only');",
      'DELETE FROM mysql_users;',
      `INSERT INTO mysql_users (username, password, active, default_hostgroup, transaction_persistent, max_connections, comment) VALUES ('restro', '${PH('app_db_password')}', 1, 10, 1, 400, 'the application, writes by default');`,
      'DELETE FROM mysql_query_rules;',
      "INSERT INTO mysql_query_rules (rule_id, active, match_digest, destination_hostgroup, apply, comment) VALUES (1, 1, '^SELECT.*FOR UPDATE', 10, 1, 'locking reads go to the writer');",
      "INSERT INTO mysql_query_rules (rule_id, active, match_digest, destination_hostgroup, apply, comment) VALUES (2, 1, '^SELECT', 20, 1, 'other reads go to the readers');",
      "UPDATE global_variables SET variable_value = '2' WHERE variable_name = 'mysql-threads';",
      "UPDATE global_variables SET variable_value = '400' WHERE variable_name = 'mysql-max_connections';",
      "UPDATE global_variables SET variable_value = '127.0.0.1:6033;10.0.0.20:6033' WHERE variable_name = 'mysql-interfaces';",
      "UPDATE global_variables SET variable_value = 'monitor' WHERE variable_name = 'mysql-monitor_username';",
      `UPDATE global_variables SET variable_value = '${PH('proxysql_monitor_password')}' WHERE variable_name = 'mysql-monitor_password';`,
      "UPDATE global_variables SET variable_value = '60000' WHERE variable_name = 'mysql-monitor_connect_interval';",
      "UPDATE global_variables SET variable_value = '10000' WHERE variable_name = 'mysql-monitor_ping_interval';",
      "UPDATE global_variables SET variable_value = '1500' WHERE variable_name = 'mysql-monitor_read_only_interval';",
      "UPDATE global_variables SET variable_value = '500' WHERE variable_name = 'mysql-monitor_read_only_timeout';",
      "UPDATE global_variables SET variable_value = '10000' WHERE variable_name = 'mysql-monitor_replication_lag_interval';",
      "UPDATE global_variables SET variable_value = '10' WHERE variable_name = 'mysql-free_connections_pct';",
      "UPDATE global_variables SET variable_value = '300000' WHERE variable_name = 'mysql-connection_max_age_ms';",
      `UPDATE global_variables SET variable_value = 'admin:${PH('proxysql_admin_password')}' WHERE variable_name = 'admin-admin_credentials';`,
      "UPDATE global_variables SET variable_value = '127.0.0.1:6032' WHERE variable_name = 'admin-mysql_ifaces';",
      `UPDATE global_variables SET variable_value = 'stats:${PH('proxysql_admin_password')}' WHERE variable_name = 'admin-stats_credentials';`,
      'LOAD MYSQL SERVERS TO RUNTIME;',
      'SAVE MYSQL SERVERS TO DISK;',
      'LOAD MYSQL USERS TO RUNTIME;',
      'SAVE MYSQL USERS TO DISK;',
      'LOAD MYSQL QUERY RULES TO RUNTIME;',
      'SAVE MYSQL QUERY RULES TO DISK;',
      'LOAD MYSQL VARIABLES TO RUNTIME;',
      // Refused by LOAD (ProxySQL resets them to the running values), so written again to reach the disk.
      "UPDATE global_variables SET variable_value = '2' WHERE variable_name = 'mysql-threads';",
      "UPDATE global_variables SET variable_value = '127.0.0.1:6033;10.0.0.20:6033' WHERE variable_name = 'mysql-interfaces';",
      'SAVE MYSQL VARIABLES TO DISK;',
      'LOAD ADMIN VARIABLES TO RUNTIME;',
      'SAVE ADMIN VARIABLES TO DISK;',
    ]);
  });

  test('secret values are quoted for SQL, a backslash spliced in as char(92)', () => {
    const sql = proxysqlAdminSql(p, { app_db_password: "it's\\pw", proxysql_admin_password: 'a\\b', proxysql_monitor_password: 'm' });
    expect(sql).toContain(
      "INSERT INTO mysql_users (username, password, active, default_hostgroup, transaction_persistent, max_connections, comment) VALUES ('restro', 'it''s' || char(92) || 'pw', 1, 10, 1, 400, 'the application, writes by default');",
    );
    expect(sql).toContain("UPDATE global_variables SET variable_value = 'admin:a' || char(92) || 'b' WHERE variable_name = 'admin-admin_credentials';");
  });
});

describe('proxysqlAdminTables', () => {
  test('one entry a table (variables split by module), with rows, statements and secrets', () => {
    const tables = proxysqlAdminTables(p, { app_db_password: 'x' });
    expect(tables.map((t) => [t.table, t.module, t.rows.length, t.statements.length, t.secrets.join(',')])).toEqual([
      ['mysql_servers', 'MYSQL SERVERS', 2, 3, ''],
      ['mysql_replication_hostgroups', 'MYSQL SERVERS', 1, 2, ''],
      ['mysql_users', 'MYSQL USERS', 1, 2, 'app_db_password'],
      ['mysql_query_rules', 'MYSQL QUERY RULES', 2, 3, ''],
      ['global_variables', 'MYSQL VARIABLES', 12, 12, 'proxysql_monitor_password'],
      ['global_variables', 'ADMIN VARIABLES', 3, 3, 'proxysql_admin_password'],
    ]);
    expect(tables[2].rows[0]).toEqual({
      username: 'restro', password: 'x', active: 1, default_hostgroup: 10, transaction_persistent: 1, max_connections: 400, comment: 'the application, writes by default',
    });
    expect(tables[4].rows[0]).toEqual({ variable_name: 'mysql-threads', variable_value: '2' });
  });

  test('LOAD/SAVE only for the modules of the tables given, once each, in order', () => {
    const tables = proxysqlAdminTables(p, {});
    expect(proxysqlLoadSave([tables[2]])).toEqual(['LOAD MYSQL USERS TO RUNTIME;', 'SAVE MYSQL USERS TO DISK;']);
    expect(proxysqlLoadSave([tables[3], tables[1], tables[0]])).toEqual([
      'LOAD MYSQL SERVERS TO RUNTIME;', 'SAVE MYSQL SERVERS TO DISK;', 'LOAD MYSQL QUERY RULES TO RUNTIME;', 'SAVE MYSQL QUERY RULES TO DISK;',
    ]);
    expect(proxysqlLoadSave([])).toEqual([]);
  });
});

describe('quoting', () => {
  test('SQL', () => {
    expect(sqlString("a'b")).toBe("'a''b'");
    expect(sqlString('a\\b\\')).toBe("'a' || char(92) || 'b' || char(92) || ''");
    expect(sqlString('')).toBe("''");
    expect(() => sqlString('a\0b')).toThrow(/NUL/);
    expect(sqlValue(true)).toBe('1');
    expect(sqlValue(0)).toBe('0');
    expect(() => sqlValue(Number.NaN)).toThrow();
  });

  test('redis.conf arguments', () => {
    expect(redisArg('Plain-pw_1')).toBe('Plain-pw_1');
    expect(redisArg('')).toBe('""');
    expect(redisArg('a b')).toBe('"a b"');
    expect(redisArg(`q"\\'`)).toBe(`"q\\"\\\\'"`);
    expect(redisArg('tab\there\n')).toBe('"tab\\there\\n"');
    expect(redisArg('\x01')).toBe('"\\x01"');
  });

  test('libconfig', () => {
    expect(libconfigString('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(libconfigInt(2147483647)).toBe('2147483647');
    expect(libconfigInt(2147483648)).toBe('2147483648L');
    expect(() => libconfigInt(1.5)).toThrow();
  });
});
