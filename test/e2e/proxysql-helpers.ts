// Helpers for the end-to-end tests against the real ProxySQL 2.4.8 on test hosts: the admin interface and the client
// port reached on the ProxySQL host itself over SSH, passwords on stdin (MYSQL_PWD set inside the remote shell), never
// in argv, so the tests' own commands cannot put a secret into the process lists the tests watch.
import type { TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
export { watchProcessLists } from '../hosts/ssh.js';
import { SECRET_ENV } from '../helpers/cli.js';

/**
 * This file's secrets: backslashes, spaces and shell characters where ProxySQL's cnf can carry them (its reader cannot
 * carry quotes, which stackscale refuses before any host is touched), so every path a secret takes (libconfig, the
 * admin SQL, the client option files, MariaDB's CREATE USER) is tried with them.
 */
export const PX_SECRET_ENV: Record<string, string> = {
  ...SECRET_ENV,
  APP_DB_PASSWORD: 'e2e app\\pw&42 $x',
  PROXYSQL_ADMIN_PASSWORD: 'e2e-adm\\in 44!',
  PROXYSQL_MONITOR_PASSWORD: 'e2e mon\\itor;45',
};
export const ADMIN_PASSWORD = PX_SECRET_ENV.PROXYSQL_ADMIN_PASSWORD;
export const APP_PASSWORD = PX_SECRET_ENV.APP_DB_PASSWORD;

export async function sh(h: TestHost, cmd: string, input?: string, timeoutMs = 60_000): Promise<string> {
  const r = await ssh(h, cmd, { input, timeoutMs });
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Rows (tab-separated cells) of a query to a MySQL-protocol server on the host, with the password read from stdin. */
async function mysqlRows(h: TestHost, args: string, password: string, sql: string): Promise<string[][]> {
  const out = await sh(h, `IFS= read -r MYSQL_PWD; export MYSQL_PWD; exec mysql --batch --raw --skip-column-names --connect-timeout=5 ${args}`, `${password}\n${sql}\n`);
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** The admin interface on 127.0.0.1:6032 as stackscale's admin user. */
export function admin(h: TestHost, sql: string): Promise<string[][]> {
  return mysqlRows(h, '-h 127.0.0.1 -P 6032 -u admin', ADMIN_PASSWORD, sql);
}

/** The application's login through ProxySQL's client port, from the ProxySQL host (or `from`) to `address`. */
export async function app(h: TestHost, sql: string, address = '127.0.0.1', from: TestHost = h): Promise<string[][]> {
  return mysqlRows(from, `-h ${address} -P 6033 -u restro restro`, APP_PASSWORD, sql);
}

/** Same, but the outcome rather than an exception: for connections expected to fail. */
export async function tryApp(h: TestHost, sql: string, address: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return ssh(h, `IFS= read -r MYSQL_PWD; export MYSQL_PWD; exec mysql --batch --skip-column-names --connect-timeout=3 -h ${address} -P 6033 -u restro restro`, {
    input: `${APP_PASSWORD}\n${sql}\n`,
    timeoutMs: 30_000,
  });
}

/** SQL as root over the socket on a MariaDB host. */
export async function db(h: TestHost, sql: string): Promise<string> {
  return sh(h, 'mariadb --batch --skip-column-names', sql);
}

export async function waitFor(what: string, fn: () => Promise<boolean>, ms = 30_000, every = 250): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Listening TCP sockets on a port: the local addresses, sorted and unique. */
export async function listening(h: TestHost, port: number): Promise<string[]> {
  const out = await sh(h, `ss -Hltn 'sport = :${port}'`);
  return [...new Set(out.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[3]))].sort();
}
