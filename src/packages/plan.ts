// The install action of a host's plan: which packages it lacks, from where, and whether stackscale may install them
// there. Pure: facts, the site and the keys already loaded in, an action or a refusal out.
import type { Role, Site } from '../config/types.js';
import { EXIT } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import type { InstallAction } from './types.js';
import type { KeyResult } from './keys.js';
import { recordedKeys, repoSource, trustKey, type RepoName } from './repository.js';
import { missingPackages, servicesOf, type PackageNeed } from './roles.js';
import { supportedOs } from '../facts/platform.js';

export interface PackageContext {
  /** false with --no-install or `packages: {install: false}`. */
  install: boolean;
  /** Where the false came from, for the message. */
  installOffBy?: string;
  /** The keys of the repositories some host needs, loaded by loadKey. */
  keys: Map<RepoName, KeyResult>;
}

export type InstallDecision = { install?: InstallAction; refusal?: { message: string; exitCode: number } };

/** The repositories some host of the run needs (so their keys are loaded once, before planning). */
export function reposNeeded(needs: PackageNeed[]): RepoName[] {
  return [...new Set(needs.flatMap((n) => (n.source === 'distro' ? [] : [n.source])))];
}

function byRole(needs: PackageNeed[]): string {
  const roles = [...new Set(needs.map((n) => n.role))];
  return roles.map((r) => `${r} needs ${needs.filter((n) => n.role === r).map((n) => n.name).join(', ')}`).join('; ');
}

export function planInstall(roles: readonly Role[], facts: HostFacts, site: Site, ctx: PackageContext): InstallDecision {
  const missing = missingPackages(roles, facts, site);
  if (missing.length === 0) return {};
  if (!ctx.install) {
    return {
      refusal: {
        message: `not installed: ${byRole(missing)}; installing is off (${ctx.installOffBy ?? '--no-install'}): install them by hand, or let stackscale install them`,
        exitCode: EXIT.invalidInput,
      },
    };
  }
  if (!supportedOs(facts)) {
    return {
      refusal: {
        message:
          `not installed: ${byRole(missing)}; stackscale installs packages only on Debian 11/12/13 and Ubuntu 22.04/24.04 with apt, ` +
          `and this host runs ${facts.os.prettyName}: install them by hand, then run stackscale again`,
        exitCode: EXIT.error,
      },
    };
  }
  const recorded = recordedKeys(facts);
  const repositories: InstallAction['repositories'] = [];
  for (const name of reposNeeded(missing)) {
    const src = repoSource(name, site, facts.os);
    const key = ctx.keys.get(name);
    if (!key || 'error' in key) {
      // plan still shows the rest; apply refuses before any change (refuseBeforeChanges)
      const keyError = key && 'error' in key ? key.error : `the ${name} repository key was not loaded`;
      repositories.push({ name, url: src.url, suite: src.suite, keyFrom: key?.from ?? '', keyFingerprint: '', trust: 'unavailable', keyError });
      continue;
    }
    const t = trustKey(src, key.fingerprint, recorded[name]);
    if ('refused' in t) return { refusal: { message: t.refused, exitCode: EXIT.error } };
    repositories.push({ name, url: src.url, suite: src.suite, keyFrom: key.from, keyFingerprint: key.fingerprint, trust: t.trust });
  }
  // An https repository on a host without the CA bundle (a minimal image): ca-certificates first (install.ts).
  const https = repositories.find((r) => r.url.startsWith('https:'));
  if (https && facts.packages && !('ca-certificates' in facts.packages)) {
    const role = missing.find((n) => n.source === https.name)?.role ?? missing[0].role;
    missing.unshift({ name: 'ca-certificates', role, source: 'distro' });
  }
  const sourceOf = (n: PackageNeed): string => (n.source === 'distro' ? 'distro' : (repositories.find((r) => r.name === n.source)?.url ?? n.source));
  return {
    install: {
      packages: missing.map((n) => ({ name: n.name, role: n.role, source: sourceOf(n) })),
      repositories,
      services: servicesOf(missing),
    },
  };
}
