// `stackscale slowlog`: the slow query logs of the site's database hosts (or local files with --file) digested by
// fingerprint, worst first; `--explain` EXPLAINs the top SELECTs on a replica (else the primary) and suggests
// indexes. Read only. `--json` prints the SlowlogReport (schema `stackscale.slowlog/1`, src/slowlog/report.ts).
// Exit codes: 0 digested, 1 a log missing, unreadable or not a slow log, 3 invalid input (before any connection),
// 4 a host not reached. The work is in src/slowlog/run.ts.
import { InvalidInputError } from '../../errors.js';
import { loadProfile } from '../../config/profile.js';
import { formatSlowlog } from '../../slowlog/format.js';
import { digestFiles, digestSite, type SlowlogOptions } from '../../slowlog/run.js';
import { SiteSession } from '../../session/session.js';
import { progressLine, sessionRequest, type CommandContext } from '../context.js';

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
  const opts: SlowlogOptions = {
    since: typeof options.since === 'string' ? Date.now() / 1000 - parseDuration(options.since) : undefined,
    top: parseTop(options.top),
    maskLiterals: Boolean(options.maskLiterals),
    explain: Boolean(options.explain),
    progress: out.json ? undefined : progressLine(ctx),
  };
  const files = (options.file as string[] | undefined) ?? [];
  let report;
  if (files.length > 0) {
    const profile = options.profile ? loadProfile(String(options.profile), { baseDir: io.cwd }) : undefined;
    report = await digestFiles(files, profile, opts);
  } else {
    const session = SiteSession.open(sessionRequest(ctx));
    try {
      report = await digestSite(session, opts);
    } finally {
      await session.close();
    }
  }
  if (out.json) out.document(report);
  else for (const l of formatSlowlog(report, out.style)) out.line(l);
  return report.exitCode;
}
