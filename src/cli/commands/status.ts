// `stackscale status`: live figures against the profile, per host and role, read only. One SSH connection a host
// (facts, then every probe over it), hosts in parallel up to --concurrency. `--json` prints the StatusReport
// (schema `stackscale.status/1`, src/status/types.ts) on stdout. Exit codes: 0 all read (warnings included),
// 1 a service of a host's roles did not answer, 3 invalid input (before any connection), 4 a host not reached.
import { UserError } from '../../errors.js';
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

export async function status(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
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
    const reports: HostReport[] = await mapLimit(collected, concurrency, async (c) => {
      if (!c.ok) return unreachableHost(c.host, { message: c.error.message, exitCode: c.error.exitCode });
      if (!out.json) progressLine(ctx)(c.host.name, 'reading status');
      return hostStatus({
        host: c.host,
        transport: c.transport,
        facts: c.facts,
        expectations: expectationsFor(sizing, c.host.name, inputs.site.app.maxConnectionsPerHour),
        secrets,
      });
    });
    const report = assembleReport(inputs.profile.name, reports, notes);
    if (out.json) out.document(report);
    else for (const line of formatStatus(report, out.style)) out.line(line);
    return report.exitCode;
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
