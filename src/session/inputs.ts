// What a run works from: the site file (or the built-in one-host site) and the profile, then sized and checked.
// Everything here runs before any connection is opened, so bad input exits 3 without touching a host.
import { existsSync } from 'node:fs';
import { excerpt } from '../util/excerpt.js';
import { dirname, resolve } from 'node:path';
import { InvalidInputError, type Problem } from '../errors.js';
import { resolveSecrets } from '../config/secrets.js';
import { identityProblems } from '../config/identity.js';
import { secretValueProblems } from '../config/secret-rules.js';
import { shownPath } from '../config/source.js';
import type { SecretValues } from '../config/types.js';
import type { Profile, Site } from '../config/types.js';
import { defaultSite, loadSite } from '../config/site.js';
import { loadProfile } from '../config/profile.js';
import type { HostResources, SiteSizing } from '../sizing/types.js';
import { sizeSite } from '../sizing/model.js';
import { formatBytes } from '../config/size.js';
import { checkSizing } from '../validate/rules.js';
import { describeExposure, publicExposures } from '../config/listen.js';

export const DEFAULT_SITE_FILE = 'stackscale.yaml';

export interface Inputs {
  site: Site;
  profile: Profile;
  /** Hosts the run is limited to (--host); sizing still sees the whole site, since pools are divided across it. */
  only: string[];
}

/** Where the inputs come from: the --site, --profile and --host flags, relative to a working directory. */
export interface InputsRequest {
  site?: string;
  profile?: string;
  host?: string[];
  cwd: string;
}

/** The site file named by --site, else ./stackscale.yaml when it exists, else (unless required) the default site. */
export function loadInputs(options: InputsRequest, { requireSite }: { requireSite: boolean }): Inputs {
  const io = { cwd: options.cwd };
  const named = options.site ? resolve(io.cwd, options.site) : undefined;
  const implicit = resolve(io.cwd, DEFAULT_SITE_FILE);
  const file = named ?? (existsSync(implicit) ? implicit : undefined);
  if (named && !existsSync(named)) {
    throw new InvalidInputError({ where: options.site, message: 'no such site file', fix: 'check the path, or run `stackscale init` to write one' });
  }
  if (!file && requireSite) {
    throw new InvalidInputError({
      message: `no site file: ${DEFAULT_SITE_FILE} is not in ${io.cwd}`,
      fix: 'pass --site FILE, or run `stackscale init` to write one',
    });
  }
  const site = file ? loadSite(file) : defaultSite();
  const profile = loadProfile(options.profile ?? site.profile, { baseDir: options.profile ? io.cwd : file ? dirname(file) : io.cwd });
  return { site, profile, only: limitHosts(site, options.host) };
}

/** --host NAME (repeatable) limits the run; an unknown name is an error listing the known ones. */
export function limitHosts(site: Site, names: string[] | undefined): string[] {
  const known = site.hosts.map((h) => h.name);
  if (!names || names.length === 0) return known;
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      unknown.map((n) => ({ path: '--host', message: `${excerpt(n)} is not a host of the site`, fix: `one of: ${known.join(', ')}` })),
    );
  }
  return known.filter((n) => names.includes(n));
}

/**
 * What a run that connects needs besides the files: every secret the roles use (set, readable, not empty) and every
 * named SSH identity. All problems at once, as invalid input (exit 3), before any connection is opened.
 */
export function runInputProblems(inputs: Inputs, io: { env: NodeJS.ProcessEnv; cwd: string }): { secrets: SecretValues; problems: Problem[] } {
  const problems: Problem[] = [];
  let secrets: SecretValues = {};
  try {
    secrets = resolveSecrets(inputs.site, io.env);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    problems.push(...err.problems);
  }
  problems.push(...secretValueProblems(inputs.site, secrets, inputs.site.file ? shownPath(inputs.site.file) : 'built-in site'));
  problems.push(...identityProblems(inputs.site, io.env, io.cwd));
  return { secrets, problems };
}

/** One note per host sized on the default size because the site file gives it none: never a silent assumption. */
export function assumedSizeNotes(sizing: SiteSizing, only: string[]): string[] {
  return sizing.hosts
    .filter((h) => h.resources.source === 'default size' && only.includes(h.host.name))
    .map((h) => `${h.host.name}: assumed ${formatBytes(h.resources.memory)} / ${h.resources.cores} cores: no size given; plan reads the real one`);
}

/**
 * What is allowed but probably not meant, as warnings on every run: services bound to a public address because the
 * site says `expose_public: true`; one address behind two SSH ports; web hosts with no database in the site.
 */
export function exposureWarnings(site: Site): string[] {
  const out = publicExposures(site)
    .filter((e) => e.host.exposePublic)
    .map((e) => `warning: ${describeExposure(e)}; accepted by expose_public: true on ${e.host.name}, so only its password protects it`);
  const byAddress = new Map<string, string[]>();
  for (const h of site.hosts) byAddress.set(h.address.toLowerCase(), [...(byAddress.get(h.address.toLowerCase()) ?? []), h.name]);
  for (const [address, names] of byAddress) {
    if (names.length > 1) out.push(`warning: ${names.join(', ')} share the address ${address} on different SSH ports: fine for hosts behind one NAT address, wrong if they are one machine`);
  }
  const web = site.hosts.filter((h) => h.roles.includes('web'));
  if (web.length > 0 && !site.hosts.some((h) => h.roles.includes('db-primary'))) {
    out.push(`warning: ${web.map((h) => h.name).join(', ')} ${web.length > 1 ? 'have' : 'has'} the web role but the site has no db-primary: the app's database is outside the site, and nothing here sizes its connections`);
  }
  return out;
}

/** Size the whole site and run every cross-check; all problems at once, exit 3. */
export function sizeAndCheck(inputs: Inputs, resources?: Map<string, HostResources>): SiteSizing {
  const sizing = sizeSite(inputs.site, inputs.profile, resources);
  const problems = checkSizing(sizing);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return sizing;
}
