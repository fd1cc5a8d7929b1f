// Quoting for each syntax a value lands in. Every value a template inserts passes through one of these, because
// templates are compiled with noEscape (config files are not HTML) and a secret may hold any character.

/** One comment line: derivation texts are prose and must not break out of the comment with a newline. */
export function commentText(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The named escapes both redis.conf and libconfig understand inside double quotes. */
const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A double-quoted literal: named escapes first, other control characters as `\\xHH`, everything else as is. */
function doubleQuoted(value: string, escapes: Record<string, string>): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    out += escapes[ch] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch);
  }
  return `${out}"`;
}

/**
 * A redis.conf argument. Redis splits lines with sdssplitargs: bare words end at whitespace, and inside double quotes
 * `\"`, `\\`, `\n`, `\r`, `\t` and `\xHH` are escapes. Values that need none of that stay bare, so the plan layer's
 * simple reader and CONFIG SET see the same text as the file.
 */
export function redisArg(value: string): string {
  if (value !== '' && /^[\x21-\x7e]+$/.test(value) && !/["'\\]/.test(value)) return value;
  return doubleQuoted(value, ESCAPES);
}

/** A libconfig string literal (libconfig scanner: `\\`, `\"`, `\f`, `\n`, `\r`, `\t`, `\xHH`). */
export function libconfigString(value: string): string {
  return doubleQuoted(value, { ...ESCAPES, '\f': '\\f' });
}

/** The value of a libconfig string literal's inside (what is between the quotes): the escapes above undone. */
export function libconfigUnescape(inner: string): string {
  const named: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t', f: '\f' };
  return inner.replace(/\\(x[0-9A-Fa-f]{2}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : named[e] ?? e));
}

/**
 * A libconfig integer. libconfig reads a bare number that does not fit 32 bits as a truncated int (seen with 1.5),
 * so larger values carry the `L` suffix that makes them int64.
 */
export function libconfigInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return value > 2147483647 || value < -2147483648 ? `${value}L` : String(value);
}

/**
 * An SQL string literal for ProxySQL's admin interface, which hands the statement to SQLite: quotes are doubled.
 * A backslash is spliced in as char(92), because the mysql client that carries the statement reads `\'` as an escaped
 * quote while SQLite does not, and the two would then disagree on where the string ends. NUL cannot be carried at all.
 */
export function sqlString(value: string): string {
  if (value.includes('\0')) throw new Error('an SQL string cannot hold a NUL character');
  const parts = value.split('\\').map((p) => `'${p.replace(/'/g, "''")}'`);
  return parts.length === 1 ? parts[0] : parts.join(' || char(92) || ');
}

/** An SQL value: numbers bare, booleans 0/1 (ProxySQL's columns are INT with CHECK IN (0,1)), strings quoted. */
export function sqlValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  return sqlString(value);
}
