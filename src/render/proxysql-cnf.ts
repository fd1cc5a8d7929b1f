// /etc/proxysql.cnf in libconfig syntax: ProxySQL reads it on a first start only (no proxysql.db in its datadir yet,
// or with --initial); afterwards the admin interface is the way in (proxysql-admin.ts writes the same state as SQL).
import { UserError } from '../errors.js';
import type { SecretKey } from '../config/types.js';
import type { HostSizing, ProxysqlSizing, SiteSizing } from '../sizing/types.js';
import { derivationLine } from './derivation.js';
import { commentText, libconfigInt, libconfigString } from './quote.js';
import { PROXYSQL_CNF_PATH, PROXYSQL_DATADIR, proxysqlProblems, proxysqlState, type Cell, type Row } from './proxysql-state.js';
import { renderTemplate } from './templates.js';
import type { RenderedFile } from './types.js';
import type { SecretValues } from '../config/types.js';

interface Setting {
  name: string;
  value: string;
}

function literal(value: Cell): string {
  return typeof value === 'number' ? libconfigInt(value) : libconfigString(value);
}

function settings(row: Row): Setting[] {
  return Object.entries(row).map(([name, value]) => ({ name, value: literal(value) }));
}

/** A libconfig list: entries separated by commas, none after the last (libconfig 1.5 refuses a trailing comma). */
function list(rows: Row[]): { settings: Setting[]; separator: string }[] {
  return rows.map((row, i) => ({ settings: settings(row), separator: i < rows.length - 1 ? ',' : '' }));
}

function derivations(p: ProxysqlSizing): string[] {
  return [
    derivationLine('mysql-threads', p.threads),
    derivationLine('mysql-max_connections', p.frontendMaxConnections),
    derivationLine('mysql_servers.max_connections', p.backendMaxConnectionsPerServer),
  ];
}

export const PROXYSQL_CNF_SECRETS: SecretKey[] = ['proxysql_admin_password', 'proxysql_monitor_password', 'app_db_password'];

export function renderProxysqlCnf(h: HostSizing, p: ProxysqlSizing, sizing: SiteSizing, secrets: SecretValues): RenderedFile {
  const state = proxysqlState(p, secrets);
  const problems = proxysqlProblems(state).map((pr) => ({ ...pr, where: h.host.name }));
  if (problems.length > 0) throw new UserError(problems);
  const content = renderTemplate('proxysql.cnf', {
    profile: commentText(sizing.profile.name),
    host: h.host.name,
    derivations: derivations(p),
    datadir: libconfigString(PROXYSQL_DATADIR),
    errorlog: libconfigString(`${PROXYSQL_DATADIR}/proxysql.log`),
    adminVariables: state.adminVariables.map((v) => ({ name: v.name, value: literal(v.value) })),
    mysqlVariables: state.mysqlVariables.map((v) => ({ name: v.name, value: literal(v.value) })),
    servers: list(state.servers),
    users: list(state.users),
    rules: list(state.rules),
    replicationHostgroups: list(state.replicationHostgroups),
  });
  // root:proxysql 0640 as the upstream package installs it: ProxySQL runs as proxysql and must read it, nobody else.
  return { host: h.host.name, path: PROXYSQL_CNF_PATH, content, mode: 0o640, owner: 'root', group: 'proxysql', service: 'proxysql', secrets: [...PROXYSQL_CNF_SECRETS] };
}
