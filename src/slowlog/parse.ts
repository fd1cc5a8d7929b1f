// A streaming parser of the MySQL / MariaDB slow query log: chunks of text in, one entry per logged statement out,
// never the whole file in memory. One parser reads both flavours' formats:
//
//   /usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1 (Debian 12). started with:   <- header, at every start
//   Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock
//   Time                 Id Command    Argument
//   # Time: 241129  9:31:26                            <- MariaDB: only when the second changes
//   # Time: 2024-11-29T09:31:26.123456Z                <- MySQL 8: every entry
//   # User@Host: app[app] @ web1 [10.0.0.21]  Id:    42 <- "Id:" on MySQL only
//   # Thread_id: 12  Schema: shop  QC_hit: No          <- MariaDB
//   # Query_time: 0.000244  Lock_time: 0.000082  Rows_sent: 0  Rows_examined: 2  [MySQL log_slow_extra: more pairs]
//   # Rows_affected: 0  Bytes_sent: 124                <- MariaDB; log_slow_verbosity adds more "# ..." lines
//   use `shop`;                                        <- when the default database changed
//   SET timestamp=1795944686;
//   SELECT ... (any number of lines) ;
//
// An entry's statement runs until a line starting with "#" that follows a line ending in ";" (the separator
// pt-query-digest splits on, so both tools see the same statements), or a server header, or the end.

export interface SlowEntry {
  /** Unix time in seconds (SET timestamp, else the last "# Time" line); undefined when the log has neither. */
  time?: number;
  user?: string;
  client?: string;
  queryTime: number;
  lockTime: number;
  rowsSent: number;
  rowsExamined: number;
  db?: string;
  /** The statement as logged, without its final ";". */
  sql: string;
  /** Line of the entry's first header line in its file (1-based). */
  line: number;
}

export class SlowLogFormatError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
    this.name = 'SlowLogFormatError';
  }
}

/** The three lines a server writes when it opens the log (at every start), as pt-query-digest recognises them. */
const SERVER_HEADER = /^(?:[/A-Za-z].*(?:mysqld|mariadbd|mysqld-debug), Version: .*(?:started with:|embedded library)|Tcp port: \d+|Time\s+Id\s+Command\s+Argument)/;
/** `Name: value` pairs of the "# Query_time" and "# Thread_id" lines. */
const PROPERTY = /(\w+):\s+(\S+)/g;
/** How many lines may pass without a "# Query_time" before the file is declared not a slow log. */
const FORMAT_WINDOW = 400;

type State = 'start' | 'header' | 'statement';

export class SlowLogParser {
  private state: State = 'start';
  private rest = '';
  private lineNo = 0;
  private entry: Partial<SlowEntry> & { line?: number; sqlLines?: string[]; schema?: string; schemaEmpty?: boolean } = {};
  private lastTime: number | undefined;
  private lastDb: string | undefined;
  private seenQueryTime = false;
  private contentLines = 0;
  private firstContentLine = 0;
  private prevEndsStatement = false;
  entries = 0;

  constructor(private readonly onEntry: (e: SlowEntry) => void) {}

