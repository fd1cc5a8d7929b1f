// How any message quotes a value the user gave: short and printable, so a wrong file (`--site .env`) or a pasted
// secret never ends up whole in a terminal, a CI log or a JSON document.

/** The most of a value any message quotes: a setting is short; anything longer is not one, and may be a secret. */
export const EXCERPT_CHARS = 60;

/**
 * A short, printable excerpt of a text for a message: at most EXCERPT_CHARS characters, control and other invisible
 * characters escaped (`\n`, `\u0000`), quoted, and the length said when it was cut.
 */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const chars = [...text];
  const cut = chars.length > max;
  const body = chars.slice(0, max).map(printable).join('');
  return cut ? `"${body}..." (${chars.length} characters)` : `"${body}"`;
}

function printable(c: string): string {
  if (c === '"' || c === '\\') return `\\${c}`;
  if (!/[\p{C}\p{Zl}\p{Zp}]/u.test(c)) return c;
  const json = JSON.stringify(c).slice(1, -1); // \n, \t, \u0000 for the C0 controls
  return json.startsWith('\\') ? json : `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

