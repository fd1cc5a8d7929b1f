// Which shipped profile to offer: the largest one the sizing model fits on the hosts as they are. Each candidate is
// sized and cross-checked exactly as `validate` would; the first that passes wins, and the refusals of the larger
// ones are kept so the wizard can say why it did not pick them.
import type { Problem } from '../errors.js';
import { UserError } from '../errors.js';
import { parseSecretRef, secretRefText } from '../config/secret-ref.js';
import type { SecretKey, Site } from '../config/types.js';
import type { HostResources, SiteSizing } from '../sizing/types.js';
import type { InitAnswers } from './answers.js';

/** Largest first. */
export const SHIPPED_PROFILES = ['1000', '700', '300'] as const;

export type Trial = { profile: string; ok: true; sizing: SiteSizing } | { profile: string; ok: false; problems: Problem[] };

export interface Recommendation {
  /** Undefined when not even the smallest fits. */
  profile?: string;
  sizing?: SiteSizing;
  /** Every profile tried, in order, with why it was refused. */
  trials: Trial[];
}

export function recommendProfile(tryProfile: (profile: string) => Trial, candidates: readonly string[] = SHIPPED_PROFILES): Recommendation {
  const trials: Trial[] = [];
  for (const p of candidates) {
    const t = tryProfile(p);
    trials.push(t);
    if (t.ok) return { profile: p, sizing: t.sizing, trials };
  }
  return { trials };
}

/** The site the answers describe, as loadSite would give it (used to size candidates before a file exists). */
export function siteFromAnswers(answers: InitAnswers, file?: string): Site {
  const secrets: Site['secrets'] = {};
  for (const [k, text] of Object.entries(answers.secrets)) {
    const ref = parseSecretRef(text ?? '');
    if (ref) secrets[k as SecretKey] = ref;
  }
  return {
    file,
    profile: answers.profile,
    hosts: answers.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      privateAddress: h.privateAddress ?? h.address,
      ...(h.privateAddress !== undefined ? { privateGiven: true } : {}),
      port: h.port,
      user: h.user,
      given: { port: true, user: true }, // init writes both
      identity: h.identity,
      hostKey: h.hostKey,
      roles: [...h.roles],
      size: h.size ? { ...h.size } : undefined,
    })),
    app: { database: answers.app.database, dbUser: answers.app.dbUser },
    secrets,
  };
}

/** The inverse: a loaded site file's answers, which the wizard offers as its defaults. */
export function answersFromSite(site: Site): InitAnswers {
  const secrets: InitAnswers['secrets'] = {};
  for (const [k, ref] of Object.entries(site.secrets)) {
    if (ref) secrets[k as SecretKey] = secretRefText(ref);
  }
  return {
    profile: site.profile,
    hosts: site.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      port: h.port,
      user: h.user,
      identity: h.identity,
      hostKey: h.hostKey,
      roles: [...h.roles],
      size: h.size ? { ...h.size } : undefined,
    })),
    app: { database: site.app.database, dbUser: site.app.dbUser },
    secrets,
  };
}

export interface SizingModel {
  loadProfile(name: string, options: { baseDir: string }): import('../config/types.js').Profile;
  sizeSite(site: Site, profile: import('../config/types.js').Profile, resources?: Map<string, HostResources>): SiteSizing;
  checkSizing(sizing: SiteSizing): Problem[];
}

/** A trial with the real model: the profile sized over the site (live resources where probed) and cross-checked. */
export function modelTrial(model: SizingModel, site: Site, baseDir: string, resources?: Map<string, HostResources>): (profile: string) => Trial {
  return (profile) => {
    try {
      const p = model.loadProfile(profile, { baseDir });
      const sizing = model.sizeSite(site, p, resources);
      const problems = model.checkSizing(sizing);
      return problems.length === 0 ? { profile, ok: true, sizing } : { profile, ok: false, problems };
    } catch (err) {
      if (err instanceof UserError) return { profile, ok: false, problems: err.problems };
      throw err;
    }
  };
}

/** The real model, imported when needed (it pulls in the schema and profile loader). */
export async function loadSizingModel(): Promise<SizingModel> {
  const [{ loadProfile }, { sizeSite }, { checkSizing }] = await Promise.all([
    import('../config/profile.js'),
    import('../sizing/model.js'),
    import('../validate/rules.js'),
  ]);
  return { loadProfile, sizeSite, checkSizing };
}
