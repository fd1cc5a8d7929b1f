// `stackscale slowlog`: the slow query logs of the site's database hosts (or local files with --file) digested by
// fingerprint, worst first; `--explain` EXPLAINs the top SELECTs on a replica (else the primary) and suggests
// indexes. Read only. `--json` prints the SlowlogReport (schema `stackscale.slowlog/1`, src/slowlog/report.ts).
// Exit codes: 0 digested, 1 a log missing, unreadable or not a slow log, 3 invalid input (before any connection),
// 4 a host not reached.
import { EXIT, InvalidInputError } from '../../errors.js';
import { sizeSite } from '../../sizing/model.js';
import { Digest } from '../../slowlog/aggregate.js';
import { formatSlowlog } from '../../slowlog/format.js';
import { assembleReport, perQueryBudgetMs, profileCheck, type SourceReport } from '../../slowlog/report.js';
import { digestHosts, explainHost, explainStatement, type ReachedHost } from '../../slowlog/run.js';
import { readLocalLog } from '../../slowlog/source.js';
import type { Profile } from '../../config/types.js';
import type { Inputs } from '../../session/inputs.js';
import { SiteSession } from '../../session/session.js';
import { progressLine, sessionRequest, type CommandContext } from '../context.js';
import { loadProfile } from '../../config/profile.js';

const DB_ROLES = ['db-primary', 'db-replica'];

/** "90s", "15m", "2h", "7d" -> seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidInputError({ path: '--since', message: `"${value}" is not a duration`, fix: 'a number with s, m, h or d, e.g. 30m or 24h' });
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

function parseTop(value: unknown): number {
  if (value === undefined) return 10;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError({ path: '--top', message: `"${String(value)}" is not a whole number of at least 1`, fix: 'e.g. --top 20' });
  return n;
}

export async function slowlog(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const since = typeof options.since === 'string' ? Date.now() / 1000 - parseDuration(options.since) : undefined;
  const top = parseTop(options.top);
  const mask = Boolean(options.maskLiterals);
  const files = (options.file as string[] | undefined) ?? [];
  const notes: string[] = [];
  let exitCode: number = EXIT.ok;

  if (files.length > 0) {
    const profile = options.profile ? loadProfile(String(options.profile), { baseDir: io.cwd }) : undefined;
    const digest = new Digest(since, profile ? perQueryBudgetMs(profile.workload) / 1000 : undefined);
    if (options.explain) throw new InvalidInputError({ path: '--explain', message: 'EXPLAIN needs the site\'s database hosts, not --file', fix: 'drop --file to read the hosts\' logs' });
    const sources: SourceReport[] = [];
    for (const f of files) {
      const r = await readLocalLog(f, (e) => digest.add(e, 'local'));
      sources.push({ host: 'local', files: [{ path: f, bytes: r.bytes }], entries: r.entries });
    }
    const report = assembleReport(digest, { top, maskLiterals: mask, since, sources, notes });
    if (profile) report.profile = profileCheck(digest, report.statements, profileFacts(profile, null));
    print(ctx, report);
    return exitCode;
  }

  const session = SiteSession.open(sessionRequest(ctx));
  const { inputs } = session;
  const digest = new Digest(since, perQueryBudgetMs(inputs.profile.workload) / 1000);
  const dbHosts = dbHostsOf(inputs);
  const longQueryTime = longQueryTimeOf(inputs);
  // EXPLAIN goes to a replica even when --host names only the primary.
  const replica = options.explain ? inputs.site.hosts.find((h) => h.roles.includes('db-replica') && !dbHosts.includes(h)) : undefined;
  const collected = await session.connect({ hosts: replica ? [...dbHosts, replica] : dbHosts, appFiles: false });
  try {
    const reached: ReachedHost[] = [];
    for (const c of collected) {
      if (c.ok) reached.push({ host: c.host, transport: c.transport, facts: c.facts });
      else {
        if (c.host !== replica) exitCode = Math.max(exitCode, c.error.exitCode);
        notes.push(`${c.host.name} not read: ${c.error.message}`);
      }
    }
    const sources = await digestHosts(reached.filter((h) => h.host !== replica), digest, { since, progress: out.json ? undefined : progressLine(ctx) });
    const report = assembleReport(digest, { top, maskLiterals: mask, since, sources, notes });
    report.profile = profileCheck(digest, report.statements, profileFacts(inputs.profile, longQueryTime));
    if (options.explain) {
      const on = explainHost(reached);
      if (!on) notes.push('no database host answered for EXPLAIN');
      else {
        if (!on.host.roles.includes('db-replica')) notes.push(`the site has no replica that answered: EXPLAIN ran on ${on.host.name}`);
        const groups = digest.sorted();
        for (const s of report.statements) {
          const g = groups[s.rank - 1];
          if (!out.json) progressLine(ctx)(on.host.name, `EXPLAIN #${s.rank}`);
          s.explain = await explainStatement(on, s, g.example.sql);
        }
      }
    }
    print(ctx, report, exitCode);
    return exitCode;
  } finally {
    await session.close();
  }
}

function print(ctx: CommandContext, report: ReturnType<typeof assembleReport>, exitCode: number = EXIT.ok): void {
  report.exitCode = exitCode;
  report.ok = exitCode === EXIT.ok;
  if (ctx.out.json) ctx.out.document(report);
  else for (const l of formatSlowlog(report, ctx.out.style)) ctx.out.line(l);
}

/** The site's database hosts the run reads; a --host without a database role is bad input (exit 3). */
function dbHostsOf(inputs: Inputs) {
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
