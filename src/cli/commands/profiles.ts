import { readdirSync } from 'node:fs';
import { excerpt } from '../../util/excerpt.js';
import { EXIT, InvalidInputError, type Problem } from '../../errors.js';
import { defaultSite } from '../../config/site.js';
import { loadProfile, SHIPPED_PROFILES_DIR } from '../../config/profile.js';
import { parseSize } from '../../config/size.js';
import { sizeSite, describeSizing } from '../../sizing/model.js';
import { checkSizing } from '../../validate/rules.js';
import { ASSUMED } from '../../sizing/resources.js';
import { deriveAlertRules, describeRule } from '../../monitor/rules.js';
import type { CommandContext } from '../context.js';

/** `stackscale profiles`: the shipped profiles, one line each. */
export async function listProfiles(ctx: CommandContext): Promise<number> {
  const names = readdirSync(SHIPPED_PROFILES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort((a, b) => Number(a) - Number(b));
  const profiles = names.map((n) => loadProfile(n, { baseDir: ctx.io.cwd }));
  if (ctx.out.json) {
    ctx.out.document({ profiles: profiles.map((p) => ({ name: p.name, description: p.description, workload: p.workload, cacheTtls: p.cacheTtls, pins: p.pins })) });
    return EXIT.ok;
  }
  for (const p of profiles) {
    ctx.out.line(`${ctx.out.style.bold(p.name.padEnd(5))} ${p.workload.concurrentUsers} users  ${p.description}`);
  }
  ctx.out.line('`stackscale profiles show NAME [--memory 16G --cores 8]` prints every setting with its derivation');
  return EXIT.ok;
}

/** `stackscale profiles show NAME`: every setting on one all-roles host of the given size, with derivations. */
export async function showProfile(ctx: CommandContext, name: string): Promise<number> {
  const { options, out, io } = ctx;
  const site = defaultSite();
  const memoryText = (options.memory ?? options.ram) as string | undefined;
  const coresText = options.cores as string | undefined;
  const host = site.hosts[0];
  const size = { ...(host.size ?? { memory: 16 * 2 ** 30, cores: 8 }) };
  if (memoryText !== undefined) {
    const bytes = parseSize(memoryText);
    if (bytes === undefined) throw new InvalidInputError({ path: '--memory', message: `${excerpt(memoryText)} is not a size`, fix: 'write it like 8G, 16GiB or 512M' });
    // The site file's own bounds for a host's memory (config/schema.ts): 0 or 1K is no host at all.
    if (bytes < 512 * 2 ** 20 || bytes > 16_384 * 2 ** 30) throw new InvalidInputError({ path: '--memory', message: `${excerpt(memoryText)} is not a host's memory`, fix: 'a size from 512 MiB to 16 TiB, like 8G' });
    size.memory = bytes;
  }
  if (coresText !== undefined) {
    const cores = Number(coresText);
    if (!Number.isInteger(cores) || cores < 1) throw new InvalidInputError({ path: '--cores', message: `${excerpt(coresText)} is not a core count`, fix: 'a whole number of at least 1' });
    size.cores = cores;
  }
  // --monitor: Prometheus and Alertmanager on the same host, their memory in its budget (sizing/monitoring.ts).
  site.hosts = [{ ...host, size, roles: options.monitor ? [...host.roles, 'monitor'] : host.roles }];
  const profile = loadProfile(name, { baseDir: io.cwd });
  const given = memoryText !== undefined || coresText !== undefined;
  const resources = new Map([[host.name, { memory: size.memory, cores: size.cores, ...ASSUMED, source: given ? 'given on the command line' : 'default size' }]]);
  const refused: Problem[] = [];
  const sizing = sizeSite(site, profile, resources, { keepRefused: refused });
  // The memory rule re-finds a refused host's shortfall (without the buffer pool floor): say it once.
  const problems = [...refused, ...checkSizing(sizing).filter((p) => !(refused.length > 0 && p.message.startsWith('not enough memory')))];
  const lines = describeSizing(sizing);
  if (problems.length > 0) {
    // The derivations first, so the refusal's numbers can be read against them; then the refusal (exit 3).
    if (!out.json) for (const l of lines) out.line(l);
    throw new InvalidInputError(problems);
  }
  const alerts = deriveAlertRules(sizing, site);
  lines.push('alert rules (a site with a monitor host gets them in /etc/prometheus/rules/stackscale.yml)', ...alerts.map((r) => `    ${describeRule(r)}`));
  if (out.json) {
    out.document({ profile: profile.name, host: { memory: size.memory, cores: size.cores }, sizing: jsonSizing(sizing), alerts, derivations: lines });
    return EXIT.ok;
  }
  for (const l of lines) out.line(l);
  return EXIT.ok;
}

/** A sizing without the parsed site and profile objects repeated inside it. */
function jsonSizing(s: ReturnType<typeof sizeSite>): unknown {
  return { hosts: s.hosts.map(({ host, ...rest }) => ({ host: host.name, roles: host.roles, ...rest })), chain: s.chain, cacheTtls: s.cacheTtls, notes: s.notes };
}
