// The dependency rule (docs/architecture.md): layers only import downward, and no file under src/ is part of an import
// cycle. Every import counts, type-only and lazy `import()` ones too: a type pulls its module's layer in as surely as a
// value does. A failure names the importing file and line, the imported file and both layers.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

/**
 * The layer order, lowest first: the one place it is written (docs/architecture.md explains each layer). A file may
 * import its own layer and any layer on an earlier line; layers on the same line are siblings and import neither way.
 * `base` is the files directly under src/ and src/util/.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['base'],
  ['transport'],
  ['config'],
  ['sizing'],
  ['facts'],
  ['daemons'],
  ['validate', 'monitor', 'packages'],
  ['render'],
  ['session'],
  ['slowlog'],
  ['replication'],
  ['proxysql'],
  ['plan'],
  ['apply'],
  ['status'],
  ['loadtest', 'init'],
  ['cli'],
];

/**
 * Imports allowed to break the rule, each with its reason: none today. An entry that no longer matches an import fails
 * the test, so the list cannot go stale.
 */
const ALLOWED: readonly { from: string; to: string; why: string }[] = [];

interface Import {
  from: string;
  to: string;
  line: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of every file under src/, with its line, resolved to the .ts file it names. */
function importsOf(files: string[]): Import[] {
  const out: Import[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const info = ts.preProcessFile(text, true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue; // packages and node: builtins are outside the layers
      const target = resolve(dirname(file), ref.fileName).replace(/\.js$/, '.ts');
      const line = text.slice(0, ref.pos).split('\n').length;
      out.push({ from: rel(file), to: rel(target), line });
    }
  }
  return out;
}

function rel(file: string): string {
  return relative(SRC, file).split('\\').join('/');
}

export function layerOf(file: string): string {
  const top = file.split('/')[0];
  return !file.includes('/') || top === 'util' ? 'base' : top;
}

function rankOf(layer: string): number {
  const rank = LAYERS.findIndex((tier) => tier.includes(layer));
  return rank;
}

const allowed = (i: Import): boolean => ALLOWED.some((a) => a.from === i.from && a.to === i.to);
const where = (i: Import): string => `src/${i.from}:${i.line} imports src/${i.to}`;

/** The strongly connected components with more than one file (Tarjan): each is an import cycle. */
function cycles(edges: Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (next.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles(SRC);
const imports = importsOf(files);

describe('the dependency rule over src/', () => {
  it('knows the layer of every folder under src/', () => {
    const unknown = [...new Set(files.map((f) => layerOf(rel(f))))].filter((l) => rankOf(l) < 0);
    expect(unknown, `add these folders to LAYERS in ${posix.join('test/unit', 'architecture.test.ts')}`).toEqual([]);
  });

  it('has no import from a higher layer or a sibling layer', () => {
    const wrong = imports
      .filter((i) => !allowed(i))
      .filter((i) => layerOf(i.from) !== layerOf(i.to) && rankOf(layerOf(i.to)) >= rankOf(layerOf(i.from)))
      .map((i) => `${where(i)}: ${layerOf(i.from)} may not import ${layerOf(i.to)}`);
    expect(wrong).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const edges = imports.filter((i) => !allowed(i));
    const found = cycles(edges).map((scc) => {
      const inCycle = edges.filter((e) => scc.includes(e.from) && scc.includes(e.to));
      return `cycle of ${scc.length} files:\n  ${inCycle.map(where).join('\n  ')}`;
    });
    expect(found).toEqual([]);
  });

  it('allows only imports that exist (an emptied violation leaves the list)', () => {
    const stale = ALLOWED.filter((a) => !imports.some((i) => i.from === a.from && i.to === a.to));
    expect(stale.map((a) => `${a.from} -> ${a.to}`)).toEqual([]);
  });

  it('finds an upward import and a cycle when there is one (the check itself)', () => {
    const fake: Import[] = [
      { from: 'config/a.ts', to: 'render/b.ts', line: 3 },
      { from: 'render/b.ts', to: 'render/c.ts', line: 1 },
      { from: 'render/c.ts', to: 'render/b.ts', line: 2 },
    ];
    const upward = fake.filter((i) => layerOf(i.from) !== layerOf(i.to) && rankOf(layerOf(i.to)) >= rankOf(layerOf(i.from)));
    expect(upward.map(where)).toEqual(['src/config/a.ts:3 imports src/render/b.ts']);
    expect(cycles(fake)).toEqual([['render/b.ts', 'render/c.ts']]);
    expect(layerOf('errors.ts')).toBe('base');
    expect(layerOf('util/limit.ts')).toBe('base');
    expect(rankOf('validate')).toBe(rankOf('packages'));
  });
});
