import { resolve } from 'node:path';
import { EXIT, InvalidInputError } from '../../errors.js';
import { secretValueProblems } from '../../config/secret-rules.js';
import { resolveSecrets } from '../../config/secrets.js';
import { renderSite } from '../../render/render.js';
import { checkOutDir, writeOutDir } from '../../render/out-dir.js';
import type { SecretValues } from '../../config/types.js';
import { assumedSizeNotes, exposureWarnings, loadInputs, sizeAndCheck } from '../../session/inputs.js';
import type { CommandContext } from '../context.js';

/** `stackscale render`: every file for every host into DIR/<host>/<path>, no server needed. */
export async function render(ctx: CommandContext): Promise<number> {
  const { out, options, io } = ctx;
  // A bad --out is refused at once (exit 3), before any sizing or rendering.
  const dir = resolve(io.cwd, String(options.out ?? 'out'));
  checkOutDir(dir);
  const inputs = loadInputs({ ...options, cwd: io.cwd }, { requireSite: false });
  for (const w of exposureWarnings(inputs.site)) ctx.io.stderr(`${w}\n`);
  const sizing = sizeAndCheck(inputs);
  const withSecrets = Boolean(options.withSecrets);
  const secrets: SecretValues = withSecrets ? resolveSecrets(inputs.site, io.env) : {};
  const broken = secretValueProblems(inputs.site, secrets, inputs.site.file ?? 'built-in site');
  if (broken.length > 0) throw new InvalidInputError(broken);
  const files = renderSite(sizing, inputs.site, secrets).filter((f) => inputs.only.includes(f.host));
  const { written, removed } = await writeOutDir(files, dir);

  const siteName = inputs.site.file ?? 'built-in one-host site (every role, 16G / 8 cores)';
  const sizeNotes = assumedSizeNotes(sizing, inputs.only);
  if (out.json) {
    for (const n of sizeNotes) io.stderr(`note: ${n}\n`);
    out.document({
      ok: true,
      profile: inputs.profile.name,
      site: siteName,
      out: dir,
      secrets: withSecrets ? 'written' : 'placeholders',
      removed,
      files: files.map((f, i) => ({ host: f.host, path: f.path, written: written[i], mode: f.mode.toString(8), owner: f.owner, group: f.group, service: f.service, secrets: f.secrets })),
    });
    return EXIT.ok;
  }
  out.line(`profile ${inputs.profile.name} on ${siteName}`);
  for (const host of inputs.only) {
    const mine = files.filter((f) => f.host === host);
    out.line(out.style.bold(host));
    for (const f of mine) {
      const mark = f.secrets.length > 0 ? out.style.yellow(withSecrets ? '  (holds secrets)' : '  (secret placeholders)') : '';
      out.line(`  ${f.path}  ${f.mode.toString(8).padStart(4, '0')} ${f.owner}:${f.group}${mark}`);
    }
  }
  out.line(`wrote ${files.length} files under ${dir}`);
  if (removed.length > 0) out.line(`removed ${removed.length} file${removed.length === 1 ? '' : 's'} of the previous render that this site no longer has: ${removed.join(', ')}`);
  for (const n of sizeNotes) out.line(`note: ${n}`);
  if (!withSecrets && files.some((f) => f.secrets.length > 0)) {
    out.line('secrets were not written: marked placeholders STACKSCALE-SECRET-NOT-RENDERED(<key>) stand in; pass --with-secrets to write them');
  }
  out.line('run `stackscale profiles show ' + inputs.profile.name + '` to see why each number is what it is');
  return EXIT.ok;
}
