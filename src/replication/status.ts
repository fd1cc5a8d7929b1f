// Parsers for what the mysql client prints: vertical (`\G`) rows and SHOW SLAVE/REPLICA STATUS in either flavour.
import type { Dialect } from './flavour.js';

/** Rows of `\G` output: `*** N. row ***` headers, then `Name: value` lines (names right-aligned). */
export function parseVertical(output: string): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  let row: Record<string, string> | undefined;
  let last: string | undefined;
  for (const line of output.split('\n')) {
    if (/^\*+ \d+\. row \*+$/.test(line.trim())) {
      row = {};
      rows.push(row);
      last = undefined;
      continue;
    }
    if (!row) continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*): ?(.*)$/.exec(line);
    if (m) {
      row[m[1]] = m[2];
      last = m[1];
    } else if (last !== undefined && line !== '') {
      // A value printed on several lines (MySQL breaks GTID sets after each comma).
      row[last] += `\n${line}`;
    }
  }
  return rows;
}

export interface ReplicaStatus {
  ioRunning: boolean;
  /** 'Connecting' shows as ioRunning false with ioState 'Connecting'. */
  ioState: string;
  sqlRunning: boolean;
  secondsBehind: number | null;
  sourceHost: string;
  sourcePort: number;
  sourceUser: string;
  /** MariaDB Using_Gtid = Slave_Pos / Current_Pos; MySQL Auto_Position = 1. */
  gtidPositioning: boolean;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  /** MariaDB Gtid_IO_Pos; MySQL Retrieved_Gtid_Set. */
  gtidIoPos: string;
  /** MySQL Executed_Gtid_Set; MariaDB has none in the status (read @@gtid_slave_pos). */
  executedGtidSet: string;
}

const int = (v: string | undefined): number => (v === undefined || v === '' || v === 'NULL' ? 0 : Number.parseInt(v, 10));

/** One status row in the dialect's field names; undefined when the server has no replication configured. */
export function parseReplicaStatus(row: Record<string, string> | undefined, d: Dialect): ReplicaStatus | undefined {
  if (!row) return undefined;
  const f = d.fields;
  const behind = row[f.behind];
  const using = row[f.usingGtid] ?? '';
  return {
    ioRunning: row[f.io] === 'Yes',
    ioState: row[f.io] ?? '',
    sqlRunning: row[f.sql] === 'Yes',
    secondsBehind: behind === undefined || behind === 'NULL' || behind === '' ? null : Number.parseInt(behind, 10),
    sourceHost: row[f.host] ?? '',
    sourcePort: int(row[f.port]),
    sourceUser: row[f.user] ?? '',
    gtidPositioning: d.flavour === 'mariadb' ? /^(slave|current)_pos$/i.test(using) : using === '1',
    lastIoErrno: int(row.Last_IO_Errno),
    lastIoError: row.Last_IO_Error ?? '',
    lastSqlErrno: int(row.Last_SQL_Errno),
    lastSqlError: row.Last_SQL_Error ?? '',
    gtidIoPos: (d.flavour === 'mariadb' ? row.Gtid_IO_Pos : row.Retrieved_Gtid_Set) ?? '',
    executedGtidSet: (row.Executed_Gtid_Set ?? '').replace(/\n/g, ''),
  };
}
