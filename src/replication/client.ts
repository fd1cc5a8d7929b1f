// The mysql client on a host, driven over the transport: SQL on stdin, never in argv. As root on Debian the client
// logs in through the unix socket with no password; where a password is needed (ProxySQL's admin interface, a MySQL
// root with a password) it goes into a 0600 defaults file read from the same stdin, removed when the client exits.
import { UserError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import { shellQuote } from '../transport/types.js';
import { maskText } from '../mask.js';

export interface ClientLogin {
  user: string;
  password: string;
  host?: string;
  port?: number;
}

export interface SqlRunner {
  readonly host: string;
  /** Runs a script; resolves with stdout, throws a UserError (secrets masked) when the client fails. */
  run(script: string, options?: { timeoutMs?: number }): Promise<string>;
}

/** A [client] option file; values in double quotes with `\\` and `\"` escaped (my_load_defaults reads those). */
export function defaultsFile(login: ClientLogin): string {
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

export function transportSqlRunner(
  t: Transport,
  binary: 'mariadb' | 'mysql',
  options: { login?: ClientLogin; secrets?: (string | undefined)[]; args?: string[] } = {},
): SqlRunner {
  const args = options.args ?? ['--batch'];
  const secrets = [...(options.secrets ?? []), options.login?.password];
  return {
    host: t.host,
    async run(script, runOptions = {}) {
      const login = options.login ? Buffer.from(defaultsFile(options.login), 'utf8') : undefined;
      const command = clientCommand(binary, args, login?.length);
      const stdin = login ? Buffer.concat([login, Buffer.from(script, 'utf8')]) : script;
      const r = await t.run(command, { stdin, timeoutMs: runOptions.timeoutMs ?? 60_000 });
      if (r.code !== 0) {
        const why = maskText(r.stderr.trim() || `exit ${r.code}`, secrets);
        throw new UserError({ where: t.host, message: `${binary} failed: ${why}` });
      }
      return r.stdout;
    },
  };
}

/**
 * `--batch` output: a header line, then tab-separated rows. The client escapes tab, newline, backslash and NUL as
 * `\t`, `\n`, `\\`, `\0`; NULL prints as the bare word NULL (a string 'NULL' cannot be told apart: none is read here).
 */
export function parseBatch(output: string): Record<string, string | null>[] {
  const lines = output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return [];
  const header = lines[0].split('\t').map(unescapeBatch);
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] === 'NULL' ? null : unescapeBatch(cells[i] ?? '')]));
  });
}

function unescapeBatch(cell: string): string {
  return cell.replace(/\\([tn0\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === '0' ? '\0' : '\\'));
}
