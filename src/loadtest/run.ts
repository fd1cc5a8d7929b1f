// `loadtest` below the CLI: the targets checked (the site's front hosts, or a loopback --url), the site connected and
// sampled over SSH while the load runs (every host must be reached, else no request is sent), the load run, and the
// report with its verdicts against the profile. Exit 4 when no request was answered at all.
import { performance } from 'node:perf_hooks';
import type { Profile } from '../config/types.js';
import { EXIT } from '../errors.js';
import type { SiteSession } from '../session/session.js';
import { statusSecrets } from '../status/secrets.js';
import { runLoad, type RunOptions } from './engine.js';
import { assembleLoadtest, type LoadtestReport } from './report.js';
import { SiteSampler } from './sample.js';
import { resolveTargets } from './target.js';
import type { LoadPlan } from './types.js';

export interface LoadtestRequest {
  /** The load from the flags; the targets are added here. */
  plan: Omit<LoadPlan, 'targets'>;
  /** Opened, not yet connected; none with --url and no site file (then nothing is sampled). */
  session?: SiteSession;
  /** The site's profile, or the one --profile names when there is no site. */
  profile: Profile;
  url?: string;
  allowAnyTarget: boolean;
  /** False with --no-sample. */
  sample: boolean;
  sampleEveryMs: number;
  env: NodeJS.ProcessEnv;
  /** Called once the site is connected, just before the first request. */
  onStart?: (plan: LoadPlan) => void;
  onProgress?: RunOptions['onProgress'];
}

export interface LoadtestOutcome {
  report: LoadtestReport;
  /** The report's verdict, or 4 (unreachable) when no request was answered. */
  exitCode: number;
}

export async function runLoadtest(req: LoadtestRequest): Promise<LoadtestOutcome> {
  const { session } = req;
  const inputs = session?.inputs;
  const targets = resolveTargets({ url: req.url, site: inputs?.site, allowAny: req.allowAnyTarget });
  const plan: LoadPlan = { ...req.plan, targets };
  const notes: string[] = [];
  let sampler: SiteSampler | undefined;
  if (session && inputs && req.sample) {
    await session.connect({ appFiles: false });
    // Load a site that cannot be watched proves nothing: stop before any request.
    const reached = await session.requireAllReached();
    sampler = new SiteSampler(reached, statusSecrets(inputs.site, req.env, notes), req.sampleEveryMs);
  } else if (!inputs) notes.push('no site file: the site was not sampled (cache, database and PHP-FPM figures are not checked)');
  else notes.push('--no-sample: the site was not sampled (cache, database and PHP-FPM figures are not checked)');

  req.onStart?.(plan);
  const t0 = performance.now();
  await sampler?.start(t0);
  const run = await runLoad(plan, { onProgress: req.onProgress });
  await sampler?.stop(t0);

  const report = assembleLoadtest({ plan, run, samples: sampler?.samples, profile: req.profile, perHourLimit: inputs?.site.app.maxConnectionsPerHour, notes });
  let exitCode: number = report.exitCode;
  const e = run.errors_by_kind;
  if (run.requests > 0 && run.ok === 0 && e.refused + e.reset + e.timeout === run.errors) {
    report.notes.push(`no request was answered (${e.refused} refused, ${e.reset} reset, ${e.timeout} timed out): is the web server listening at ${targets.join(', ')}?`);
    exitCode = EXIT.unreachable;
  }
  return { report, exitCode };
}
