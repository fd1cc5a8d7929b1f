// What a primary and a replica are now, read through the mysql client in as few round trips as possible: one query
// script printed in `\G` form, its rows told apart by their columns.
import type { SqlRunner } from './client.js';
import type { Dialect } from './flavour.js';
import { parseReplicaStatus, parseVertical, type ReplicaStatus } from './status.js';
import { sqlLiteral } from './sql.js';
import type { Account } from './statements.js';

export interface ReplicaState {
  serverId: number;
  readOnly: boolean;
  /** Undefined when no replication is configured. */
  status?: ReplicaStatus;
  /** MariaDB @@gtid_slave_pos (what MASTER_USE_GTID=slave_pos continues from); MySQL @@gtid_executed. */
  position: string;
  hasAppDatabase: boolean;
}

export interface PrimaryState {
  serverId: number;
  binlog: boolean;
  /** MariaDB @@gtid_binlog_pos; MySQL @@gtid_executed. */
  position: string;
  /** MariaDB @@gtid_binlog_state; MySQL @@gtid_executed. */
  binlogState: string;
  /** What the binlogs no longer hold: MariaDB the GTID state at the start of the oldest binlog; MySQL @@gtid_purged. */
  purged: string;
  hasAppDatabase: boolean;
  accounts: Account[];
}

const hasDb = (db: string) => `(SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlLiteral(db)}) AS has_app`;

export function replicaStateScript(d: Dialect, database: string): string {
  const pos = d.flavour === 'mariadb' ? '@@gtid_slave_pos' : '@@gtid_executed';
  return `SELECT @@server_id AS server_id, @@read_only AS read_only, ${pos} AS position, ${hasDb(database)}\\G\n${d.statusStatement}\\G\n`;
}

export function parseReplicaState(output: string, d: Dialect): ReplicaState {
  const rows = parseVertical(output);
  const vars = rows.find((r) => 'server_id' in r);
  if (!vars) throw new Error(`no server variables in the client's output`);
  const status = rows.find((r) => d.fields.io in r);
  return {
    serverId: Number(vars.server_id),
    readOnly: vars.read_only === '1' || vars.read_only === 'ON',
    status: parseReplicaStatus(status, d),
    position: vars.position.replace(/\s+/g, ''),
    hasAppDatabase: Number(vars.has_app) > 0,
  };
}

export function primaryStateScript(d: Dialect, database: string): string {
  const gtid =
    d.flavour === 'mariadb'
      ? '@@gtid_binlog_pos AS position, @@gtid_binlog_state AS binlog_state, \'\' AS purged'
      : '@@gtid_executed AS position, @@gtid_executed AS binlog_state, @@gtid_purged AS purged';
  return [
    `SELECT @@server_id AS server_id, @@log_bin AS log_bin, ${gtid}, ${hasDb(database)}\\G`,
    'SELECT User AS account_user, Host AS account_host FROM mysql.user\\G',
  ].join('\n') + '\n';
}

export function parsePrimaryState(output: string): PrimaryState & { firstBinlog?: string } {
  const rows = parseVertical(output);
  const vars = rows.find((r) => 'server_id' in r);
  if (!vars) throw new Error(`no server variables in the client's output`);
  const binlogs = rows.filter((r) => 'Log_name' in r);
  return {
    serverId: Number(vars.server_id),
    binlog: vars.log_bin === '1' || vars.log_bin === 'ON',
    position: vars.position.replace(/\s+/g, ''),
    binlogState: vars.binlog_state.replace(/\s+/g, ''),
    purged: vars.purged.replace(/\s+/g, ''),
    hasAppDatabase: Number(vars.has_app) > 0,
    accounts: rows.filter((r) => 'account_user' in r).map((r) => ({ user: r.account_user, host: r.account_host })),
    firstBinlog: binlogs[0]?.Log_name,
  };
}

/** The first binlog's name from `SHOW BINARY LOGS` in vertical form. */
export function parsePrimaryBinlogs(output: string): string | undefined {
  return parseVertical(output).find((r) => 'Log_name' in r)?.Log_name;
}

export async function readReplicaState(client: SqlRunner, d: Dialect, database: string): Promise<ReplicaState> {
  return parseReplicaState(await client.run(replicaStateScript(d, database)), d);
}

export async function readPrimaryState(client: SqlRunner, d: Dialect, database: string): Promise<PrimaryState> {
  const { firstBinlog: _none, ...state } = parsePrimaryState(await client.run(primaryStateScript(d, database)));
  // MariaDB: the first binlog's name, for BINLOG_GTID_POS. Asked only when binary logging is on: SHOW BINARY LOGS
  // fails with ERROR 1381 on a server without it (every fresh MariaDB), which would stop the whole script.
  const firstBinlog =
    d.flavour === 'mariadb' && state.binlog ? parsePrimaryBinlogs(await client.run("SELECT 'binlogs' AS section\\G\nSHOW BINARY LOGS\\G\n")) : undefined;
  if (firstBinlog) {
    // The GTID state where the oldest binlog starts: everything up to it is purged ('' when the first binlog is there).
    const out = await client.run(`SELECT IFNULL(BINLOG_GTID_POS(${sqlLiteral(firstBinlog)}, 4), '') AS purged\\G\n`);
    state.purged = (parseVertical(out)[0]?.purged ?? '').replace(/\s+/g, '');
  }
  return state;
}
