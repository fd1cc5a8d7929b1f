// Small pure parsers for what the daemons print, each tested with captured output:
// php-fpm's status page as `?json`, Redis INFO (through redis-cli's stdin, after an optional AUTH), the mysql
// client's `--batch --skip-column-names` name/value pairs, and ProxySQL's stats_mysql_connection_pool rows.

/** Thrown when a daemon's answer is not what the parser expects; the message is safe to print (no secrets). */
export class StatusParseError extends Error {}

export interface FpmStatus {
  pool: string;
  processManager: string;
  startSince: number;
  acceptedConn: number;
  listenQueue: number;
  maxListenQueue: number;
  listenQueueLen: number;
  idle: number;
  active: number;
  total: number;
  maxActive: number;
  maxChildrenReached: number;
  slowRequests: number;
}

/** php-fpm's status page with `?json` (fpm_status.c): one object, keys with spaces. */
export function parseFpmStatusJson(body: string): FpmStatus {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    const first = body.trim().split('\n')[0] ?? '';
    throw new StatusParseError(`the status page did not answer with JSON${first ? `: "${first.slice(0, 80)}"` : ' (empty answer)'}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new StatusParseError('the status page answered JSON that is not an object');
  const o = doc as Record<string, unknown>;
  const num = (key: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new StatusParseError(`the status page has no number "${key}"`);
    return v;
  };
  return {
    pool: String(o.pool ?? ''),
    processManager: String(o['process manager'] ?? ''),
    startSince: num('start since'),
    acceptedConn: num('accepted conn'),
    listenQueue: num('listen queue'),
    maxListenQueue: num('max listen queue'),
    listenQueueLen: num('listen queue len'),
    idle: num('idle processes'),
    active: num('active processes'),
    total: num('total processes'),
    maxActive: num('max active processes'),
    maxChildrenReached: num('max children reached'),
    slowRequests: num('slow requests'),
  };
}

/** `INFO` as `field:value` lines under `# Section` headers, CRLF line ends. Keyspace lines keep their raw value. */
export function parseRedisInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

export interface RedisInfoReply {
  info: Record<string, string>;
  /** The server refused AUTH (wrong password, or none configured); redis' own words, which never hold the password. */
  authError?: string;
}

/**
 * What redis-cli prints for `[AUTH ...]` + `INFO` on its stdin: the AUTH reply on the first line when a password was
 * sent, then INFO's text, or an error line (NOAUTH when a password is needed and none was sent or it was refused).
 */
export function parseRedisInfoReply(stdout: string, sentAuth: boolean): RedisInfoReply {
  const lines = stdout.split('\n').map((l) => l.replace(/\r$/, ''));
  let authError: string | undefined;
  if (sentAuth) {
    const first = (lines.shift() ?? '').trim();
    if (first !== 'OK') authError = first.replace(/^\(error\)\s*/, '') || 'no reply to AUTH';
  }
  const rest = lines.join('\n');
  const firstLine = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  if (!firstLine.startsWith('#')) {
    const why = firstLine.replace(/^\(error\)\s*/, '') || 'no reply to INFO';
    throw new StatusParseError(authError ? `${why} (AUTH: ${authError})` : why);
  }
  return { info: parseRedisInfo(rest), authError };
}

/** `SHOW GLOBAL STATUS` / `SHOW GLOBAL VARIABLES` through `--batch --skip-column-names`: `Name<TAB>Value` lines. */
export function parseNameValues(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    out[line.slice(0, tab)] = line.slice(tab + 1);
  }
  return out;
}

export interface PoolRow {
  hostgroup: number;
  host: string;
  port: number;
  /** ONLINE, SHUNNED, SHUNNED_REPLICATION_LAG, OFFLINE_SOFT, OFFLINE_HARD. */
  status: string;
  used: number;
  free: number;
  ok: number;
  err: number;
  maxUsed: number;
  queries: number;
}

/** Rows of `SELECT * FROM stats_mysql_connection_pool` as the admin interface returns them (cells as text). */
export function parsePoolRows(rows: Record<string, string | null>[]): PoolRow[] {
  const n = (v: string | null | undefined): number => (v === null || v === undefined || v === '' ? 0 : Number(v));
  return rows.map((r) => {
    if (r.srv_host === undefined || r.ConnUsed === undefined) {
      throw new StatusParseError(`stats_mysql_connection_pool row without srv_host/ConnUsed: columns ${Object.keys(r).join(', ')}`);
    }
    return {
      hostgroup: n(r.hostgroup ?? r.hostgroup_id),
      host: r.srv_host ?? '',
      port: n(r.srv_port),
      status: r.status ?? '',
      used: n(r.ConnUsed),
      free: n(r.ConnFree),
      ok: n(r.ConnOK),
      err: n(r.ConnERR),
      maxUsed: n(r.MaxConnUsed),
      queries: n(r.Queries),
    };
  });
}

/** A number field of a parsed reply, or undefined when it is absent or not a number. */
export function numberField(fields: Record<string, string>, name: string): number | undefined {
  const v = fields[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export interface HostSample {
  /** Share of CPU time not idle or iowait between the two /proc/stat lines (0-1). */
  cpuBusy: number;
  memTotal: number;
  memAvailable: number;
}

/**
 * A `cpu ...` line of /proc/stat as jiffies busy and in all: user nice system idle iowait irq softirq steal (the guest
 * columns after them are already counted in user and nice); idle and iowait are the time not busy.
 */
export function cpuJiffies(line: string): { busy: number; total: number } {
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/** One `Name:  N kB` line of /proc/meminfo, in bytes; undefined when it is missing. */
export function meminfoBytes(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Two `cpu ...` lines of /proc/stat a second apart, then MemTotal and MemAvailable (kB) of /proc/meminfo. */
export function parseHostSample(text: string): HostSample {
  const cpu = text.split('\n').filter((l) => /^cpu\s/.test(l)).map(cpuJiffies);
  if (cpu.length < 2) throw new StatusParseError('no two cpu lines from /proc/stat');
  const dt = cpu[1].total - cpu[0].total;
  const busy = cpu[1].busy - cpu[0].busy;
  const kb = (name: string): number => {
    const bytes = meminfoBytes(text, name);
    if (bytes === undefined) throw new StatusParseError(`no ${name} in /proc/meminfo`);
    return bytes;
  };
  return { cpuBusy: dt > 0 ? Math.max(0, Math.min(1, busy / dt)) : 0, memTotal: kb('MemTotal'), memAvailable: kb('MemAvailable') };
}
