// The ProxySQL state stackscale wants: variables and table rows, built once and written two ways, as proxysql.cnf for
// a first start and as admin-interface SQL for a running ProxySQL, so the two cannot drift apart.
import type { Problem } from '../errors.js';
import type { SecretKey } from '../config/types.js';
import type { ProxysqlSizing } from '../sizing/types.js';
import { commentText } from './quote.js';
import { secretPlaceholder } from './types.js';
import type { SecretValues } from '../config/types.js';

export const PROXYSQL_CNF_PATH = '/etc/proxysql.cnf';
export const PROXYSQL_DATADIR = '/var/lib/proxysql';
/** The admin user; ProxySQL lets `admin` in only from localhost, and stackscale reaches it over SSH. */
export const PROXYSQL_ADMIN_USER = 'admin';
/** ProxySQL's read-only account for its stats tables (admin-stats_credentials). */
export const PROXYSQL_STATS_USER = 'stats';

/**
 * Monitor timings (ms). The read_only check decides which hostgroup a server is in, so it runs every 1.5 s as in
 * ProxySQL's sample config; the lag check runs at ProxySQL's default 10 s and matters only for servers with
 * max_replication_lag > 0.
 */
export const PROXYSQL_MONITOR = {
  connect_interval: 60000,
  ping_interval: 10000,
  read_only_interval: 1500,
  read_only_timeout: 500,
  replication_lag_interval: 10000,
} as const;

export type Cell = string | number;
/** One row of an admin table: column -> value, columns in the order they are written. */
export type Row = Record<string, Cell>;

export interface ProxysqlVariable {
  /** Without the `mysql-` / `admin-` prefix, as in the cnf. */
  name: string;
  value: Cell;
  secret?: SecretKey;
}

export interface ProxysqlState {
  mysqlVariables: ProxysqlVariable[];
  adminVariables: ProxysqlVariable[];
  servers: Row[];
  users: Row[];
  rules: Row[];
  replicationHostgroups: Row[];
}

function secret(secrets: SecretValues, key: SecretKey): string {
  return secrets[key] ?? secretPlaceholder(key);
}

export function proxysqlState(p: ProxysqlSizing, secrets: SecretValues): ProxysqlState {
  const mysqlVariables: ProxysqlVariable[] = [
    { name: 'threads', value: p.threads.value },
    { name: 'max_connections', value: p.frontendMaxConnections.value },
    // Loopback and the private address only (a semicolon-separated list, as ProxySQL's sample cnf shows).
    { name: 'interfaces', value: p.bind.map((a) => `${a}:${p.mysqlPort}`).join(';') },
    { name: 'monitor_username', value: p.monitorUser },
    { name: 'monitor_password', value: secret(secrets, 'proxysql_monitor_password'), secret: 'proxysql_monitor_password' },
    ...Object.entries(PROXYSQL_MONITOR).map(([k, v]) => ({ name: `monitor_${k}`, value: v })),
    { name: 'free_connections_pct', value: p.freeConnectionsPct },
    { name: 'connection_max_age_ms', value: p.connectionMaxAgeMs },
  ];
  const adminVariables: ProxysqlVariable[] = [
    { name: 'admin_credentials', value: `${PROXYSQL_ADMIN_USER}:${secret(secrets, 'proxysql_admin_password')}`, secret: 'proxysql_admin_password' },
    // Loopback only: the admin interface can rewrite everything, and apply reaches it through SSH.
    { name: 'mysql_ifaces', value: `127.0.0.1:${p.adminPort}` },
    // Not ProxySQL's well-known stats:stats, with which any user of the host could read its process list (the
    // queries running, literals included): the read-only stats login takes the admin's password, a value already
    // kept secret, so that no new secret is needed and every mask already hides it.
    { name: 'stats_credentials', value: `${PROXYSQL_STATS_USER}:${secret(secrets, 'proxysql_admin_password')}`, secret: 'proxysql_admin_password' },
  ];
  const servers = p.servers.map((s) => ({
    hostgroup_id: s.hostgroup,
    hostname: s.address,
    port: s.port,
    weight: s.weight,
    max_connections: s.maxConnections,
    max_replication_lag: s.maxReplicationLag,
    comment: s.comment,
  }));
  const users = [
    {
      username: p.appUser.username,
      password: secret(secrets, 'app_db_password'),
      active: 1,
      default_hostgroup: p.appUser.defaultHostgroup,
      transaction_persistent: p.appUser.transactionPersistent ? 1 : 0,
      max_connections: p.appUser.maxConnections,
      comment: 'the application, writes by default',
    },
  ];
  // `active` is written for every rule: the table's default is 0, so a rule without it would do nothing.
  const rules = p.rules.map((r) => ({
    rule_id: r.ruleId,
    active: r.active ? 1 : 0,
    match_digest: r.matchDigest,
    destination_hostgroup: r.destinationHostgroup,
    apply: r.apply ? 1 : 0,
    comment: r.comment,
  }));
  const replicationHostgroups = [
    { writer_hostgroup: p.writerHostgroup, reader_hostgroup: p.readerHostgroup, check_type: 'read_only', comment: 'writer and readers by read_only' },
  ];
  return { mysqlVariables, adminVariables, servers, users, rules, replicationHostgroups };
}

/**
 * Values ProxySQL cannot take from its cnf. Its reader pastes values into SQL without escaping them (ProxySQL_Config.cpp:
 * users between single quotes, variables, rule patterns and server names between double quotes), and splits
 * admin_credentials on `:` and `;`. Such a value would be cut short or break the first start, so it is refused.
 * Secrets are named by key, never shown.
 */
export function proxysqlProblems(state: ProxysqlState): Problem[] {
  const problems: Problem[] = [];
  const check = (what: string, value: Cell, bad: RegExp, secretKey?: SecretKey) => {
    if (typeof value !== 'string' || !bad.test(value)) return;
    const chars = [...new Set(value.match(new RegExp(bad.source, 'g')) ?? [])].join(' ');
    problems.push({
      path: secretKey ? `secrets.${secretKey}` : what,
      message: secretKey
        ? // Never which characters: that would give away part of the secret.
          `the secret holds a character ProxySQL's config reader cannot carry (quotes${secretKey === 'proxysql_admin_password' ? ', colon or semicolon' : ''})`
        : `${commentText(String(value))} holds a character ProxySQL's config reader cannot carry (${chars})`,
      fix: 'use letters, digits and punctuation other than quotes' + (secretKey === 'proxysql_admin_password' ? ', colon and semicolon' : ''),
    });
  };
  for (const v of state.mysqlVariables) check(`proxysql mysql-${v.name}`, v.value, /["']/, v.secret);
  const [cred] = state.adminVariables;
  const adminPassword = String(cred.value).slice(PROXYSQL_ADMIN_USER.length + 1);
  check('proxysql admin-admin_credentials', adminPassword, /["':;]/, 'proxysql_admin_password');
  // (stats_credentials holds the admin password, checked above.)
  for (const v of state.adminVariables.slice(1)) if (!v.secret) check(`proxysql admin-${v.name}`, v.value, /["']/);
  const tables = { servers: state.servers, users: state.users, rules: state.rules, replicationHostgroups: state.replicationHostgroups };
  for (const [table, rows] of Object.entries(tables)) {
    rows.forEach((row, i) => {
      for (const [col, value] of Object.entries(row)) {
        const key = col === 'password' ? 'app_db_password' : undefined;
        check(`proxysql ${table}[${i}].${col}`, value, /["']/, key);
      }
    });
  }
  return problems;
}
