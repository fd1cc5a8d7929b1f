// EXPLAIN of a logged SELECT, and what its plan says: full scans, filesorts and temporary tables on many rows, and the
// index the statement's own WHERE / ORDER BY imply. Only EXPLAIN is ever sent, never the statement, and only for a
// single SELECT (no INTO, no locking read); it runs in a READ ONLY transaction that is rolled back, so even a server
// that would evaluate a subquery while planning cannot be made to write.
import { maskLiterals, verbOf } from './fingerprint.js';

export interface ExplainRow {
  table: string;
  type: string;
  possibleKeys: string | null;
  key: string | null;
  rows: number | null;
  extra: string;
}

export interface IndexSuggestion {
  table: string;
  columns: string[];
  /** The DDL to try, for the operator to review: stackscale never runs it. */
  statement: string;
}

/** Rows above which a filesort or temporary table is worth a line. */
export const LARGE_ROWS = 1000;

/** Why a statement cannot be explained, or undefined when it can. */
export function notExplainable(sql: string): string | undefined {
  if (verbOf(sql) !== 'SELECT') return `${verbOf(sql) || 'not a SELECT'}: only SELECTs are explained, writes never`;
  const bare = maskLiterals(sql).replace(/\/\*[\s\S]*?\*\//g, ' ');
  if (/;\s*\S/.test(bare)) return 'more than one statement';
  if (/\binto\s+(?:outfile|dumpfile|@)/i.test(bare)) return 'a SELECT ... INTO: not explained';
  if (/\bfor\s+update\b|\block\s+in\s+share\s+mode\b|\bfor\s+share\b/i.test(bare)) return 'a locking read: not explained';
  return undefined;
}

/**
 * The client's stdin: a read-only transaction around the EXPLAIN, rolled back, with the server's own statement time
 * limit (10 s) so planning a pathological statement cannot hold a replica's thread.
 */
export function explainScript(sql: string, flavour: 'mariadb' | 'mysql' = 'mariadb'): string {
  const stmt = sql.replace(/;\s*$/, '');
  const limit = flavour === 'mariadb' ? 'SET SESSION max_statement_time = 10;' : 'SET SESSION max_execution_time = 10000;';
  return [limit, 'SET SESSION TRANSACTION READ ONLY;', 'START TRANSACTION READ ONLY;', `EXPLAIN ${stmt};`, 'ROLLBACK;', ''].join('\n');
}

/** `mariadb --batch` output of EXPLAIN (a header row, then tab-separated rows) to rows, in either flavour's columns. */
export function parseExplain(stdout: string): ExplainRow[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const head = lines.findIndex((l) => /^id\tselect_type\t/.test(l));
  if (head < 0) return [];
  const cols = lines[head].split('\t');
  const at = (name: string): number => cols.indexOf(name);
  const val = (cells: string[], name: string): string | null => {
    const v = cells[at(name)];
    return v === undefined || v === 'NULL' ? null : v;
  };
  return lines.slice(head + 1).map((l) => {
    const cells = l.split('\t');
    const rows = val(cells, 'rows');
    return {
      table: val(cells, 'table') ?? '',
      type: val(cells, 'type') ?? '',
      possibleKeys: val(cells, 'possible_keys'),
      key: val(cells, 'key'),
      rows: rows === null ? null : Number(rows),
      extra: val(cells, 'Extra') ?? '',
    };
  });
}

/** What the plan says, one line each. */
export function findings(rows: ExplainRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const n = r.rows ?? 0;
    if (r.type === 'ALL') out.push(`full table scan of ${r.table} (type ALL, about ${n} rows${r.possibleKeys ? `; possible keys ${r.possibleKeys} not used` : ', no usable index'})`);
    if (/Using filesort/.test(r.extra) && n >= LARGE_ROWS) out.push(`filesort over about ${n} rows of ${r.table}`);
    if (/Using temporary/.test(r.extra) && n >= LARGE_ROWS) out.push(`temporary table over about ${n} rows of ${r.table}`);
  }
  return out;
}

const NOT_ALIAS = new Set(['where', 'join', 'on', 'left', 'right', 'inner', 'outer', 'cross', 'group', 'order', 'limit', 'using', 'natural', 'straight_join', 'having', 'union', 'for', 'lock', 'procedure', 'window', 'force', 'use', 'ignore']);

