// The admin-interface SQL that puts a running ProxySQL in the state proxysql.cnf describes. ProxySQL ignores its cnf
// once proxysql.db exists, so changes go in here: edit the memory tables, LOAD ... TO RUNTIME, SAVE ... TO DISK.
// The admin interface is SQLite behind the MySQL protocol; string literals are quoted for both (quote.ts sqlString).
import type { SecretKey } from '../config/types.js';
import type { ProxysqlSizing } from '../sizing/types.js';
import { sqlString, sqlValue } from './quote.js';
import { proxysqlState, type ProxysqlVariable, type Row } from './proxysql-state.js';
import type { SecretValues } from '../config/types.js';

/** What LOAD/SAVE names: one module covers servers and replication hostgroups alike. */
export type ProxysqlModule = 'MYSQL SERVERS' | 'MYSQL USERS' | 'MYSQL QUERY RULES' | 'MYSQL VARIABLES' | 'ADMIN VARIABLES';
export const PROXYSQL_MODULES: readonly ProxysqlModule[] = ['MYSQL SERVERS', 'MYSQL USERS', 'MYSQL QUERY RULES', 'MYSQL VARIABLES', 'ADMIN VARIABLES'];

export type ProxysqlTable = 'mysql_servers' | 'mysql_replication_hostgroups' | 'mysql_users' | 'mysql_query_rules' | 'global_variables';

export interface ProxysqlAdminTable {
  table: ProxysqlTable;
  module: ProxysqlModule;
  /** The rows wanted, column -> value (for global_variables: variable_name, variable_value), to compare with runtime_*. */
  rows: Row[];
  /** DELETE + INSERTs for a table stackscale owns whole; UPDATEs for variables. Without LOAD/SAVE. */
  statements: string[];
  secrets: SecretKey[];
  /** Statements to run again between LOAD ... TO RUNTIME and SAVE ... TO DISK (restart-only variables). */
  afterLoad?: string[];
}

/**
 * mysql- variables ProxySQL takes only at start. LOAD MYSQL VARIABLES TO RUNTIME refuses them and resets their memory
 * value to the running one (its log: "Impossible to set variable interfaces ... Resetting to current"), so a SAVE
 * after it would save the old value. They are written again after the LOAD, saved to disk, and a restart applies them.
 */
export const RESTART_ONLY_VARIABLES: readonly string[] = ['mysql-interfaces', 'mysql-threads'];

function insert(table: ProxysqlTable, row: Row): string {
  const cols = Object.keys(row);
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => sqlValue(row[c])).join(', ')});`;
}

/** The tables stackscale owns whole (every row is its), in the order written, with the module that loads each. */
const OWNED_TABLES: Record<Exclude<ProxysqlTable, 'global_variables'>, ProxysqlModule> = {
  mysql_servers: 'MYSQL SERVERS',
  mysql_replication_hostgroups: 'MYSQL SERVERS',
  mysql_users: 'MYSQL USERS',
  mysql_query_rules: 'MYSQL QUERY RULES',
};

function owned(table: keyof typeof OWNED_TABLES, rows: Row[], secrets: SecretKey[] = []): ProxysqlAdminTable {
  return { table, module: OWNED_TABLES[table], rows, statements: [`DELETE FROM ${table};`, ...rows.map((r) => insert(table, r))], secrets };
}

/** Variables: UPDATE, never DELETE (global_variables holds every variable ProxySQL has); values are text there. */
function variables(prefix: 'mysql' | 'admin', module: ProxysqlModule, vars: ProxysqlVariable[]): ProxysqlAdminTable {
  const rows = vars.map((v) => ({ variable_name: `${prefix}-${v.name}`, variable_value: String(v.value) }));
  const update = (r: (typeof rows)[number]) => `UPDATE global_variables SET variable_value = ${sqlString(r.variable_value)} WHERE variable_name = ${sqlString(r.variable_name)};`;
  return {
    table: 'global_variables',
    module,
    rows,
    statements: rows.map(update),
    secrets: [...new Set(vars.flatMap((v) => (v.secret ? [v.secret] : [])))],
    afterLoad: rows.filter((r) => RESTART_ONLY_VARIABLES.includes(r.variable_name)).map(update),
  };
}

/** The admin state per table, so a caller can apply only the tables whose rows differ from runtime. */
export function proxysqlAdminTables(p: ProxysqlSizing, secrets: SecretValues): ProxysqlAdminTable[] {
  const s = proxysqlState(p, secrets);
  return [
    owned('mysql_servers', s.servers),
    owned('mysql_replication_hostgroups', s.replicationHostgroups),
    owned('mysql_users', s.users, ['app_db_password']),
    owned('mysql_query_rules', s.rules),
    variables('mysql', 'MYSQL VARIABLES', s.mysqlVariables),
    variables('admin', 'ADMIN VARIABLES', s.adminVariables),
  ];
}

/**
 * LOAD ... TO RUNTIME then SAVE ... TO DISK for each module the tables touch, once each, in a fixed order. The
 * restart-only variables are written again between the two, so that they reach the disk; they take effect when
 * ProxySQL restarts.
 */
export function proxysqlLoadSave(tables: Pick<ProxysqlAdminTable, 'module' | 'afterLoad'>[]): string[] {
  const wanted = new Set(tables.map((t) => t.module));
  return PROXYSQL_MODULES.filter((m) => wanted.has(m)).flatMap((m) => [
    `LOAD ${m} TO RUNTIME;`,
    ...tables.filter((t) => t.module === m).flatMap((t) => t.afterLoad ?? []),
    `SAVE ${m} TO DISK;`,
  ]);
}

/** Every statement that applies the whole state: the tables' statements, then LOAD/SAVE. */
export function proxysqlAdminSql(p: ProxysqlSizing, secrets: SecretValues): string[] {
  const tables = proxysqlAdminTables(p, secrets);
  return [...tables.flatMap((t) => t.statements), ...proxysqlLoadSave(tables)];
}

/**
 * The admin SQL that makes a running ProxySQL take the cnf on disk again (a rollback restores an earlier cnf, which
 * ProxySQL would otherwise ignore: it runs from its database). `LOAD ... FROM CONFIG` makes ProxySQL read the cnf
 * with its own parser, but only INSERT OR REPLACEs the cnf's rows, so the tables stackscale owns are emptied first.
 * The restart-only variables are read from the cnf once more after LOAD MYSQL VARIABLES TO RUNTIME (which resets them
 * to the running values), so that SAVE puts the cnf's values on disk for the restart that applies them.
 */
export function proxysqlFromConfigSql(): string[] {
  const tables = Object.entries(OWNED_TABLES);
  return [
    ...PROXYSQL_MODULES.flatMap((m) => [...tables.filter(([, module]) => module === m).map(([table]) => `DELETE FROM ${table};`), `LOAD ${m} FROM CONFIG;`]),
    ...proxysqlLoadSave(PROXYSQL_MODULES.map((module) => ({ module, afterLoad: module === 'MYSQL VARIABLES' ? ['LOAD MYSQL VARIABLES FROM CONFIG;'] : [] }))),
  ];
}
