// Where init writes: checked before the first question, so that a site file that cannot be written does not waste
// every answer. Light on purpose (node:fs only): it runs before the refusal without a terminal.
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidInputError } from '../errors.js';

/** `--out nodir/x.yaml`: say which directory is missing (and that a file is in the way), instead of ENOENT. */
export function checkOutPath(file: string, shown: (path: string) => string): void {
  const dir = dirname(file);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new InvalidInputError({ path: '--out', message: `the directory ${shown(dir)} does not exist`, fix: `create it first (mkdir -p ${shown(dir)}), or choose another --out` });
  }
  if (!isDir) throw new InvalidInputError({ path: '--out', message: `${shown(dir)} is a file, not a directory`, fix: 'choose another --out' });
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new InvalidInputError({ path: '--out', message: `${shown(file)} is a directory`, fix: 'give the path of the site file to write, e.g. --out stackscale.yaml' });
  }
}
