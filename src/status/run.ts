// A site's status from a connected session: sized on the live facts (as plan does; the site file's sizing when that
// cannot size, with a note), then every host's probes over its one connection, hosts in parallel.
import { UserError } from '../errors.js';
import type { SiteSession } from '../session/session.js';
import type { SiteSizing } from '../sizing/types.js';
import { sizeSite } from '../sizing/model.js';
import { mapLimit } from '../util/limit.js';
import { assembleReport, expectationsFor, hostStatus, unreachableHost } from './report.js';
import type { statusSecrets } from './secrets.js';
import type { HostReport, StatusReport } from './types.js';

export interface StatusRun {
  session: SiteSession;
  secrets: ReturnType<typeof statusSecrets>;
  /** Notes of the whole run (secrets not set, sizing fallback); the report carries them. */
  notes: string[];
  sizing: SiteSizing;
}

/** Sizing on the hosts' live facts, as plan does; `fallback` (the site-file sizing) when that cannot size. */
export function sizeOnFacts(session: SiteSession, fallback: SiteSizing, notes: string[]): SiteSizing {
  try {
    return sizeSite(session.site, session.profile, session.resources({ fromSite: false }));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    notes.push(`sizing on the hosts' facts failed (${err.problems.map((p) => p.message).join('; ')}): planned values are from the site file's sizes`);
    return fallback;
  }
}

/** One reading of every host of the session (again and again with --watch, over the same connections). */
export async function readStatus(run: StatusRun, progress?: (host: string, step: string) => void): Promise<StatusReport> {
  const { session, sizing, secrets, notes } = run;
  const reports: HostReport[] = await mapLimit(session.collected, session.concurrency, async (c) => {
    if (!c.ok) return unreachableHost(c.host, { message: c.error.message, exitCode: c.error.exitCode });
    progress?.(c.host.name, 'reading status');
    return hostStatus({
      host: c.host,
      transport: c.transport,
      facts: c.facts,
      expectations: expectationsFor(sizing, c.host.name, session.site.app.maxConnectionsPerHour),
      secrets,
      hostFigures: true,
    });
  });
  return assembleReport(session.profile.name, reports, notes);
}
