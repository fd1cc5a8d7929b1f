// The SSH identity files the site file names: each must exist and be readable before a command that will connect
// starts, so a typo in a path is invalid input (exit 3) found by `validate`, not a failure half-way through a run.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Problem } from '../errors.js';
import { shownPath } from './source.js';
import type { Site } from './types.js';

/** One problem per host whose `identity` is missing, not a file or not readable by this user. */
export function identityProblems(site: Site, env: NodeJS.ProcessEnv, cwd: string): Problem[] {
  const where = site.file ? shownPath(site.file) : 'built-in site';
  const home = env.HOME ?? homedir();
  const out: Problem[] = [];
  for (const h of site.hosts) {
    if (!h.identity) continue;
    const file = resolve(cwd, h.identity === '~' ? home : h.identity.startsWith('~/') ? `${home}/${h.identity.slice(2)}` : h.identity);
    let reason: string | undefined;
    try {
      if (!statSync(file).isFile()) reason = 'is not a file';
      else accessSync(file, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'unreadable'})`;
    }
    if (reason) {
      out.push({ where, path: `hosts.${h.name}.identity`, message: `SSH identity ${file} ${reason}`, fix: 'point identity at a private key this user can read, or leave it out to use the SSH agent' });
    }
  }
  return out;
}
