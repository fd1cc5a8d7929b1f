// What planning the installs needs beyond the facts: whether installing is allowed, and the keys of the third-party
// repositories some host of the run would install from (each loaded once, on this machine).
import type { Site } from '../config/types.js';
import type { HostFacts } from '../facts/types.js';
import type { Role } from '../config/types.js';
import { loadKey, type KeyMaterial } from './keys.js';
import { reposNeeded, type PackageContext } from './plan.js';
import { repoSource, type RepoName } from './repository.js';
import { missingPackages } from './roles.js';

export async function packageContext(
  site: Site,
  hosts: { roles: readonly Role[]; facts: HostFacts }[],
  flags: { install?: boolean },
): Promise<PackageContext> {
  const install = flags.install !== false && site.packages?.install !== false;
  const ctx: PackageContext = { install, keys: new Map() };
  if (!install) ctx.installOffBy = flags.install === false ? '--no-install' : 'packages: {install: false} in the site file';
  if (!install) return ctx;
  for (const h of hosts) {
    for (const name of reposNeeded(missingPackages(h.roles, h.facts, site))) {
      if (!ctx.keys.has(name)) ctx.keys.set(name, await loadKey(repoSource(name, site, h.facts.os)));
    }
  }
  return ctx;
}

/** The keys that loaded, for the install steps. */
export function loadedKeys(ctx: PackageContext): Map<RepoName, KeyMaterial> {
  const out = new Map<RepoName, KeyMaterial>();
  for (const [name, k] of ctx.keys) if (!('error' in k)) out.set(name, k);
  return out;
}
