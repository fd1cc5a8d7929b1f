// `validate --remote`: each daemon's own checker on the candidate files, on the hosts, without touching a live file.
// Candidates go to a private temp directory (0700) on the host and are removed afterwards.
import { posix } from 'node:path';
import { checkerFailed, checkersFor } from './checkers.js';
import { NO_PARSER_EXIT } from './file-steps.js';
import { maskText } from '../mask.js';
import { renderSite } from '../render/render.js';
import type { SecretValues } from '../config/types.js';
import type { SiteSession } from '../session/session.js';
import type { Transport } from '../transport/types.js';
import { mapLimit } from '../util/limit.js';

export interface RemoteCheck {
  host: string;
  path: string;
  checker: string;
  ok: boolean;
  skipped?: string;
  output?: string;
}

/** Every candidate file of every connected host through its daemon's checker (a host not reached: one failed check). */
export async function checkRemote(session: SiteSession, secrets: SecretValues): Promise<RemoteCheck[]> {
  const sizing = session.size(session.resources({ fromSite: false }));
  const files = renderSite(sizing, session.site, secrets);
  return (
    await mapLimit(session.collected, session.concurrency, async (c): Promise<RemoteCheck[]> => {
      if (!c.ok) return [{ host: c.host.name, path: '', checker: 'connect', ok: false, output: c.error.message }];
      const mine = files.filter((f) => f.host === c.host.name);
      return checkOnHost(c.transport, c.host.name, mine, c.facts, (t) => maskText(t, secrets));
    })
  ).flat();
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
