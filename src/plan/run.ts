// A site's plan from a connected session: size on the live facts, read the daemons' state, decide the packages,
// assemble. What `plan` prints and what `apply` confirms and then runs are this one result.
import type { SecretValues } from '../config/types.js';
import type { SiteSizing } from '../sizing/types.js';
import type { SiteSession } from '../session/session.js';
import { packageContext } from '../packages/context.js';
import type { PackageContext } from '../packages/plan.js';
import { mark } from '../util/timing.js';
import { assemblePlan, type AssembledPlan, type HostOutcome } from './assemble.js';
import type { EarlyReads } from './early.js';
import { readRemoteState, type RemoteState } from './remote.js';

export interface SitePlan extends AssembledPlan {
  sizing: SiteSizing;
  remote: RemoteState;
  packages: PackageContext;
}

export async function planSite(
  session: SiteSession,
  secrets: SecretValues,
  { install, early, packages }: { install?: boolean; early?: EarlyReads; packages?: PackageContext } = {},
): Promise<SitePlan> {
  const sizing = session.sizeOnFacts();
  const outcomes: HostOutcome[] = session.collected.map((c) =>
    c.ok ? { host: c.host.name, facts: c.facts } : { host: c.host.name, error: { message: c.error.message, exitCode: c.error.exitCode } },
  );
  const remote = await readRemoteState(sizing, session.site, session.reachable(), secrets, early);
  mark('remote');
  // Once decided (the keys read or fetched), the packages' context is kept for a second plan in the same run.
  const pkgs = packages ?? (await packageContext(session.site, session.reachedHosts(), { install }));
  const assembled = assemblePlan(sizing, session.site, outcomes, secrets, remote, pkgs);
  mark('assembled');
  return { ...assembled, sizing, remote, packages: pkgs };
}
