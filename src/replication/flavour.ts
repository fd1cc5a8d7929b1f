// Which replication dialect a database server speaks, from its facts: MySQL 8.0 (8.0.23+ for the REPLICA/SOURCE
// statements), MySQL 8.4 (only those names remain), MariaDB 10.6+ and 11 (MASTER/SLAVE names, GTIDs always on).
import type { HostFacts } from '../facts/types.js';
import { versionAtLeast } from '../util/versions.js';
import type { DbFlavour } from '../sizing/types.js';

export interface Dialect {
  flavour: DbFlavour;
  version: string;
  /** The client binary on the host. */
  client: 'mariadb' | 'mysql';
  dump: 'mariadb-dump' | 'mysqldump';
  statusStatement: string;
  start: string;
  stop: string;
  /** Forget the replica's source settings (before seeding). */
  resetReplica: string;
  /** Forget the server's own binary logs and GTID history (before seeding: the seed brings the primary's). */
  resetBinlog: string;
  /** Field names in the status output. */
  fields: {
    io: string;
    sql: string;
    behind: string;
    host: string;
    port: string;
    user: string;
    usingGtid: string;
  };
  /**
   * Statements around loading a seed: MySQL's super_read_only (set by the drop-in on replicas) refuses even root, so it
   * is lifted for the load and put back; MariaDB's read_only spares root (READ ONLY ADMIN is in ALL PRIVILEGES).
   */
  seedLift: string[];
  seedRestore: string[];
  /** MariaDB 10.5.9+: SHOW SLAVE STATUS needs SLAVE MONITOR (REPLICATION CLIENT became BINLOG MONITOR). */
  monitorNeedsSlaveMonitor: boolean;
}

export class UnsupportedDatabaseError extends Error {}

export function dialectFor(flavour: DbFlavour, version: string): Dialect {
  if (flavour === 'mariadb') {
    if (!versionAtLeast(version, [10, 6, 0])) throw new UnsupportedDatabaseError(`MariaDB ${version} is older than 10.6, which stackscale needs for replication`);
    return {
      flavour,
      version,
      client: 'mariadb',
      dump: 'mariadb-dump',
      statusStatement: 'SHOW SLAVE STATUS',
      start: 'START SLAVE',
      stop: 'STOP SLAVE',
      resetReplica: 'RESET SLAVE ALL',
      resetBinlog: 'RESET MASTER',
      fields: { io: 'Slave_IO_Running', sql: 'Slave_SQL_Running', behind: 'Seconds_Behind_Master', host: 'Master_Host', port: 'Master_Port', user: 'Master_User', usingGtid: 'Using_Gtid' },
      seedLift: [],
      seedRestore: [],
      monitorNeedsSlaveMonitor: versionAtLeast(version, [10, 5, 9]),
    };
  }
  if (!versionAtLeast(version, [8, 0, 23])) throw new UnsupportedDatabaseError(`MySQL ${version} is older than 8.0.23, which has CHANGE REPLICATION SOURCE`);
  const is84 = versionAtLeast(version, [8, 4, 0]);
  return {
    flavour,
    version,
    client: 'mysql',
    dump: 'mysqldump',
    statusStatement: 'SHOW REPLICA STATUS',
    start: 'START REPLICA',
    stop: 'STOP REPLICA',
    resetReplica: 'RESET REPLICA ALL',
    // RESET MASTER is gone in 8.4 (docs/daemons.md).
    resetBinlog: is84 ? 'RESET BINARY LOGS AND GTIDS' : 'RESET MASTER',
    fields: { io: 'Replica_IO_Running', sql: 'Replica_SQL_Running', behind: 'Seconds_Behind_Source', host: 'Source_Host', port: 'Source_Port', user: 'Source_User', usingGtid: 'Auto_Position' },
    seedLift: ['SET GLOBAL super_read_only = OFF'],
    seedRestore: ['SET GLOBAL super_read_only = ON'],
    monitorNeedsSlaveMonitor: false,
  };
}

/** The dialect of a host from its facts; undefined when it has no database server. */
export function dialectFromFacts(facts: HostFacts): Dialect | undefined {
  return facts.db ? dialectFor(facts.db.flavour, facts.db.version) : undefined;
}
