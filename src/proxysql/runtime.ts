// ProxySQL at runtime: read what its admin interface holds (runtime_* tables), compare with the state stackscale wants,
// and produce statements only for the tables that differ, then LOAD ... TO RUNTIME and SAVE ... TO DISK for their
// modules. A hand change made at runtime thus shows in plan as drift of that table, and apply puts back only it.
// The admin interface is reached through a `query(sql) => rows` port (admin.ts), so this logic is tested without ProxySQL.
import { createHash } from 'node:crypto';
import { MASK, maskText } from '../mask.js';
import { RESTART_ONLY_VARIABLES, proxysqlAdminTables, proxysqlLoadSave, type ProxysqlAdminTable, type ProxysqlTable } from '../render/proxysql-admin.js';
import type { Row } from '../render/proxysql-state.js';
import { sqlString } from '../render/quote.js';
import type { SecretValues } from '../config/types.js';
import type { ProxysqlSizing } from '../sizing/types.js';
import { SECRET_KEYS } from '../config/types.js';

/** Cells as the admin interface returns them: text, or null. */
export type RuntimeRow = Record<string, string | null>;

export interface AdminPort {
  query(sql: string): Promise<RuntimeRow[]>;
  /** Runs statements in order; throws on the first failure. */
  exec(statements: string[]): Promise<void>;
}

/** The columns stackscale writes per table (proxysql-state.ts); only these are compared. */
export const COLUMNS: Record<Exclude<ProxysqlTable, 'global_variables'>, string[]> = {
  mysql_servers: ['hostgroup_id', 'hostname', 'port', 'weight', 'max_connections', 'max_replication_lag', 'comment'],
  mysql_replication_hostgroups: ['writer_hostgroup', 'reader_hostgroup', 'check_type', 'comment'],
  mysql_users: ['username', 'password', 'active', 'default_hostgroup', 'transaction_persistent', 'max_connections', 'comment'],
  mysql_query_rules: ['rule_id', 'active', 'match_digest', 'destination_hostgroup', 'apply', 'comment'],
};

/** Key of one admin table entry: global_variables appears twice (mysql- and admin- variables). */
export function tableKey(t: Pick<ProxysqlAdminTable, 'table' | 'module'>): string {
  return `${t.table}/${t.module}`;
}

/**
 * The SELECT that reads one table's runtime rows. DISTINCT because runtime_mysql_users lists each user twice (once as
 * frontend, once as backend) and stackscale writes both sides alike.
 */
export function runtimeQuery(t: ProxysqlAdminTable): string {
  if (t.table === 'global_variables') {
    const names = t.rows.map((r) => sqlString(String(r.variable_name))).join(', ');
    return `SELECT variable_name, variable_value FROM runtime_global_variables WHERE variable_name IN (${names}) ORDER BY variable_name`;
  }
  const cols = COLUMNS[t.table];
  return `SELECT DISTINCT ${cols.join(', ')} FROM runtime_${t.table} ORDER BY ${cols.join(', ')}`;
}

export async function readRuntime(port: AdminPort, tables: ProxysqlAdminTable[]): Promise<Map<string, RuntimeRow[]>> {
  // Every table at once (each its own client and channel): one round trip's wait instead of one per table.
  const rows = await Promise.all(tables.map((t) => port.query(runtimeQuery(t))));
  return new Map(tables.map((t, i) => [tableKey(t), rows[i]]));
}

/** mysql_native_password's stored form: ProxySQL keeps runtime passwords hashed when admin-hash_passwords is on. */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return '*' + createHash('sha1').update(once).digest('hex').toUpperCase();
}

function cellEqual(column: string, want: string, have: string | null): boolean {
  if (have === want) return true;
  return column === 'password' && have !== null && have === nativePasswordHash(want);
}

function rowEqual(want: Row, have: RuntimeRow): boolean {
  return Object.keys(want).every((c) => cellEqual(c, String(want[c]), have[c] ?? null));
}

export interface TableDrift {
  table: ProxysqlTable;
  module: ProxysqlAdminTable['module'];
  /** Wanted rows the runtime lacks (or holds with other values), secrets masked. */
  missing: RuntimeRow[];
  /** Runtime rows stackscale does not want (owned tables only; variables are never removed), secrets masked. */
  extra: RuntimeRow[];
}

