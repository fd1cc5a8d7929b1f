// `stackscale status`: live figures against the profile, per host and role, read only. One SSH connection a host
// (facts, then every probe over it), hosts in parallel up to --concurrency. `--json` prints the StatusReport
// (schema `stackscale.status/1`, src/status/types.ts) on stdout. Exit codes: 0 all read (warnings included),
// 1 a service of a host's roles did not answer, 3 invalid input (before any connection), 4 a host not reached.
import { EXIT, UserError } from '../../errors.js';
import { formatStatus } from '../../status/format.js';
import { readStatus, sizeOnFacts } from '../../status/run.js';
import { statusSecrets } from '../../status/secrets.js';
import { SiteSession } from '../../session/session.js';
import { progressLine, sessionRequest, type CommandContext } from '../context.js';

/** `--watch [SECONDS]`: true (flag alone) is the default interval. */
const DEFAULT_WATCH_S = 5;
/** Clear the screen and home the cursor: the next block replaces the last one in place. */
const CLEAR = '\x1b[H\x1b[2J';

function watchInterval(options: CommandContext['options']): number | undefined {
  const w = options.watch as string | boolean | undefined;
  if (w === undefined || w === false) return undefined;
  if (w === true) return DEFAULT_WATCH_S;
  const n = Number(w);
  if (!Number.isFinite(n) || n < 1 || n > 3600) throw new UserError(`--watch takes seconds from 1 to 3600, not "${w}"`, EXIT.invalidInput);
  return n;
}

function watchCount(options: CommandContext['options']): number {
  if (options.count === undefined) return Infinity;
  const n = Number(options.count);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--count takes a whole number of at least 1, not "${String(options.count)}"`, EXIT.invalidInput);
  return n;
}

export async function status(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const every = watchInterval(options);
  const rounds = watchCount(options);
  if (every !== undefined && out.json) throw new UserError('--watch redraws a view for people: leave out --json (or run status --json in a loop)', EXIT.invalidInput);
  const session = SiteSession.open(sessionRequest(ctx));
  // Bad input is reported (exit 3) before a connection is opened.
  const planned = session.size();
  const notes: string[] = [];
  const secrets = statusSecrets(session.site, io.env, notes);
  await session.connect({ appFiles: false });
  try {
    const run = { session, secrets, notes, sizing: sizeOnFacts(session, planned, notes) };
    const read = (quiet: boolean) => readStatus(run, out.json || quiet ? undefined : progressLine(ctx));
    if (every === undefined) {
      const report = await read(false);
      if (out.json) out.document(report);
      else for (const line of formatStatus(report, out.style)) out.line(line);
      return report.exitCode;
    }
    // Watch: the same connections every round; on a terminal each block replaces the last, else blocks follow.
    let last = EXIT.ok as number;
    for (let round = 1; round <= rounds; round++) {
      const report = await read(round > 1);
      const lines = [`${report.time}  every ${every} s${rounds < Infinity ? ` (${round}/${rounds})` : ', Ctrl-C to stop'}`, ...formatStatus(report, out.style)];
      if (io.isTTY) io.stdout(CLEAR);
      for (const line of lines) out.line(line);
      if (!io.isTTY) out.line('');
      last = report.exitCode;
      if (round < rounds) await new Promise((r) => setTimeout(r, every * 1000));
    }
    return last;
  } finally {
    await session.close();
  }
}
