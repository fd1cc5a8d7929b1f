// Writing the site file: to a temp file beside the destination, loaded back exactly as `validate` loads a site file
// (schema, sizing, cross-checks), and only then renamed into place. A file init writes always validates, and an
// interrupted init leaves nothing behind: not the file, not the temp file.
import { linkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EXIT, InvalidInputError, UserError, type Problem } from '../errors.js';
import type { Site } from '../config/types.js';
import { shownPath } from '../config/source.js';
import type { SiteSizing } from '../sizing/types.js';
import type { SizingModel } from './recommend.js';

export interface SiteLoader {
  loadSite(file: string): Site;
}

export interface Written {
  file: string;
  site: Site;
  sizing: SiteSizing;
}

/**
 * Validate `text` as the site file `file` and put it there. Without `overwrite` an existing file is never replaced,
 * even one that appeared while the wizard ran (link(2) fails on an existing name where rename would replace it).
 */
export function writeSiteFile(file: string, text: string, deps: SizingModel & SiteLoader, { overwrite }: { overwrite: boolean }): Written {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const cleanup = (): void => {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  };
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    try {
      writeFileSync(temp, text, { mode: 0o644, flag: 'wx' });
    } catch (err) {
      throw new UserError({ where: file, message: `cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }, EXIT.error);
    }
    const { site, sizing } = checkFile(temp, file, deps);
    if (overwrite) renameSync(temp, file);
    else {
      try {
        linkSync(temp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new UserError({ where: file, message: 'already exists and was not overwritten', fix: 'choose another --out, or pass --force to replace it' }, EXIT.invalidInput);
        }
        throw err;
      }
    }
    return { file, site: { ...site, file }, sizing };
  } finally {
    cleanup();
    process.removeListener('SIGINT', onSignal);
  }
}

/** Load the temp file as the real one would be loaded; problems name the destination, not the temp file. */
function checkFile(temp: string, file: string, deps: SizingModel & SiteLoader): { site: Site; sizing: SiteSizing } {
  // Messages name the file as shown (relative to the working directory) as well as whole: replace both forms.
  const swap = (text: string): string => text.split(temp).join(file).split(shownPath(temp)).join(shownPath(file));
  const rename = (p: Problem): Problem => ({ ...p, where: p.where === undefined ? undefined : swap(p.where), message: swap(p.message) });
  try {
    const site = deps.loadSite(temp);
    const profile = deps.loadProfile(site.profile, { baseDir: dirname(file) });
    const sizing = deps.sizeSite(site, profile);
    const problems = deps.checkSizing(sizing);
    if (problems.length > 0) throw new InvalidInputError(problems);
    return { site, sizing };
  } catch (err) {
    if (err instanceof UserError) throw new InvalidInputError(err.problems.map(rename));
    throw err;
  }
}
