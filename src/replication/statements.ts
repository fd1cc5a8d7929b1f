// The statements each side runs, per flavour. Accounts are created only where missing (apply reads which exist), so a
// second apply writes nothing to the primary's binlog.
import type { Dialect } from './flavour.js';
import type { DbNode, ReplicationSpec } from './spec.js';
import { raw, secret, sql, sqlIdent, type Statement } from './sql.js';

export interface Account {
  user: string;
  host: string;
}

export interface AccountWanted extends Account {
  purpose: 'replication' | 'monitor' | 'app' | 'exporter';
  statements: Statement[];
}

export interface ReplicationSecrets {
  replication: string;
  /** Needed only when a proxysql host exists. */
  monitor?: string;
  app?: string;
  /** Needed only when a monitor host exists: the mysqld exporter's account on every db host. */
  exporter?: string;
}

/** One account: created with its password where missing, then granted `privileges` ON `on`. */
function account(purpose: AccountWanted['purpose'], user: string, host: string, password: string, privileges: string, on: string): AccountWanted {
  return {
    purpose,
    user,
    host,
    statements: [sql`CREATE USER IF NOT EXISTS ${user}@${host} IDENTIFIED BY ${secret(password)}`, sql`GRANT ${raw(privileges)} ON ${raw(on)} TO ${user}@${host}`],
  };
}

/**
 * Every account the primary should have. The replication user needs only REPLICATION SLAVE in both flavours (REPLICATION
 * SLAVE ADMIN is what runs START/STOP SLAVE on the replica, where stackscale is root). ProxySQL's monitor runs
 * SHOW SLAVE STATUS for the lag check: MariaDB 10.5.9+ moved that from REPLICATION CLIENT (now BINLOG MONITOR) to SLAVE
 * MONITOR.
 */
export function accountsWanted(spec: ReplicationSpec, secrets: ReplicationSecrets): AccountWanted[] {
  const out = spec.replicas.map((r) => account('replication', spec.replicationUser, r.address, secrets.replication, 'REPLICATION SLAVE', '*.*'));
  if (spec.monitor && secrets.monitor !== undefined) {
    const privs = spec.dialect.monitorNeedsSlaveMonitor ? 'USAGE, REPLICATION CLIENT, SLAVE MONITOR' : 'USAGE, REPLICATION CLIENT';
    for (const host of spec.monitor.addresses) out.push(account('monitor', spec.monitor.user, host, secrets.monitor, privs, '*.*'));
  }
  // The mysqld exporter reads status, variables, the process list and replica status, nothing of the app's data.
  // Created on the primary, it reaches the replicas with the rest of the grants (replication or the seed).
  if (spec.exporter && secrets.exporter !== undefined) {
    const privs = spec.dialect.monitorNeedsSlaveMonitor ? 'PROCESS, REPLICATION CLIENT, SLAVE MONITOR' : 'PROCESS, REPLICATION CLIENT';
    out.push(account('exporter', spec.exporter.user, 'localhost', secrets.exporter, privs, '*.*'));
  }
  if (secrets.app !== undefined) {
    for (const host of spec.app.addresses) out.push(account('app', spec.app.user, host, secrets.app, 'ALL PRIVILEGES', `${sqlIdent(spec.app.database)}.*`));
  }
  return out;
}

/** Point a replica at the primary with GTID auto-positioning. */
export function pointAtPrimary(d: Dialect, primary: DbNode, user: string, password: string): Statement {
  if (d.flavour === 'mariadb') {
    return sql`CHANGE MASTER TO MASTER_HOST=${primary.address}, MASTER_PORT=${primary.port}, MASTER_USER=${user}, MASTER_PASSWORD=${secret(password)}, MASTER_USE_GTID=slave_pos`;
  }
  // Without TLS, caching_sha2_password needs the source's public key to send the password (docs/daemons.md).
  return sql`CHANGE REPLICATION SOURCE TO SOURCE_HOST=${primary.address}, SOURCE_PORT=${primary.port}, SOURCE_USER=${user}, SOURCE_PASSWORD=${secret(password)}, SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1`;
}

export const plain = (text: string): Statement => ({ sql: text, masked: text });

/** Re-point (or just restart) a replica that is configured but stopped, broken, or following the wrong source. */
export function repairStatements(d: Dialect, primary: DbNode, user: string, password: string): Statement[] {
  return [plain(d.stop), pointAtPrimary(d, primary, user, password), plain(d.start)];
}

/** Before a seed: no replication, no binlog history of its own (the seed brings the primary's position). */
export function preSeedStatements(d: Dialect): Statement[] {
  return [plain(d.stop), plain(d.resetReplica), plain(d.resetBinlog), ...d.seedLift.map(plain)];
}

/**
 * The dump command on the primary. MariaDB: --gtid with --master-data=1 makes the dump end in
 * `SET GLOBAL gtid_slave_pos='<position of the snapshot>'` (and start with CHANGE MASTER TO MASTER_USE_GTID=slave_pos),
 * so the replica starts exactly after the snapshot. MySQL: --set-gtid-purged=ON writes SET @@GLOBAL.gtid_purged, which
 * with auto-positioning is all the replica needs; --source-data adds the file/position as a comment-only fallback (=2).
 * --single-transaction: a consistent InnoDB snapshot without locking the primary for the dump.
 */
export function dumpCommand(d: Dialect): string[] {
  if (d.flavour === 'mariadb') {
    return ['mariadb-dump', '--all-databases', '--single-transaction', '--gtid', '--master-data=1', '--routines', '--events', '--triggers'];
  }
  return ['mysqldump', '--all-databases', '--single-transaction', '--source-data=2', '--set-gtid-purged=ON', '--routines', '--events', '--triggers'];
}

/**
 * What the replica's client gets before and after the dump. sql_log_bin=0: the load must not enter the replica's own
 * binlog, where (with gtid_strict_mode and log_slave_updates) its local GTIDs would clash with the primary's.
 * FLUSH PRIVILEGES: the dump replaced the grant tables (the accounts come with the data, so reads through ProxySQL work).
 */
export const SEED_PROLOGUE = 'SET SESSION sql_log_bin=0;\n';
export function seedEpilogue(d: Dialect): string {
  return ['', 'FLUSH PRIVILEGES;', ...d.seedRestore.map((s) => `${s};`), ''].join('\n');
}

/** Wait (server side, bounded) until the replica has applied everything up to `position`. */
export function waitForPosition(d: Dialect, position: string, timeoutSeconds: number): Statement {
  return d.flavour === 'mariadb'
    ? sql`SELECT MASTER_GTID_WAIT(${position}, ${timeoutSeconds}) AS waited`
    : sql`SELECT WAIT_FOR_EXECUTED_GTID_SET(${position}, ${timeoutSeconds}) AS waited`;
}
