// The AdminPort over a host's transport: the mysql client on the ProxySQL host connects to the admin interface on
// 127.0.0.1 (admin-mysql_ifaces binds it to loopback only; ProxySQL lets `admin` in only from there). The admin password
// reaches the client in a 0600 defaults file read from stdin, never argv (daemons/mysql-client.ts).
import { UserError } from '../errors.js';
import { RESTART_ONLY_VARIABLES } from '../render/proxysql-admin.js';
import { PROXYSQL_ADMIN_USER } from '../render/proxysql-state.js';
import { libconfigUnescape } from '../render/quote.js';
import type { Transport } from '../transport/types.js';
import { parseBatch, transportSqlRunner } from '../replication/client.js';
import { sqlScript } from '../daemons/mysql-client.js';
import type { AdminPort, RuntimeRow } from './runtime.js';

export interface AdminLogin {
  password: string;
  port?: number;
  user?: string;
  /** Other secret values the statements hold (the app password), masked in errors. */
  secrets?: (string | undefined)[];
}

/** The admin login a proxysql.cnf holds (what its first start read): user, password and port. */
export function proxysqlAdminFromCnf(content: string | undefined): { user: string; password?: string; port: number } {
  // The literal's escapes undone (a `\\` in the file is one backslash of the password), then `user:password;...`.
  const literal = content ? /admin_credentials\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(content)?.[1] : undefined;
  const creds = literal === undefined ? null : /^([^:]+):([^;]*)/.exec(libconfigUnescape(literal));
  const iface = content ? /mysql_ifaces\s*=\s*"[^"]*:(\d+)/.exec(content) : null;
  return { user: creds?.[1] ?? 'admin', password: creds?.[2] || undefined, port: Number(iface?.[1] ?? 6032) };
}

/** A setting of a proxysql.cnf's mysql_variables group, as written (quotes taken off a string); undefined if unset. */
export function proxysqlMysqlVariable(content: string | undefined, name: string): string | undefined {
  const block = content ? /mysql_variables\s*=\s*\{([\s\S]*?)\}/.exec(content)?.[1] : undefined;
  const m = block ? new RegExp(`^\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'm').exec(block) : null;
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The client interfaces (`address:port`) a proxysql.cnf's mysql_variables name in `interfaces`. */
export function proxysqlInterfaces(content: string | undefined): string[] {
  const value = proxysqlMysqlVariable(content, 'interfaces');
  return value ? value.split(';').map((s) => s.trim()).filter((s) => /^[^:\s]+:\d+$/.test(s)) : [];
}

/**
 * The variables ProxySQL takes only at start (`mysql-interfaces`, `mysql-threads`) whose value differs between two
 * cnfs: going from one to the other through the admin interface needs a restart for these.
 */
export function proxysqlRestartOnlyChanges(before: string | undefined, after: string): string[] {
  return RESTART_ONLY_VARIABLES.filter((v) => {
    const name = v.replace(/^mysql-/, '');
    return proxysqlMysqlVariable(before, name) !== proxysqlMysqlVariable(after, name);
  });
}

export function transportAdminPort(t: Transport, login: AdminLogin, binary: 'mysql' | 'mariadb' = 'mysql'): AdminPort {
  const runner = transportSqlRunner(t, binary, {
    login: { user: login.user ?? PROXYSQL_ADMIN_USER, password: login.password, host: '127.0.0.1', port: login.port ?? 6032 },
    // --batch: tab-separated with escapes; no --auto-rehash round trips the admin interface does not answer.
    args: ['--batch', '--no-auto-rehash'],
    secrets: login.secrets,
  });
  return {
    async query(sql: string): Promise<RuntimeRow[]> {
      return parseBatch(await runner.run(sqlScript([sql])));
    },
    async exec(statements: string[]): Promise<void> {
      if (statements.length === 0) return;
      try {
        await runner.run(sqlScript(statements));
      } catch (err) {
        if (err instanceof UserError) throw new UserError({ where: t.host, message: `ProxySQL admin: ${err.problems[0].message}` });
        throw err;
      }
    },
  };
}
