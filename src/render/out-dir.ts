// `render --out DIR` as one step: the files are written into a temporary directory beside DIR and moved into place
// only when every one is written, so a failing render leaves DIR as it was (and no secret file behind), and a render
// of another site does not leave the first site's files mixed in. DIR holds a manifest of what stackscale wrote; a
// DIR with anything else in it is refused rather than replaced, since it is not ours to delete.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { writeRendered } from './write.js';
import type { RenderedFile } from './types.js';

export const MANIFEST = '.stackscale-render.json';

export interface OutResult {
  /** Final path of each file, in the order given. */
  written: string[];
  /** Files of the previous render in DIR that this one does not write (relative to DIR). */
  removed: string[];
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** Every regular file under `dir`, relative to it. */
function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

/**
 * Checks `dir` can take a render before anything is rendered: it is a directory (or absent, under a directory this
 * user may write in) and holds nothing but an earlier render. Returns the previous render's files.
 */
export function checkOutDir(dir: string, flag = '--out'): string[] {
  let isDir: boolean | undefined;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    if (code(err) !== 'ENOENT') throw new InvalidInputError({ path: flag, message: `cannot use ${dir} (${code(err)})`, fix: 'give a directory this user may write in' });
  }
  if (isDir === false) throw new InvalidInputError({ path: flag, message: `${dir} is a file, not a directory`, fix: 'give a directory (it is created when missing)' });
  if (isDir === undefined) {
    const parent = nearestExisting(dirname(dir));
    if (!statSync(parent).isDirectory()) throw new InvalidInputError({ path: flag, message: `${parent} is a file, not a directory`, fix: 'give a path under a directory' });
    return [];
  }
  const present = listFiles(dir);
  if (present.length === 0) return [];
  if (!present.includes(MANIFEST)) {
    throw new InvalidInputError({
      path: flag,
      message: `${dir} already holds files stackscale did not render (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''})`,
      fix: 'give a new or empty directory; render replaces the whole directory',
    });
  }
  let previous: string[];
  try {
    previous = (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: string[] }).files;
  } catch {
    throw new InvalidInputError({ path: flag, message: `${join(dir, MANIFEST)} is not a render manifest`, fix: 'remove the directory, or give another' });
  }
  const foreign = present.filter((f) => f !== MANIFEST && !previous.includes(f));
  if (foreign.length > 0) {
    throw new InvalidInputError({
      path: flag,
      message: `${dir} holds files the last render did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''})`,
      fix: 'move them elsewhere; render replaces the whole directory',
    });
  }
  return previous;
}

function nearestExisting(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      statSync(p);
      return p;
    } catch {
      if (dirname(p) === p) return p;
    }
  }
}

/** Write `files` into `dir` as one step (see the top of this file). */
export async function writeOutDir(files: RenderedFile[], dir: string, flag = '--out'): Promise<OutResult> {
  const previous = checkOutDir(dir, flag);
  const parent = dirname(dir);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new InvalidInputError({ path: flag, message: `cannot create ${parent} (${code(err)})`, fix: 'give a directory this user may write in' });
  }
  let tmp: string;
  try {
    tmp = mkdtempSync(join(parent, `.${basename(dir)}.render-`));
  } catch (err) {
    throw new InvalidInputError({ path: flag, message: `cannot write in ${parent} (${code(err)})`, fix: 'give a directory this user may write in' });
  }
  try {
    const inTmp = await writeRendered(files, tmp);
    const names = inTmp.map((p) => relative(tmp, p));
    writeFileSync(join(tmp, MANIFEST), JSON.stringify({ files: names }, null, 2) + '\n');
    const old = `${tmp}.old`;
    let moved = false;
    try {
      renameSync(dir, old);
      moved = true;
    } catch (err) {
      if (code(err) !== 'ENOENT') throw err;
    }
    renameSync(tmp, dir);
    if (moved) rmSync(old, { recursive: true, force: true });
    return { written: names.map((n) => join(dir, n)), removed: previous.filter((f) => !names.includes(f)) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
