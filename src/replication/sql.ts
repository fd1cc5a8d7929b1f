// SQL for MySQL/MariaDB replication, built as data: every statement carries the real text (sent on the mysql client's
// stdin, never argv) and a masked text (for plan, logs and errors), made by one tag so the two cannot drift apart.
import { MASK } from '../mask.js';
import { sqlScript } from '../daemons/mysql-client.js';

/** A secret value: its text goes only into `sql`, `masked` shows MASK in its place. */
export interface SecretValue {
  readonly secret: string;
}
/** Text inserted as is (keywords, already-quoted identifiers). */
export interface RawSql {
  readonly raw: string;
}

export interface Statement {
  /** What the server runs. May hold a password: never print it. */
  sql: string;
  /** The same statement with every secret masked. */
  masked: string;
}

export function secret(value: string): SecretValue {
  return { secret: value };
}
export function raw(text: string): RawSql {
  return { raw: text };
}

/**
 * A string literal for MySQL and MariaDB under the default sql_mode (backslash is an escape character there; with
 * NO_BACKSLASH_ESCAPES the doubled quote still works, and stackscale never sets that mode).
 */
export function sqlLiteral(value: string): string {
  let out = "'";
  for (const ch of value) {
    if (ch === "'") out += "\\'";
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\0') out += '\\0';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x1a') out += '\\Z';
    else out += ch;
  }
  return `${out}'`;
}

/** A quoted identifier: backticks, a backtick inside doubled. */
export function sqlIdent(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

type Value = string | number | SecretValue | RawSql;

/** sql`CHANGE MASTER TO MASTER_HOST=${host}, MASTER_PASSWORD=${secret(pw)}`: strings quoted, numbers bare. */
export function sql(strings: TemplateStringsArray, ...values: Value[]): Statement {
  let real = strings[0];
  let masked = strings[0];
  values.forEach((v, i) => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
      real += String(v);
      masked += String(v);
    } else if (typeof v === 'string') {
      real += sqlLiteral(v);
      masked += sqlLiteral(v);
    } else if ('secret' in v) {
      real += sqlLiteral(v.secret);
      masked += `'${MASK}'`;
    } else {
      real += v.raw;
      masked += v.raw;
    }
    real += strings[i + 1];
    masked += strings[i + 1];
  });
  return { sql: real, masked };
}

/** The statements as one script for the client's stdin, each ending in `;`. */
export function script(statements: Statement[]): string {
  return sqlScript(statements.map((s) => s.sql));
}
