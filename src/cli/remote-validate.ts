// `stackscale validate --remote`: each daemon's own checker on the candidate files, on the hosts, without touching a
// live file. Candidates go to a private temp directory (0700) on the host and are removed afterwards.
import { posix } from 'node:path';
import { EXIT } from '../errors.js';
import { resolveSecrets } from '../config/secrets.js';
import { checkerFailed, checkersFor } from '../apply/checkers.js';
import { NO_PARSER_EXIT } from '../apply/commands.js';
import { maskText } from '../mask.js';
import { closeAll, collectFacts, reachedResources } from '../plan/collect.js';
import { renderSite } from '../render/render.js';
import type { SiteSizing } from '../sizing/types.js';
import type { Transport } from '../transport/types.js';
import { mapLimit } from '../util/limit.js';
import type { CommandContext } from './main.js';
import { sizeAndCheck, type Inputs } from './inputs.js';
import { makeConnector, progressLine } from './connect.js';

export interface RemoteCheck {
  host: string;
  path: string;
  checker: string;
  ok: boolean;
  skipped?: string;
  output?: string;
}

export async function validateRemote(ctx: CommandContext, inputs: Inputs, _siteSizing: SiteSizing): Promise<number> {
  const { out, options, io } = ctx;
  const secrets = resolveSecrets(inputs.site, io.env);
  const hosts = inputs.site.hosts.filter((h) => inputs.only.includes(h.name));
  const concurrency = Number(options.concurrency ?? 10);
  const collected = await collectFacts(hosts, await makeConnector(ctx), { concurrency, progress: out.json ? undefined : progressLine(ctx), app: inputs.site.app });
  try {
    const sizing = sizeAndCheck(inputs, reachedResources(collected));
    const files = renderSite(sizing, inputs.site, secrets);
    const checks = (
      await mapLimit(collected, concurrency, async (c): Promise<RemoteCheck[]> => {
        if (!c.ok) return [{ host: c.host.name, path: '', checker: 'connect', ok: false, output: c.error.message }];
        const mine = files.filter((f) => f.host === c.host.name);
        return checkOnHost(c.transport, c.host.name, mine, c.facts, (t) => maskText(t, secrets));
      })
    ).flat();
    const ok = checks.every((c) => c.ok);
    if (out.json) out.document({ ok, remote: true, profile: inputs.profile.name, checks });
    else {
      for (const c of checks) {
        const mark = c.ok ? (c.skipped ? out.style.yellow('skipped') : out.style.green('ok')) : out.style.red('FAILED');
        out.line(`${c.host}: ${c.path || '(host)'} ${c.checker}: ${mark}${c.skipped ? ` (${c.skipped})` : ''}`);
        if (!c.ok && c.output) for (const l of c.output.split('\n')) out.line(`    ${l}`);
      }
      out.line(ok ? 'validate --remote: every candidate passed its daemon\'s checker' : 'validate --remote: some candidates were rejected');
    }
    if (collected.some((c) => !c.ok && c.error.exitCode === EXIT.unreachable)) return EXIT.unreachable;
    return ok ? EXIT.ok : EXIT.error;
  } finally {
    await closeAll(collected);
  }
}

async function checkOnHost(
  t: Transport,
  host: string,
  files: ReturnType<typeof renderSite>,
  facts: Parameters<typeof checkersFor>[1],
  mask: (t: string) => string,
): Promise<RemoteCheck[]> {
  const dir = (await t.run(['mktemp', '-d', '/tmp/stackscale-validate.XXXXXX'])).stdout.trim();
  if (!dir.startsWith('/tmp/stackscale-validate.')) return [{ host, path: '', checker: 'mktemp', ok: false, output: 'could not make a temp directory' }];
  const results: RemoteCheck[] = [];
  try {
    const candidates = files.map((file, i) => ({ file, temp: posix.join(dir, `${i}-${posix.basename(file.path)}`) }));
    for (const { file, temp } of candidates) await t.writeFile({ path: temp, content: file.content, mode: 0o600, owner: 'root', group: 'root' });
    // nginx's files are checked together (each is read through the others), the app config with php -l.
    const checkers = checkersFor(candidates, facts);
    for (const [i, file] of files.entries()) {
      const checker = checkers[i];
      if (!checker) continue;
      const res = await t.run(checker.argv, { timeoutMs: 60_000 });
      if (file.service === 'proxysql' && res.code === NO_PARSER_EXIT) {
        results.push({ host, path: file.path, checker: checker.name, ok: true, skipped: 'neither ProxySQL nor a libconfig parser on the host' });
        continue;
      }
      const failed = checkerFailed(file.service, res.code, res.stderr);
      results.push({ host, path: file.path, checker: checker.name, ok: !failed, output: failed ? mask(`${res.stderr}${res.stdout}`.trim()) : undefined });
    }
  } finally {
    await t.run(['rm', '-rf', '--', dir]).catch(() => undefined);
  }
  return results;
}
