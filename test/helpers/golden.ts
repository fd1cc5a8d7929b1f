// Golden files of rendered output: every file for every host under DIR/<host>/<path>. UPDATE_GOLDEN=1 rewrites the
// directory from what was rendered (read the diff afterwards); otherwise the set of files and every byte must match.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** Every file below `dir`, as absolute paths. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** The rendered files equal the golden directory `dir`: the same files, the same bytes. */
export function expectGolden(dir: string, files: readonly { host: string; path: string; content: string }[]): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    rmSync(dir, { recursive: true, force: true });
    for (const f of files) {
      const p = path.join(dir, f.host, f.path);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, f.content);
    }
  }
  const expected = listFiles(dir).map((p) => path.relative(dir, p)).sort();
  expect(files.map((f) => path.join(f.host, f.path)).sort()).toEqual(expected);
  for (const f of files) expect(f.content, `${f.host}:${f.path}`).toBe(readFileSync(path.join(dir, f.host, f.path), 'utf8'));
}
