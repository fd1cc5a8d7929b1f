// `stackscale loadtest`: open-model HTTP load against the site's own front hosts, the site's figures sampled over SSH
// while it runs, and a verdict against the profile's targets. Exit 0 every target holds, 1 one fails, 3 bad input
// (before any connection or request), 4 a host or the target could not be reached. The work is in src/loadtest/
// (run.ts: runLoadtest).
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadProfile } from '../../config/profile.js';
import { InvalidInputError } from '../../errors.js';
import { formatLoadtest, progressText } from '../../loadtest/format.js';
import { renderHtml } from '../../loadtest/html.js';
import { DEFAULT_PATHS, loadPaths } from '../../loadtest/paths.js';
import { runLoadtest } from '../../loadtest/run.js';
import { parseRamp, parseSeconds, peakUsers, rampSeconds } from '../../loadtest/schedule.js';
import type { LoadPlan } from '../../loadtest/types.js';
import { DEFAULT_SITE_FILE } from '../../session/inputs.js';
import { SiteSession } from '../../session/session.js';
import { sessionRequest, type CommandContext } from '../context.js';

/** Hard caps a run cannot be talked past: it stops by itself. */
export const MAX_DURATION_S = 7200;
export const MAX_USERS = 100_000;

function whole(value: unknown, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidInputError({ path: flag, message: `"${String(value)}" is not a whole number from ${min} to ${max}` });
  return n;
}

export function planFromFlags(o: Record<string, unknown>, cwd: string): Omit<LoadPlan, 'targets'> {
  const ramp = o.ramp === undefined ? [] : parseRamp(String(o.ramp));
  if (o.users === undefined && ramp.length === 0) throw new InvalidInputError({ path: '--users', message: 'how many virtual users?', fix: 'pass --users N (or --ramp USERS:DURATION,...)' });
  // After the ramp the run holds --users, by default the ramp's last stage.
  const users = o.users === undefined ? ramp[ramp.length - 1].users : whole(o.users, '--users', 1, MAX_USERS);
  if (ramp.some((s) => s.users > MAX_USERS)) throw new InvalidInputError({ path: '--ramp', message: `more than ${MAX_USERS} users` });
  if (o.think === undefined) throw new InvalidInputError({ path: '--think', message: 'the mean think time is required', fix: 'pass --think SECONDS (the guide: 5)' });
  const think = parseSeconds(String(o.think), '--think');
  const duration = o.duration === undefined ? (ramp.length ? rampSeconds(ramp) : 60) : parseSeconds(String(o.duration), '--duration');
  if (duration > MAX_DURATION_S) throw new InvalidInputError({ path: '--duration', message: `${duration} s is over the ${MAX_DURATION_S} s cap` });
  const offered = peakUsers(ramp, users) / think;
  const maxRequests = o.maxRequests === undefined ? Math.ceil(offered * duration * 1.5) + 100 : whole(o.maxRequests, '--max-requests', 1, 100_000_000);
  return {
    users,
    thinkSeconds: think,
    durationSeconds: duration,
    ramp,
    paths: o.paths === undefined ? DEFAULT_PATHS : loadPaths(resolve(cwd, String(o.paths))),
    maxRequests,
    maxConnections: whole(o.maxConnections ?? 1024, '--max-connections', 1, 65_536),
    timeoutMs: parseSeconds(String(o.timeout ?? '10'), '--timeout') * 1000,
    intervalSeconds: Math.max(1, Math.ceil(duration / 600)),
  };
}

export async function loadtest(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const o = options as Record<string, unknown>;
  const plan = planFromFlags(o, io.cwd);
  // The site is optional with --url (loopback needs none); without --url the site names the targets.
  const hasSite = Boolean(options.site) || existsSync(resolve(io.cwd, DEFAULT_SITE_FILE));
  const session = hasSite ? SiteSession.open(sessionRequest(ctx), { requireSite: !o.url }) : undefined;
  const profile = session?.inputs.profile ?? loadProfile(options.profile ?? '1000', { baseDir: io.cwd });
  const sampleEveryMs = parseSeconds(String(o.sampleInterval ?? '5'), '--sample-interval') * 1000;
  const reportFile = o.report === undefined ? undefined : resolve(io.cwd, String(o.report));
  if (reportFile && !existsSync(dirname(reportFile))) {
    throw new InvalidInputError({ path: '--report', message: `${dirname(reportFile)} does not exist`, fix: 'create the directory, or name a file in an existing one' });
  }
  const tty = io.isTTY && !out.json && io.env.CI !== 'true';
  try {
    const { report, exitCode } = await runLoadtest({
      plan, session, profile, url: o.url as string | undefined, allowAnyTarget: Boolean(o.allowAnyTarget),
      sample: o.sample !== false, sampleEveryMs, env: io.env,
      onStart: (p) => {
        if (!out.json) out.warn(`loading ${p.targets.join(', ')}: ${p.users} users, ${p.thinkSeconds} s think, ${p.durationSeconds} s (at most ${p.maxRequests} requests)`);
      },
      onProgress: tty ? (p) => io.stderr(`\r${progressText(p, plan.durationSeconds)}\x1b[K`) : undefined,
    });
    if (tty) io.stderr('\n');
    if (reportFile) {
      writeFileSync(reportFile, renderHtml(report));
      if (!out.json) out.warn(`report written to ${reportFile}`);
    }
    if (out.json) out.document({ ...report, exitCode });
    else for (const line of formatLoadtest(report, out.style)) out.line(line);
    return exitCode;
  } finally {
    await session?.close();
  }
}
