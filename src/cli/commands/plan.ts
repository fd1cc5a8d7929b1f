import { EXIT, InvalidInputError, formatProblem } from '../../errors.js';
import type { HostOutcome } from '../../plan/assemble.js';
import { closeAll, collectFacts, reachable, reachedResources } from '../../plan/collect.js';
import type { CommandContext } from '../main.js';
import { exposureWarnings, loadInputs, runInputProblems, sizeAndCheck } from '../inputs.js';
import { makeConnector, progressLine } from '../connect.js';
import { packageContext } from '../../packages/context.js';
import { reachedHosts } from '../../plan/collect.js';

/** The half of plan that runs once the facts are in: renderer (Handlebars), diff, daemon state, printing. */
async function loadAssembler() {
  const [assemble, build, remote, print] = await Promise.all([
    import('../../plan/assemble.js'),
    import('../../plan/build.js'),
    import('../../plan/remote.js'),
    import('../print-plan.js'),
  ]);
  return { ...assemble, ...build, ...remote, ...print };
}

/** `stackscale plan`: facts, render, diff, actions and SQL per host. Never writes on a host. */
export async function plan(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const inputs = loadInputs(ctx, { requireSite: true });
  for (const w of exposureWarnings(inputs.site)) ctx.io.stderr(`${w}\n`);
  // Everything that can be wrong with the input is reported before a connection is opened.
  const { secrets, problems: missing } = runInputProblems(inputs, io);
  if (missing.length > 0) throw new InvalidInputError(missing);
  sizeAndCheck(inputs);

  const hosts = inputs.site.hosts.filter((h) => inputs.only.includes(h.name));
  // Loaded while the hosts answer: the network wait hides the time it takes (a 1-host plan is mostly that wait).
  const assembler = loadAssembler();
  assembler.catch(() => undefined); // awaited below; a failure surfaces there, not as an unhandled rejection
  const collected = await collectFacts(hosts, await makeConnector(ctx), {
    concurrency: Number(options.concurrency ?? 10),
    progress: out.json ? undefined : progressLine(ctx),
    app: inputs.site.app,
  });
  try {
    const { readRemoteState, assemblePlan, printPlan, hasChanges } = await assembler;
    const sizing = sizeAndCheck(inputs, reachedResources(collected, inputs.site));
    const outcomes: HostOutcome[] = collected.map((c) =>
      c.ok ? { host: c.host.name, facts: c.facts } : { host: c.host.name, error: { message: c.error.message, exitCode: c.error.exitCode } },
    );
    const remote = await readRemoteState(sizing, inputs.site, reachable(collected), secrets);
    const packages = await packageContext(inputs.site, reachedHosts(collected), { install: options.install as boolean | undefined });
    const { plan } = assemblePlan(sizing, inputs.site, outcomes, secrets, remote, packages);
    if (out.json) out.document(plan);
    else printPlan(plan, out);

    const failed = collected.filter((c) => !c.ok);
    // Also on stderr, as errors, so a pipeline log shows why the run failed even when stdout is kept as the plan.
    for (const c of collected) if (!c.ok) for (const p of c.error.problems) io.stderr(`error: ${formatProblem({ ...p, where: p.where ?? c.host.name })}\n`);
    if (failed.length > 0) return failed.some((c) => !c.ok && c.error.exitCode === EXIT.unreachable) ? EXIT.unreachable : EXIT.error;
    // Hosts whose packages are missing and may not be installed there (--no-install, an OS stackscale does not install on).
    const refused = plan.hosts.filter((h) => h.error);
    for (const h of refused) io.stderr(`error: ${h.host}: ${h.error?.message}\n`);
    if (refused.length > 0) return refused.some((h) => h.error?.exitCode === EXIT.invalidInput) ? EXIT.invalidInput : EXIT.error;
    return options.detailedExitcode && hasChanges(plan) ? EXIT.changes : EXIT.ok;
  } finally {
    await closeAll(collected);
  }
}
