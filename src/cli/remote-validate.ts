// `stackscale validate --remote`: the daemons' own checkers on the candidate files on the hosts (src/apply/check-remote.ts).
import { EXIT } from '../errors.js';
import { checkRemote } from '../apply/check-remote.js';
import type { SiteSession } from '../session/session.js';
import type { CommandContext } from './context.js';

export async function validateRemote(ctx: CommandContext, session: SiteSession): Promise<number> {
  const { out } = ctx;
  const secrets = session.secrets();
  const collected = await session.connect();
  try {
    const checks = await checkRemote(session, secrets);
    const ok = checks.every((c) => c.ok);
    if (out.json) out.document({ ok, remote: true, profile: session.profile.name, checks });
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
    await session.close();
  }
}
