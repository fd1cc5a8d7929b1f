// `stackscale status`: live figures against the profile, per host and role, read only. One SSH connection a host
// (facts, then every probe over it), hosts in parallel up to --concurrency. `--json` prints the StatusReport
// (schema `stackscale.status/1`, src/status/types.ts) on stdout. Exit codes: 0 all read (warnings included),
// 1 a service of a host's roles did not answer, 3 invalid input (before any connection), 4 a host not reached.
import { EXIT, UserError } from '../../errors.js';
import { closeAll, collectFacts, reachedResources } from '../../plan/collect.js';
import type { SiteSizing } from '../../sizing/types.js';
import { sizeSite } from '../../sizing/model.js';
import { assembleReport, expectationsFor, hostStatus, unreachableHost } from '../../status/report.js';
import { formatStatus } from '../../status/format.js';
import { statusSecrets } from '../../status/secrets.js';
import type { HostReport } from '../../status/types.js';
import { mapLimit } from '../../util/limit.js';
import type { CommandContext } from '../main.js';
import { loadInputs, sizeAndCheck } from '../inputs.js';
import { makeConnector, progressLine } from '../connect.js';

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
  const inputs = loadInputs(ctx, { requireSite: true });
  // Bad input is reported (exit 3) before a connection is opened.
  const planned = sizeAndCheck(inputs);
  const notes: string[] = [];
  const secrets = statusSecrets(inputs.site, io.env, notes);
  const concurrency = Number(options.concurrency ?? 10);

  const hosts = inputs.site.hosts.filter((h) => inputs.only.includes(h.name));
  const collected = await collectFacts(hosts, await makeConnector(ctx), { concurrency, progress: out.json ? undefined : progressLine(ctx) });
  try {
    const sizing = sizeOnFacts(inputs, collected, planned, notes);
    const read = async (quiet: boolean) => {
      const reports: HostReport[] = await mapLimit(collected, concurrency, async (c) => {
        if (!c.ok) return unreachableHost(c.host, { message: c.error.message, exitCode: c.error.exitCode });
        if (!out.json && !quiet) progressLine(ctx)(c.host.name, 'reading status');
        return hostStatus({
          host: c.host,
          transport: c.transport,
          facts: c.facts,
          expectations: expectationsFor(sizing, c.host.name, inputs.site.app.maxConnectionsPerHour),
          secrets,
          hostFigures: true,
        });
      });
      return assembleReport(inputs.profile.name, reports, notes);
    };
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
    await closeAll(collected);
  }
}

/** Sizing on the hosts' live facts, as plan does; the site-file sizing when that cannot size (the note says why). */
function sizeOnFacts(
  inputs: ReturnType<typeof loadInputs>,
  collected: Awaited<ReturnType<typeof collectFacts>>,
  fallback: SiteSizing,
  notes: string[],
): SiteSizing {
  try {
    return sizeSite(inputs.site, inputs.profile, reachedResources(collected));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    notes.push(`sizing on the hosts' facts failed (${err.problems.map((p) => p.message).join('; ')}): planned values are from the site file's sizes`);
    return fallback;
  }
}