function unquote(name: string): string {
  return name.replace(/`/g, '');
}

/** Tables of the FROM / JOIN clauses by the name EXPLAIN shows (alias, else table name). */
function tablesOf(sql: string): Map<string, string> {
  const map = new Map<string, string>();
  const re = /\b(?:from|join)\s+((?:`[^`]+`|[\w$]+)(?:\.(?:`[^`]+`|[\w$]+))?)(?:\s+(?:as\s+)?(`[^`]+`|[\w$]+))?/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(sql)) !== null) {
    const table = unquote(m[1].includes('.') ? m[1].split('.').pop() as string : m[1]);
    const alias = m[2] && !NOT_ALIAS.has(m[2].toLowerCase()) ? unquote(m[2]) : table;
    map.set(alias, table);
  }
  return map;
}

/**
 * The index rule: for a table read in full, the columns of that table the WHERE clause compares to a constant with
 * `=`, `<=>`, `IN (...)` or `IS NULL`, in the order written; then at most one column it compares with a range
 * (`<`, `>`, `<=`, `>=`, `BETWEEN`); then, when there is no range column, the ORDER BY columns. Equality columns come
 * first because an index can only be used column by column up to the first range. Columns of other tables must be
 * qualified (`alias.column`) to be attributed; an unqualified column counts only in a single-table statement.
 */
