// The one way stackscale gives the MySQL/MariaDB client (and ProxySQL's admin interface, which speaks its protocol)
// a password: never in argv (every user of a host sees argv through `ps`), but as a [client] option file that arrives
// on stdin ahead of the SQL, is written under umask 077 to a mktemp file and removed when the client exits. As root
// on Debian the client needs no password at all (unix_socket auth): then stdin is the SQL alone.
import { shellQuote } from '../transport/types.js';

export interface ClientLogin {
  user: string;
  password: string;
  host?: string;
  port?: number;
}

/** A [client] option file; values in double quotes with `\\` and `\"` escaped (my_load_defaults reads those). */
export function clientOptionFile(login: ClientLogin): string {
  const q = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = ['[client]', `user=${q(login.user)}`, `password=${q(login.password)}`];
  if (login.host !== undefined) lines.push(`host=${q(login.host)}`);
  if (login.port !== undefined) lines.push(`port=${login.port}`);
  return lines.join('\n') + '\n';
}

/**
 * The shell command. With a login, the first `bytes` bytes of stdin are the defaults file: `dd bs=1` reads exactly
 * those (head could read ahead into the SQL), into a mktemp file under umask 077.
 */
export function clientCommand(binary: string, args: string[], loginBytes?: number): string {
  const client = [binary, ...args].map(shellQuote).join(' ');
  if (loginBytes === undefined) return client;
  const withFile = [binary, '--defaults-extra-file="$f"', ...args.map(shellQuote)].join(' ');
  return `umask 077; f=$(mktemp) || exit 1; trap 'rm -f "$f"' EXIT; dd bs=1 count=${loginBytes} of="$f" 2>/dev/null; ${withFile}`;
}

/**
 * The shell command and its stdin for a script run by `binary`: the option file's bytes first when there is a login,
 * then the SQL.
 */
export function sqlInvocation(binary: string, args: string[], login: ClientLogin | undefined, script: string): { command: string; stdin: string | Buffer } {
  if (!login) return { command: clientCommand(binary, args), stdin: script };
  const file = Buffer.from(clientOptionFile(login), 'utf8');
  return { command: clientCommand(binary, args, file.length), stdin: Buffer.concat([file, Buffer.from(script, 'utf8')]) };
}

/** ProxySQL's admin interface on this host, as its cnf's admin login: the SQL and the login on stdin. */
export function proxysqlAdmin(admin: { port: number; user: string; password?: string }, script: string): { command: string; stdin: string | Buffer } {
  const login = { user: admin.user, password: admin.password ?? '', host: '127.0.0.1', port: admin.port };
  return sqlInvocation('mysql', ['--batch', '--skip-column-names'], login, script);
}

/** Statements as one script for the client's stdin: each on its own line, ending in `;`. */
export function sqlScript(statements: readonly string[]): string {
  return statements.map((s) => (s.trimEnd().endsWith(';') ? s.trimEnd() : `${s.trimEnd()};`)).join('\n') + '\n';
}
