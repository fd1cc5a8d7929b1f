import { EXIT, InvalidInputError, type Problem } from '../../errors.js';
import { assumedSizeNotes, runInputProblems } from '../../session/inputs.js';
import { SiteSession } from '../../session/session.js';
import type { SiteSizing } from '../../sizing/types.js';
import { sessionRequest, type CommandContext } from '../context.js';

/**
 * `stackscale validate`: schema and cross-checks, no SSH; also every secret the roles need and every named SSH
 * identity, since plan would fail on them (`--no-secrets` skips those, for a job that has no secrets, and says so).
 */
export async function validate(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  const session = SiteSession.open(sessionRequest(ctx), { requireSite: false });
  const { inputs } = session;
  for (const w of session.warnings()) io.stderr(`${w}\n`);
  const problems: Problem[] = [];
  let sizing: SiteSizing | undefined;
  try {
    sizing = session.size();
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    problems.push(...err.problems);
  }
  // The built-in site (no site file) is for rendering without a server: nothing to connect with, nothing to check.
  const checkSecrets = options.secrets !== false && inputs.site.file !== undefined;
  if (checkSecrets) problems.push(...runInputProblems(inputs, io).problems);
  if (problems.length > 0 || !sizing) throw new InvalidInputError(problems);
  if (options.remote) {
    const { validateRemote } = await import('../remote-validate.js');
    return validateRemote(ctx, session);
  }
  const skipped = checkSecrets ? [] : ['--no-secrets: secrets and SSH identity files were not checked; plan and apply will need them'];
  skipped.unshift(...assumedSizeNotes(sizing, inputs.only));
  if (out.json) {
    out.document({ ok: true, profile: inputs.profile.name, site: inputs.site.file ?? null, hosts: inputs.only, notes: [...sizing.notes, ...skipped], errors: [] });
    return EXIT.ok;
  }
  out.line(`${inputs.site.file ?? 'built-in site'}: valid for profile ${inputs.profile.name} (${inputs.only.length} host${inputs.only.length === 1 ? '' : 's'})`);
  for (const n of [...sizing.notes, ...skipped]) out.line(`note: ${n}`);
  return EXIT.ok;
}
