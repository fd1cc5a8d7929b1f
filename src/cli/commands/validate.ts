import { EXIT } from '../../errors.js';
import type { CommandContext } from '../main.js';
import { loadInputs, sizeAndCheck } from '../inputs.js';

/** `stackscale validate`: schema and cross-checks, no SSH. */
export async function validate(ctx: CommandContext): Promise<number> {
  const { out, options } = ctx;
  const inputs = loadInputs(ctx, { requireSite: false });
  const sizing = sizeAndCheck(inputs);
  if (options.remote) {
    const { validateRemote } = await import('../remote-validate.js');
    return validateRemote(ctx, inputs, sizing);
  }
  if (out.json) {
    out.document({ ok: true, profile: inputs.profile.name, site: inputs.site.file ?? null, hosts: inputs.only, notes: sizing.notes, errors: [] });
    return EXIT.ok;
  }
  out.line(`${inputs.site.file ?? 'built-in site'}: valid for profile ${inputs.profile.name} (${inputs.only.length} host${inputs.only.length === 1 ? '' : 's'})`);
  for (const n of sizing.notes) out.line(`note: ${n}`);
  return EXIT.ok;
}
