// The mysql client on a host, driven over the transport: SQL on stdin, never in argv (daemons/mysql-client.ts builds
// the command and its stdin, with the login when there is one).
import { UserError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import { maskText } from '../mask.js';
import { sqlInvocation, type ClientLogin } from '../daemons/mysql-client.js';


export interface SqlRunner {
  readonly host: string;
  /** Runs a script; resolves with stdout, throws a UserError (secrets masked) when the client fails. */
  run(script: string, options?: { timeoutMs?: number }): Promise<string>;
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
      const { command, stdin } = sqlInvocation(binary, args, options.login, script);
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
