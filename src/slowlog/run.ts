// `slowlog` below the CLI: local files digested (`digestFiles`), or the site's database hosts over a session
// (`digestSite`): each host's slow log read over its connection, digested, and the worst SELECTs EXPLAINed on a replica
// (else the primary). Read only: nothing is written on any host.
import type { HostSpec, Profile } from '../config/types.js';
import { EXIT, InvalidInputError, UserError } from '../errors.js';
import type { Inputs } from '../session/inputs.js';
import type { SiteSession } from '../session/session.js';
import type { ReachedHost } from '../session/collect.js';
import { sizeSite } from '../sizing/model.js';
import { slowQueryLogFile } from '../render/mysql.js';
import { Digest } from './aggregate.js';
import { EXPLAIN_DEFAULTS, EXPLAIN_USER, NO_EXPLAIN_ACCOUNT_EXIT, explainClient, explainScript, findings, notExplainable, parseExplain, suggestIndex } from './explain.js';
import { INDEX_RULE, assembleSlowlogReport, perQueryBudgetMs, profileCheck, type ExplainResult, type SlowlogReport, type SourceReport, type StatementReport } from './report.js';
import { readLocalLog, readRemoteLog, remoteLogFiles } from './source.js';

/** Read every host's slow log into the digest; per host, the files read and the entries found. */
export async function digestHosts(
  hosts: ReachedHost[],
  digest: Digest,
  opts: { since?: number; progress?: (host: string, step: string) => void },
): Promise<SourceReport[]> {
  const sources: SourceReport[] = [];
  for (const h of hosts) {
    if (!h.facts.db) {
      throw new UserError({ where: h.host.name, message: 'no MySQL or MariaDB server is installed', fix: 'give --host a database host, or run `stackscale apply` first' }, EXIT.error);
    }
    const path = slowQueryLogFile(h.facts.db.flavour);
    const files = await remoteLogFiles(h.transport, path, opts.since);
    let entries = 0;
    for (const f of files) {
      opts.progress?.(h.host.name, `reading ${f.path} (${f.bytes} bytes)`);
      entries += await readRemoteLog(h.transport, f, (e) => digest.add(e, h.host.name));
    }
    sources.push({ host: h.host.name, files: files.map((f) => ({ path: f.path, bytes: f.bytes })), entries });
  }
  return sources;
}

