// `stackscale render --out DIR`: rendered files under DIR/<host>/<absolute path on the host>.
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { RenderedFile } from './types.js';

/** Where a file goes under the output directory; refuses paths that would climb out of it. */
export function renderedPath(outDir: string, file: Pick<RenderedFile, 'host' | 'path'>): string {
  const clean = posix.normalize(file.path);
  if (!posix.isAbsolute(file.path) || clean !== file.path || file.path.endsWith('/')) {
    throw new Error(`rendered path must be absolute and normalised: ${file.path}`);
  }
  if (file.host === '' || file.host.includes('/') || file.host === '.' || file.host === '..') {
    throw new Error(`host name cannot be a directory name: ${file.host}`);
  }
  return join(outDir, file.host, clean.slice(1));
}

/**
 * Writes each file and returns the paths written, in order. A file that holds secrets is written 0600 whatever its
 * mode on the host (the output directory belongs to whoever ran render, not to the service's group); others get
 * their host mode. Each is written to a temp file then renamed, so it is never readable with the wrong mode.
 */
export async function writeRendered(files: RenderedFile[], outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const dest = renderedPath(outDir, f);
    const mode = f.secrets.length > 0 ? 0o600 : f.mode & 0o777;
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.stackscale-tmp-${process.pid}`;
    await writeFile(tmp, f.content, { mode: 0o600 });
    await chmod(tmp, mode);
    await rename(tmp, dest);
    written.push(dest);
  }
  return written;
}
