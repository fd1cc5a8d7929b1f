// Masking: the one place a secret value is replaced by MASK before text is printed, logged, diffed or put in JSON.
// Below every layer (replication, ProxySQL, plan, apply, status all mask), so none of them imports another for it.
export const MASK = '********';

/**
 * Every secret value in a text replaced by MASK, and also the value as MySQL/MariaDB quote it back inside a string
 * literal (backslash escapes), since a server's error may quote the statement it failed on.
 */
export function maskText(text: string, secrets: Iterable<string | undefined> | Readonly<Record<string, string | undefined>>): string {
  const values = Symbol.iterator in secrets ? [...(secrets as Iterable<string | undefined>)] : Object.values(secrets);
  let out = text;
  for (const s of values) {
    if (!s) continue;
    out = out.split(s).join(MASK);
    const escaped = sqlEscaped(s);
    if (escaped !== s) out = out.split(escaped).join(MASK);
  }
  return out;
}

/** The body of a MySQL string literal for the value (default sql_mode: backslash escapes). */
function sqlEscaped(value: string): string {
  const map: Record<string, string> = { "'": "\\'", '\\': '\\\\', '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z' };
  let out = '';
  for (const ch of value) out += map[ch] ?? ch;
  return out;
}
