// The install stage of an apply: what must hold before any host is touched, and the installs themselves, host by
// host in parallel (bounded). The CLI turns the results into output; nothing here prints.
import { EXIT, type ExitCode, type Problem } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import type { HostResult } from './types.js';
import type { Plan } from '../plan/types.js';
import type { InstallAction } from '../packages/types.js';
import type { Transport } from '../transport/types.js';
import { mapLimit } from '../util/limit.js';
import { installSteps, runInstall } from '../packages/install.js';
import type { KeyMaterial } from '../packages/keys.js';
import type { RepoName } from '../packages/repository.js';

const NOTHING = 'nothing was changed on any host';

/**
 * Before anything changes: every host must be plannable (its packages present or installable there), every
 * repository key readable, and every key new to its host accepted (`--accept-new-repo-key`) or pinned, as an unknown
 * host key is. undefined when the apply may go on.
 */
export function installRefusals(plan: Plan, acceptNewKey: boolean): { problems: Problem[]; exitCode: ExitCode } | undefined {
  const refused = plan.hosts.filter((h) => h.error);
  if (refused.length > 0) {
    return {
      problems: refused.map((h) => ({ where: h.host, message: `${h.error?.message}; ${NOTHING}` })),
      exitCode: refused.some((h) => h.error?.exitCode === EXIT.invalidInput) ? EXIT.invalidInput : EXIT.error,
    };
  }
  const repos = plan.hosts.flatMap((h) => (h.install?.repositories ?? []).map((r) => ({ host: h.host, r })));
  const unavailable = repos.filter(({ r }) => r.trust === 'unavailable');
  if (unavailable.length > 0) {
    return {
      problems: unavailable.map(({ host, r }) => ({
        where: host,
        message: `${r.keyError ?? `the ${r.name} repository key is unavailable`}; ${NOTHING}`,
        fix: `set repositories.${r.name}.key_file to a copy of the key, or make ${r.keyFrom || 'its URL'} reachable from here`,
      })),
      exitCode: EXIT.error,
    };
  }
  const untrusted = repos.filter(({ r }) => r.trust === 'new');
  if (untrusted.length > 0 && !acceptNewKey) {
    return {
      problems: untrusted.map(({ host, r }) => ({
        where: host,
        message: `the ${r.name} repository key ${r.keyFingerprint} (from ${r.keyFrom}) is not trusted yet; ${NOTHING}`,
        fix: `compare it with the vendor's published fingerprint, then pin it as repositories.${r.name}.key_fingerprint or pass --accept-new-repo-key`,
      })),
      exitCode: EXIT.error,
    };
  }
  return undefined;
}

export interface InstallJob {
  host: string;
  transport: Transport;
  facts: HostFacts;
  install: InstallAction;
}

/** Run each job's install steps; a host's result is `applied` or `failed` (with apt's words). */
export async function installStage(
  jobs: InstallJob[],
  keys: Map<RepoName, KeyMaterial>,
  opts: { lockTimeoutS: number; concurrency: number; progress: (host: string, line: string) => void },
): Promise<HostResult[]> {
  return mapLimit(jobs, opts.concurrency, async (job): Promise<HostResult> => {
    opts.progress(job.host, `installing ${job.install.packages.map((p) => p.name).join(' ')}`);
    const steps = installSteps(job.install, keys, job.facts, { lockTimeoutS: opts.lockTimeoutS, now: new Date() });
    const o = await runInstall(job.transport, steps, (l) => opts.progress(job.host, l));
    return { host: job.host, status: o.ok ? 'applied' : 'failed', changed: [], actions: [], steps: o.steps, notes: [], ...(o.error ? { error: o.error } : {}) };
  });
}
