// `stackscale plan`: facts, render, diff, actions and SQL per host (src/plan/run.ts). Never writes on a host.
import { EXIT, formatProblem } from '../../errors.js';
import { mark } from '../../util/timing.js';
import { earlyReplicationReads } from '../../plan/early.js';
import { SiteSession } from '../../session/session.js';
import { sessionRequest, type CommandContext } from '../context.js';

/** The half of plan that runs once the facts are in: renderer (Handlebars), diff, daemon state, printing. */
async function loadAssembler() {
  const [run, build, print] = await Promise.all([import('../../plan/run.js'), import('../../plan/build.js'), import('../print-plan.js')]);
  return { ...run, ...build, ...print };
}

export async function plan(ctx: CommandContext): Promise<number> {
  mark('loaded');
  const { out, options, io } = ctx;
  const session = SiteSession.open(sessionRequest(ctx));
  for (const w of session.warnings()) io.stderr(`${w}\n`);
  // Everything that can be wrong with the input is reported before a connection is opened.
  const secrets = session.requireSecrets();
  // The site file alone says which hosts hold the databases: their state is read beside the facts (plan/early.ts).
  const early = earlyReplicationReads(session.size(), session.site, secrets);
  mark('inputs');
  // Loaded while the hosts answer: the network wait hides the time it takes (a 1-host plan is mostly that wait).
  const assembler = loadAssembler();
  assembler.catch(() => undefined); // awaited below; a failure surfaces there, not as an unhandled rejection
  const collected = await session.connect({ connected: early?.connected });
  mark('collected');
  try {
    const { planSite, printPlan, hasChanges } = await assembler;
    const { plan } = await planSite(session, secrets, { install: options.install as boolean | undefined, early });
    if (out.json) out.document(plan);
    else printPlan(plan, out);
    mark('printed');

    // Also on stderr, as errors, so a pipeline log shows why the run failed even when stdout is kept as the plan.
    const failed = collected.flatMap((c) => (c.ok ? [] : [c]));
    for (const c of failed) for (const p of c.error.problems) io.stderr(`error: ${formatProblem({ ...p, where: p.where ?? c.host.name })}\n`);
    if (failed.length > 0) return failed.some((c) => c.error.exitCode === EXIT.unreachable) ? EXIT.unreachable : EXIT.error;
    // Hosts whose packages are missing and may not be installed there (--no-install, an OS stackscale does not install on).
    const refused = plan.hosts.filter((h) => h.error);
    for (const h of refused) io.stderr(`error: ${h.host}: ${h.error?.message}\n`);
    if (refused.length > 0) return refused.some((h) => h.error?.exitCode === EXIT.invalidInput) ? EXIT.invalidInput : EXIT.error;
    return options.detailedExitcode && hasChanges(plan) ? EXIT.changes : EXIT.ok;
  } finally {
    await session.close();
  }
}
