// What each consumer of a secret accepts, checked on the values before anything is rendered or a host touched, so a
// secret that would break a config file or a protocol is invalid input (exit 3) found by `validate`. A problem names
// the secret and the rule it breaks, never the characters it holds: that would give away part of the secret.
import type { Problem } from '../errors.js';
import type { SecretValues } from './types.js';
import type { Role, SecretKey, Site } from './types.js';

interface SecretRule {
  /** The secrets it applies to, and only when the site has one of these roles. */
  keys: SecretKey[];
  roles: Role[];
  bad: RegExp;
  rule: string;
}

const RULES: SecretRule[] = [
  {
    // Every secret travels as a line: redis-cli's AUTH on stdin, MySQL option files, SQL statements on stdin.
    keys: ['redis_password', 'app_db_password', 'replication_password', 'proxysql_admin_password', 'proxysql_monitor_password'],
    roles: ['web', 'cache', 'proxysql', 'db-primary', 'db-replica'],
    bad: /[\x00-\x1f\x7f]/,
    rule: 'no control characters (newline, tab, NUL, ...): it is sent as one line to redis-cli, the mysql client and SQL',
  },
  {
    // ProxySQL's cnf reader pastes values into SQL unescaped (ProxySQL_Config.cpp): quotes end them early.
    keys: ['app_db_password', 'proxysql_monitor_password', 'proxysql_admin_password'],
    roles: ['proxysql'],
    bad: /["']/,
    rule: "no quote characters (\" or '): ProxySQL's config reader pastes credentials into SQL without escaping them",
  },
  {
    // The mysqld exporter's login: a line of its .my.cnf, and SQL on the db hosts' mysql client.
    keys: ['mysqld_exporter_password'],
    roles: ['monitor'],
    bad: /[\x00-\x1f\x7f]/,
    rule: 'no control characters (newline, tab, NUL, ...): it is one line of the exporter\'s my.cnf and of SQL',
  },
  {
    // prometheus-mysqld-exporter (0.14, Debian 12's) pastes the password into a DSN and then adds its own parameters
    // after a `?`, or after a `&` when the DSN already holds a `?`: a `?` in the password turns them into the database.
    keys: ['mysqld_exporter_password'],
    roles: ['monitor'],
    bad: /\?/,
    rule: "no '?': the mysqld exporter builds a DSN from it and takes a '?' for the start of its parameters",
  },
  {
    // admin-admin_credentials is `user:password;user2:password2`.
    keys: ['proxysql_admin_password'],
    roles: ['proxysql'],
    bad: /[:;]/,
    rule: "no ':' or ';': ProxySQL's admin_credentials separate user and password with ':' and pairs with ';'",
  },
];

/** Every rule a secret the site uses breaks, one problem each. */
export function secretValueProblems(site: Site, values: SecretValues, where: string): Problem[] {
  const roles = new Set(site.hosts.flatMap((h) => h.roles));
  const out: Problem[] = [];
  for (const r of RULES) {
    if (!r.roles.some((role) => roles.has(role))) continue;
    for (const key of r.keys) {
      const v = values[key];
      if (v !== undefined && r.bad.test(v)) out.push({ where, path: `secrets.${key}`, message: `the secret breaks a rule: ${r.rule}`, fix: 'choose another secret; its value is not shown' });
    }
  }
  return out;
}