  /** Feed the next chunk of the file (any split, even mid-line). */
  push(chunk: string): void {
    const text = this.rest + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.line(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  /** The end of the file: the last statement is complete. Throws SlowLogFormatError for a file that is not a slow log. */
  end(): void {
    if (this.rest !== '') this.line(this.rest);
    this.rest = '';
    this.finish();
    if (!this.seenQueryTime && this.contentLines > 0) {
      throw new SlowLogFormatError(this.firstContentLine, 'no "# Query_time:" line: not a MySQL or MariaDB slow query log');
    }
  }

  private line(l: string): void {
    this.lineNo++;
    if (this.state === 'statement') {
      const boundary = this.prevEndsStatement && (l.charCodeAt(0) === 35 /* # */ || SERVER_HEADER.test(l));
      if (!boundary) {
        this.entry.sqlLines!.push(l);
        this.prevEndsStatement = l.endsWith(';');
        return;
      }
      this.finish();
    }
    if (l.charCodeAt(0) === 35 /* # */) return this.comment(l);
    if (SERVER_HEADER.test(l)) {
      this.lastDb = undefined; // a restarted server names the database again
      return;
    }
    if (this.state === 'header') {
      if (l.startsWith('use ')) {
        this.entry.db = unquoteName(l.slice(4).replace(/;\s*$/, ''));
        return;
      }
      const ts = /^SET timestamp=(\d+)/.exec(l);
      if (ts) {
        this.entry.time = Number(ts[1]);
        return;
      }
      if (/^SET (?:last_insert_id|insert_id)=/.test(l)) return;
    }
    if (l.trim() === '') return;
    this.countContent();
    if (this.state !== 'header') return; // text outside any entry (a truncated first entry): skipped
    this.state = 'statement';
    this.entry.sqlLines = [l];
    this.prevEndsStatement = l.endsWith(';');
  }

  private comment(l: string): void {
    if (l.startsWith('# Time: ')) {
      this.lastTime = parseLogTime(l.slice(8).trim()) ?? this.lastTime;
      this.begin();
      return;
    }
    if (l.startsWith('# User@Host: ')) {
      // A second User@Host without a statement between starts another entry.
      if (this.state !== 'header' || this.entry.user !== undefined) this.begin();
      const m = /^# User@Host: ([^[]*)\[([^\]]*)\] @ (\S*) ?\[([^\]]*)\]/.exec(l);
      if (m) {
        this.entry.user = m[1].trim() || m[2];
        this.entry.client = m[3] || m[4];
      }
      return;
    }
    const props = l.startsWith('# Query_time: ') || l.startsWith('# Thread_id: ');
    // An entry whose header lacks the User@Host line still starts at its first property line.
    if (props && this.state === 'start') this.begin();
    if (this.state !== 'header') {
      this.countContent();
      return;
    }
    if (l.startsWith('# administrator command: ')) {
      // MySQL logs a protocol command (Quit, Prepare, ...) as a comment line in place of a statement: it is one.
      this.entry.sqlLines = [l.slice(2)];
      this.state = 'statement';
      this.prevEndsStatement = true;
      return;
    }
    if (props) {
      PROPERTY.lastIndex = 0;
      let m: RegExpExecArray | null;
      // MariaDB writes "Schema:   QC_hit: No" for no database: an empty value, not "QC_hit:".
      const text = l.replace(/Schema:\s+(\w+): /, 'Schema: - $1: ');
      while ((m = PROPERTY.exec(text)) !== null) {
        const [, k, v] = m;
        if (k === 'Query_time') this.entry.queryTime = Number(v);
        else if (k === 'Lock_time') this.entry.lockTime = Number(v);
        else if (k === 'Rows_sent') this.entry.rowsSent = Number(v);
        else if (k === 'Rows_examined') this.entry.rowsExamined = Number(v);
        else if (k === 'Schema') {
          if (v === '-') this.entry.schemaEmpty = true;
          else this.entry.schema = v;
        }
      }
      if (l.startsWith('# Query_time: ')) this.seenQueryTime = true;
    }
  }

  private countContent(): void {
    if (this.contentLines++ === 0) this.firstContentLine = this.lineNo;
    if (!this.seenQueryTime && this.contentLines > FORMAT_WINDOW) {
      throw new SlowLogFormatError(this.firstContentLine, `${FORMAT_WINDOW} lines without a "# Query_time:" line: not a MySQL or MariaDB slow query log`);
    }
  }

  /** A new entry's header starts here. */
  private begin(): void {
    if (this.state === 'statement') this.finish();
    if (this.state === 'header' && this.entry.user === undefined && this.entry.queryTime === undefined) return;
    this.entry = { line: this.lineNo };
    this.state = 'header';
  }

  private finish(): void {
    const e = this.entry;
    if (this.state === 'statement' && e.sqlLines && e.queryTime !== undefined) {
      let sql = e.sqlLines.join('\n');
      sql = sql.replace(/;\s*$/, '');
      // The server writes `use` only when the database differs from the last one it wrote to this file, so an entry
      // without one is in the last named database. MariaDB also names it (Schema), and an empty Schema means none.
      if (e.db) this.lastDb = e.db;
      const db = e.db ?? (e.schema === undefined ? (e.schemaEmpty ? undefined : this.lastDb) : e.schema);
      this.onEntry({
        time: e.time ?? this.lastTime,
        user: e.user,
        client: e.client,
        queryTime: e.queryTime,
        lockTime: e.lockTime ?? 0,
        rowsSent: e.rowsSent ?? 0,
        rowsExamined: e.rowsExamined ?? 0,
        db,
        sql,
        line: e.line ?? this.lineNo,
      });
      this.entries++;
    }
    this.entry = { line: this.lineNo + 1 };
    this.state = this.state === 'statement' ? 'start' : this.state;
    this.prevEndsStatement = false;
  }
}

/** `` `shop` `` -> shop. */
function unquoteName(s: string): string {
  const t = s.trim();
  return t.startsWith('`') && t.endsWith('`') ? t.slice(1, -1).replace(/``/g, '`') : t;
}

/** "241129  9:31:26" (MariaDB, server local time taken as UTC) or "2024-11-29T09:31:26.123456Z" (MySQL 8) to Unix seconds. */
export function parseLogTime(s: string): number | undefined {
  let m = /^(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})$/.exec(s);
  if (m) return Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (m) {
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${m[8] ?? 'Z'}`);
    return Number.isNaN(ms) ? undefined : ms / 1000;
  }
  return undefined;
}

/** Parse a whole text at once (tests, small files). */
export function parseSlowLog(text: string): SlowEntry[] {
  const out: SlowEntry[] = [];
  const p = new SlowLogParser((e) => out.push(e));
  p.push(text);
  p.end();
  return out;
}