function maskRow(row: Row | RuntimeRow, secrets: string[]): RuntimeRow {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => {
      if (v === null) return [k, null];
      let s = String(v);
      if (k === 'password' || k === 'variable_value') s = maskText(s, secrets);
      if (k === 'password' && /^\*[0-9A-F]{40}$/.test(s)) s = MASK;
      return [k, s];
    }),
  );
}

/** Per table: what differs between the wanted rows and the runtime rows. Tables that match are left out. */
export function diffRuntime(tables: ProxysqlAdminTable[], runtime: Map<string, RuntimeRow[]>, secrets: SecretValues = {}): TableDrift[] {
  const values = Object.values(secrets).filter((v): v is string => Boolean(v));
  const drift: TableDrift[] = [];
  for (const t of tables) {
    const have = runtime.get(tableKey(t)) ?? [];
    const missing = t.rows.filter((w) => !have.some((h) => rowEqual(w, h)));
    const extra = t.table === 'global_variables' ? [] : have.filter((h) => !t.rows.some((w) => rowEqual(w, h)));
    if (missing.length || extra.length) {
      drift.push({ table: t.table, module: t.module, missing: missing.map((r) => maskRow(r, values)), extra: extra.map((r) => maskRow(r, values)) });
    }
  }
  return drift;
}

export interface RuntimeChange {
  drift: TableDrift[];
  /** The statements to run, with real values: for apply only. */
  statements: string[];
  /** The same statements, every secret masked: for plan and logs. */
  masked: string[];
  /** Restart-only variables that differ: ProxySQL must restart after the statements for them to take effect. */
  restart: string[];
  /** Puts the drifted variables back to their runtime values (real values): apply's way back on a failure. */
  undo: string[];
}

/**
 * Statements for the tables that drifted only, then LOAD/SAVE of their modules. The masked list is rendered from the
 * same state with every secret replaced by MASK, so it has exactly the real list's shape.
 */
export function runtimeChange(p: ProxysqlSizing, secrets: SecretValues, runtime: Map<string, RuntimeRow[]>): RuntimeChange {
  const tables = proxysqlAdminTables(p, secrets);
  const maskedTables = proxysqlAdminTables(p, Object.fromEntries(SECRET_KEYS.map((k) => [k, MASK])));
  const drift = diffRuntime(tables, runtime, secrets);
  const changed = new Set(drift.map(tableKey));
  const pick = (list: ProxysqlAdminTable[]) => {
    const chosen = list.filter((t) => changed.has(tableKey(t)));
    return chosen.length ? [...chosen.flatMap((t) => t.statements), ...proxysqlLoadSave(chosen)] : [];
  };
  const restart = drift
    .filter((d) => d.table === 'global_variables')
    .flatMap((d) => d.missing.map((r) => String(r.variable_name)))
    .filter((n) => RESTART_ONLY_VARIABLES.includes(n));
  return { drift, statements: pick(tables), masked: pick(maskedTables), restart, undo: undoVariables(tables, runtime, changed) };
}

/** UPDATEs back to the runtime values of the variables that drifted, then LOAD/SAVE of their modules. */
function undoVariables(tables: ProxysqlAdminTable[], runtime: Map<string, RuntimeRow[]>, changed: Set<string>): string[] {
  const back: Pick<ProxysqlAdminTable, 'module' | 'afterLoad'>[] = [];
  const statements: string[] = [];
  for (const t of tables.filter((x) => x.table === 'global_variables' && changed.has(tableKey(x)))) {
    const updates = (runtime.get(tableKey(t)) ?? [])
      .filter((r) => r.variable_value !== null && t.rows.some((w) => w.variable_name === r.variable_name && String(w.variable_value) !== r.variable_value))
      .map((r) => `UPDATE global_variables SET variable_value = ${sqlString(String(r.variable_value))} WHERE variable_name = ${sqlString(String(r.variable_name))};`);
    statements.push(...updates);
    back.push({ module: t.module, afterLoad: updates.filter((u) => RESTART_ONLY_VARIABLES.some((v) => u.endsWith(`= ${sqlString(v)};`))) });
  }
  return statements.length ? [...statements, ...proxysqlLoadSave(back)] : [];
}

/** Read, compare, and apply what differs. Returns what was changed (nothing on a second run). */
export async function applyProxysqlRuntime(port: AdminPort, p: ProxysqlSizing, secrets: SecretValues): Promise<RuntimeChange> {
  const runtime = await readRuntime(port, proxysqlAdminTables(p, secrets));
  const change = runtimeChange(p, secrets, runtime);
  if (change.statements.length > 0) await port.exec(change.statements);
  return change;
}
