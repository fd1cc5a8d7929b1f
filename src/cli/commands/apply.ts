// `stackscale apply`: plan, print, confirm, then deploy host by host in role order (src/apply/deploy.ts).
import { EXIT, UserError } from '../../errors.js';
import { deploySite } from '../../apply/deploy.js';
import { hasChanges } from '../../plan/build.js';
import { planSite } from '../../plan/run.js';
import { installRefusals } from '../../apply/install-stage.js';
import { SiteSession } from '../../session/session.js';
import { printPlan } from '../print-plan.js';
import { confirmOrRefuse } from '../confirm.js';
import { reportDeployment } from '../apply-report.js';
import { progressLine, sessionRequest, type CommandContext } from '../context.js';

export async function apply(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const session = SiteSession.open(sessionRequest(ctx, { quietWithJson: false }));
  for (const w of session.warnings()) io.stderr(`${w}\n`);
  const secrets = session.requireSecrets();
  session.size();
  // A deployment goes ahead only when every host answered: the role order matters, and a half-reached site must
  // not be half-deployed (exit 4, nothing changed).
  await session.connect();
  await session.requireAllReached('nothing was changed on any host');
  try {
    const planned = await planSite(session, secrets, { install: options.install as boolean | undefined });
    printPlan(planned.plan, out); // on stderr with --json: the result document owns stdout
    const refusal = installRefusals(planned.plan, Boolean(options.acceptNewRepoKey));
    if (refusal) throw new UserError(refusal.problems, refusal.exitCode);
    if (hasChanges(planned.plan) && !(await confirmOrRefuse(io, options.yes, `Apply these changes to ${planned.plan.hosts.length} host(s)?`, 'apply'))) {
      out.warn('apply: nothing done (not confirmed)');
      return EXIT.error;
    }
    const { result, plan } = await deploySite(session, planned, secrets, {
      lockTimeoutS: Number(options.lockTimeout ?? 0),
      breakLock: Boolean(options.breakLock),
      progress: progressLine(ctx),
      env: io.env,
      replanned: (again) => {
        progressLine(ctx)('apply', 'packages installed; the plan on the installed packages:');
        printPlan(again, out);
      },
    });
    return reportDeployment(ctx, result, 'apply', plan);
  } finally {
    await session.close();
  }
}