/** EXPLAIN one statement on `on`, in its database, as the read-only account, inside a read-only transaction. */
export async function explainStatement(on: ReachedHost, s: StatementReport, realSql: string): Promise<ExplainResult> {
  const result: ExplainResult = { host: on.host.name };
  const why = notExplainable(realSql);
  if (why) return { ...result, skipped: why };
  const db = s.example.database ?? s.databases[0];
  if (!db) return { ...result, skipped: 'no database is known for it (the log names none)' };
  result.database = db;
  const flavour = on.facts.db?.flavour ?? 'mariadb';
  // As the read-only account (its option file on the host), never as root: without the file, no EXPLAIN.
  const r = await on.transport.run(explainClient(flavour, db), { stdin: explainScript(realSql, flavour), timeoutMs: 30_000 });
  if (r.code === NO_EXPLAIN_ACCOUNT_EXIT) {
    return { ...result, skipped: `no read-only account on ${on.host.name} (${EXPLAIN_DEFAULTS} is missing): run \`stackscale apply\` to create ${EXPLAIN_USER}; EXPLAIN never runs as root` };
  }
  if (r.code !== 0) return { ...result, skipped: `EXPLAIN failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`}` };
  const rows = parseExplain(r.stdout);
  result.rows = rows;
  result.findings = findings(rows);
  const scanned = rows.find((row) => row.type === 'ALL' || (row.type === 'index' && !row.possibleKeys));
  const suggestion = scanned ? suggestIndex(realSql, scanned.table) : undefined;
  if (suggestion) result.suggestion = { ...suggestion, rule: INDEX_RULE };
  return result;
}

/** Where EXPLAIN runs: a reachable replica when the site has one, else the primary, else any database host read. */
export function explainHost(reached: ReachedHost[]): ReachedHost | undefined {
  return (
    reached.find((h) => h.host.roles.includes('db-replica') && h.facts.db?.running) ??
    reached.find((h) => h.host.roles.includes('db-primary') && h.facts.db?.running) ??
    reached.find((h) => h.facts.db?.running)
  );
}

const DB_ROLES = ['db-primary', 'db-replica'];

export interface SlowlogOptions {
  /** Entries older than this (seconds since the epoch) are left out. */
  since?: number;
  /** How many statements the report lists. */
  top: number;
  /** Literals in the examples replaced by `?`. */
  maskLiterals: boolean;
  /** EXPLAIN the listed SELECTs (site only). */
  explain: boolean;
  progress?: (host: string, step: string) => void;
}

/** Local slow log files digested; with a profile, checked against its per-query budget. Exit code 0. */
export async function digestFiles(files: string[], profile: Profile | undefined, opts: SlowlogOptions): Promise<SlowlogReport> {
  const digest = new Digest(opts.since, profile ? perQueryBudgetMs(profile.workload) / 1000 : undefined);
  if (opts.explain) throw new InvalidInputError({ path: '--explain', message: 'EXPLAIN needs the site\'s database hosts, not --file', fix: 'drop --file to read the hosts\' logs' });
  const sources: SourceReport[] = [];
  for (const f of files) {
    const r = await readLocalLog(f, (e) => digest.add(e, 'local'));
    sources.push({ host: 'local', files: [{ path: f, bytes: r.bytes }], entries: r.entries });
  }
  const report = assembleSlowlogReport(digest, { top: opts.top, maskLiterals: opts.maskLiterals, since: opts.since, sources, notes: [] });
  if (profile) report.profile = profileCheck(digest, report.statements, profileFacts(profile, null));
  return withExit(report, EXIT.ok);
}

/**
 * The site's database hosts (those --host names) connected through the session, their logs digested, the worst
 * SELECTs EXPLAINed when asked. A host not reached is a note and exit 4 (the replica EXPLAIN alone needs is only a
 * note); the session is closed by the caller.
 */
export async function digestSite(session: SiteSession, opts: SlowlogOptions): Promise<SlowlogReport> {
  const { inputs } = session;
  const notes: string[] = [];
  let exitCode: number = EXIT.ok;
  const digest = new Digest(opts.since, perQueryBudgetMs(inputs.profile.workload) / 1000);
  const dbHosts = dbHostsOf(inputs);
  const longQueryTime = longQueryTimeOf(inputs);
  // EXPLAIN goes to a replica even when --host names only the primary.
  const replica = opts.explain ? inputs.site.hosts.find((h) => h.roles.includes('db-replica') && !dbHosts.includes(h)) : undefined;
  const collected = await session.connect({ hosts: replica ? [...dbHosts, replica] : dbHosts, appFiles: false });
  const reached: ReachedHost[] = [];
  for (const c of collected) {
    if (c.ok) reached.push(c);
    else {
      if (c.host !== replica) exitCode = Math.max(exitCode, c.error.exitCode);
      notes.push(`${c.host.name} not read: ${c.error.message}`);
    }
  }
  const sources = await digestHosts(reached.filter((h) => h.host !== replica), digest, { since: opts.since, progress: opts.progress });
  const report = assembleSlowlogReport(digest, { top: opts.top, maskLiterals: opts.maskLiterals, since: opts.since, sources, notes });
  report.profile = profileCheck(digest, report.statements, profileFacts(inputs.profile, longQueryTime));
  if (opts.explain) {
    const on = explainHost(reached);
    if (!on) notes.push('no database host answered for EXPLAIN');
    else {
      if (!on.host.roles.includes('db-replica')) notes.push(`the site has no replica that answered: EXPLAIN ran on ${on.host.name}`);
      const groups = digest.sorted();
      for (const s of report.statements) {
        const g = groups[s.rank - 1];
        opts.progress?.(on.host.name, `EXPLAIN #${s.rank}`);
        s.explain = await explainStatement(on, s, g.example.sql);
      }
    }
  }
  return withExit(report, exitCode);
}

function withExit(report: SlowlogReport, exitCode: number): SlowlogReport {
  report.exitCode = exitCode;
  report.ok = exitCode === EXIT.ok;
  return report;
}

/** The site's database hosts the run reads; a --host without a database role is bad input (exit 3). */
function dbHostsOf(inputs: Inputs): HostSpec[] {
  const chosen = inputs.site.hosts.filter((h) => inputs.only.includes(h.name));
  const wrong = chosen.filter((h) => !h.roles.some((r) => DB_ROLES.includes(r)));
  if (wrong.length > 0 && wrong.length === chosen.length) {
    throw new InvalidInputError(
      wrong.map((h) => ({ where: h.name, path: '--host', message: `has no database role (roles: ${h.roles.join(', ')})`, fix: 'name a host with the db-primary or db-replica role' })),
    );
  }
  const db = chosen.filter((h) => h.roles.some((r) => DB_ROLES.includes(r)));
  if (db.length === 0) throw new InvalidInputError({ message: 'the site has no database host (no db-primary or db-replica role)', fix: 'slowlog reads the logs of database hosts' });
  return db;
}

/** long_query_time as sized for the site (the primary's, else the first database host's); null when it cannot size. */
function longQueryTimeOf(inputs: Inputs): number | null {
  try {
    const sizing = sizeSite(inputs.site, inputs.profile);
    const db = sizing.hosts.find((h) => h.mysql?.role === 'primary') ?? sizing.hosts.find((h) => h.mysql);
    return db?.mysql?.longQueryTime.value ?? null;
  } catch {
    return null;
  }
}

function profileFacts(p: Profile, longQueryTime: number | null) {
  return { name: p.name, queriesPerRequest: p.workload.queriesPerRequest, responseTargetMs: p.workload.responseTargetMs, longQueryTime };
}