export function suggestIndex(sql: string, explainTable: string): IndexSuggestion | undefined {
  const masked = maskLiterals(sql).replace(/\/\*[\s\S]*?\*\//g, ' ');
  const tables = tablesOf(masked);
  const table = tables.get(explainTable) ?? explainTable;
  const single = tables.size === 1;
  const mine = (qualifier: string | undefined): boolean => (qualifier ? unquote(qualifier) === explainTable || unquote(qualifier) === table : single);

  const where = /\bwhere\b([\s\S]*?)(?:\bgroup\s+by\b|\border\s+by\b|\blimit\b|\bhaving\b|\bunion\b|$)/i.exec(masked)?.[1] ?? '';
  const col = String.raw`(?:(\`[^\`]+\`|[\w$]+)\.)?(\`[^\`]+\`|[A-Za-z_$][\w$]*)`;
  const equality: string[] = [];
  const range: string[] = [];
  const add = (list: string[], q: string | undefined, c: string): void => {
    const name = unquote(c);
    if (mine(q) && !equality.includes(name) && !range.includes(name) && !list.includes(name)) list.push(name);
  };
  for (const m of where.matchAll(new RegExp(`${col}\\s*(?:=|<=>)\\s*\\?|${col}\\s+in\\s*\\(|${col}\\s+is\\s+null`, 'gi'))) {
    const [q, c] = m[1] !== undefined || m[2] !== undefined ? [m[1], m[2]] : m[3] !== undefined || m[4] !== undefined ? [m[3], m[4]] : [m[5], m[6]];
    if (c) add(equality, q, c);
  }
  for (const m of where.matchAll(new RegExp(`${col}\\s*(?:<=|>=|<|>)\\s*\\?|${col}\\s+between\\s+\\?`, 'gi'))) {
    const [q, c] = m[2] !== undefined ? [m[1], m[2]] : [m[3], m[4]];
    if (c && range.length === 0) add(range, q, c);
  }
  const columns = [...equality, ...range];
  if (range.length === 0) {
    const order = /\border\s+by\s+([\s\S]*?)(?:\blimit\b|$)/i.exec(masked)?.[1] ?? '';
    for (const part of order.split(',')) {
      const m = new RegExp(`^\\s*${col}\\s*(asc|desc)?\\s*$`, 'i').exec(part);
      if (!m) break;
      const name = unquote(m[2]);
      if (!mine(m[1])) break;
      if (!columns.includes(name)) columns.push(name);
    }
  }
  if (columns.length === 0) return undefined;
  const name = `idx_${table}_${columns.join('_')}`.slice(0, 64);
  return { table, columns, statement: `ALTER TABLE \`${table}\` ADD INDEX \`${name}\` (${columns.map((c) => `\`${c}\``).join(', ')})` };
}

// ---- the read-only account EXPLAIN runs as ----

/** The account EXPLAIN runs as: SELECT and SHOW VIEW on every schema, nothing else. */
export const EXPLAIN_USER = 'stackscale_explain';
/** Its client option file, on each database host only (root-only, 0600): `[client]` user and password. */
export const EXPLAIN_DEFAULTS = '/var/lib/stackscale/explain.cnf';
/** Exit code of `explainClient` when the option file is missing (the host was never applied by this version). */
export const NO_EXPLAIN_ACCOUNT_EXIT = 90;

/**
 * Ensure the account on one host, run there as root. The password is made on the host (32 random alphanumerics),
 * kept only in EXPLAIN_DEFAULTS, and reaches the server on the client's stdin (a here-document, never argv). The
 * statements are kept out of the binary log (sql_log_bin = 0): each host has its own account and password, so a
 * replica's never comes from the primary and no password leaves its host. REVOKE then GRANT leaves exactly
 * SELECT and SHOW VIEW whatever was granted before. Prints `created` when it made the option file, else `kept`.
 */
export function ensureExplainAccount(flavour: 'mariadb' | 'mysql'): string[] {
  const client = flavour === 'mariadb' ? 'mariadb' : 'mysql';
  const script = [
    'umask 077',
    'f="$1"',
    'mkdir -p -- "$(dirname -- "$f")" || exit 1',
    'state=kept',
    'if ! grep -q "^password=" "$f" 2>/dev/null; then',
    '  pw=$(tr -dc "A-Za-z0-9" </dev/urandom | head -c 32) || exit 1',
    `  printf "[client]\\nuser=%s\\npassword=%s\\n" "$2" "$pw" >"$f.tmp" && chmod 0600 "$f.tmp" && chown root:root "$f.tmp" && mv -f -- "$f.tmp" "$f" || exit 1`,
    '  state=created',
    'fi',
    'pw=$(sed -n "s/^password=//p" "$f" | head -n 1)',
    '[ -n "$pw" ] || exit 1',
    // The client's errors go back with the password masked, should one ever echo a statement.
    '"$3" --batch --skip-column-names 2>"$f.err" <<SQL',
    'SET SESSION sql_log_bin = 0;',
    "CREATE USER IF NOT EXISTS '$2'@'localhost' IDENTIFIED BY '$pw';",
    "ALTER USER '$2'@'localhost' IDENTIFIED BY '$pw';",
    "REVOKE ALL PRIVILEGES, GRANT OPTION FROM '$2'@'localhost';",
    "GRANT SELECT, SHOW VIEW ON *.* TO '$2'@'localhost';",
    'SQL',
    'rc=$?',
    'sed "s/$pw/********/g" "$f.err" >&2; rm -f -- "$f.err"',
    '[ "$rc" -eq 0 ] || exit 1',
    'echo "$state"',
  ].join('\n');
  return ['sh', '-c', script, 'stackscale-explain-account', EXPLAIN_DEFAULTS, EXPLAIN_USER, client];
}

/**
 * The client EXPLAIN runs through: the read-only account's option file (read by root, the client gets only its
 * path), in `database`. Exits NO_EXPLAIN_ACCOUNT_EXIT without running anything when the file is missing: EXPLAIN
 * is then skipped, never run as root.
 */
export function explainClient(flavour: 'mariadb' | 'mysql', database: string): string[] {
  const script = `[ -r "$1" ] || exit ${NO_EXPLAIN_ACCOUNT_EXIT}; exec "$2" --defaults-extra-file="$1" --batch --database="$3"`;
  return ['sh', '-c', script, 'stackscale-explain', EXPLAIN_DEFAULTS, flavour === 'mariadb' ? 'mariadb' : 'mysql', database];
}

/**
 * Read only: prints `ok` when the option file exists, logs in as the account, and the account holds exactly
 * SELECT and SHOW VIEW on *.*; else `need` (apply then runs ensureExplainAccount).
 */
export function explainAccountProbe(flavour: 'mariadb' | 'mysql'): string[] {
  const script = [
    '[ -r "$1" ] || { echo need; exit 0; }',
    'g=$("$2" --defaults-extra-file="$1" --batch --skip-column-names -e "SHOW GRANTS" 2>/dev/null) || { echo need; exit 0; }',
    '[ "$(printf "%s\\n" "$g" | wc -l)" -eq 1 ] && printf "%s\\n" "$g" | grep -q "^GRANT SELECT, SHOW VIEW ON \\*\\.\\* TO" && echo ok || echo need',
  ].join('\n');
  return ['sh', '-c', script, 'stackscale-explain-probe', EXPLAIN_DEFAULTS, flavour === 'mariadb' ? 'mariadb' : 'mysql'];
}

/** The statements ensureExplainAccount runs, as the plan shows them (the password is made on the host, never seen here). */
export const EXPLAIN_ACCOUNT_SHOWN = [
  `CREATE USER IF NOT EXISTS '${EXPLAIN_USER}'@'localhost' IDENTIFIED BY '********'`,
  `ALTER USER '${EXPLAIN_USER}'@'localhost' IDENTIFIED BY '********'`,
  `REVOKE ALL PRIVILEGES, GRANT OPTION FROM '${EXPLAIN_USER}'@'localhost'`,
  `GRANT SELECT, SHOW VIEW ON *.* TO '${EXPLAIN_USER}'@'localhost'`,
];
