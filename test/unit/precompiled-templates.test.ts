// Templates precompiled at build time (scripts/bundle.mjs, src/render/precompiled.ts): the bundled CLI must write the
// very bytes the sources do, every template must be in the bundle, and an entry is used only for the exact source.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { describe, expect, test, vi } from 'vitest';
import { WEB_LAYOUTS, type WebLayout } from '../fixtures/web-sites.js';
import { listFiles } from '../helpers/golden.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GOLDEN = path.join(ROOT, 'test', 'golden', 'web');
const OPTIONS = { strict: true, noEscape: true };

/** A precompiled spec as the bundle holds it: an object with functions. */
const spec = (source: string): unknown => new Function(`return ${Handlebars.precompile(source, OPTIONS)}`)();

vi.mock('../../src/render/precompiled.js', async () => {
  const { readFileSync: read } = await import('node:fs');
  const { default: H } = await import('handlebars');
  const dir = (await import('node:path')).resolve(import.meta.dirname, '../../templates');
  const make = (s: string) => new Function(`return ${H.precompile(s, { strict: true, noEscape: true })}`)();
  return {
    OPTIONS: { strict: true, noEscape: true },
    PRECOMPILED: {
      // The real source, with a spec that prints something else: seen in the output only if the entry is used.
      'app.env.hbs': { source: read(`${dir}/app.env.hbs`, 'utf8'), spec: make('from the precompiled entry\n') },
      // A stale entry (its source is not the file's): must be ignored.
      'sysctl.conf.hbs': { source: 'an older template', spec: make('STALE\n') },
    },
  };
});

describe('the renderer and precompiled entries', () => {
  test('an entry built from the file as it is now is used; a stale one is not', async () => {
    const { renderTemplate } = await import('../../src/render/templates.js');
    expect(renderTemplate('app.env', {})).toBe('from the precompiled entry\n');
    expect(() => renderTemplate('sysctl.conf', {})).toThrow(/not defined/); // compiled from the file: strict, needs its view
  });
});

describe('the bundle (dist/, built by npm run build)', () => {
  test('holds every template of templates/ precompiled, with its source', () => {
    const chunks = listFiles(path.join(ROOT, 'dist')).filter((f) => f.endsWith('.js') || f.endsWith('.cjs')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const files = readdirSync(path.join(ROOT, 'templates')).filter((f) => f.endsWith('.hbs'));
    expect(files.length).toBeGreaterThan(10);
    // esbuild reprints the literals, so the key and the shape are checked here; the bytes rendered are checked below.
    for (const f of files) expect(chunks, f).toMatch(new RegExp(`${JSON.stringify(f).replace(/\./g, '\\.')}: \\{\\s*source: ["'\`]`));
    // The options it was precompiled with, exactly the renderer's (else the renderer compiles at run time after all).
    expect(chunks).toMatch(/OPTIONS = \{ "strict": true, "noEscape": true \};/);
    expect(spec('x')).toHaveProperty('main');
  });

  test.each(Object.keys(WEB_LAYOUTS) as WebLayout[])('bin/stackscale.js renders layout %s byte for byte as the golden files', (name) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stackscale-precompiled-'));
    try {
      writeFileSync(path.join(dir, 'site.yaml'), WEB_LAYOUTS[name]);
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/stackscale.js'), 'render', '--site', 'site.yaml', '--out', 'out'], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const golden = path.join(GOLDEN, name);
      const expected = listFiles(golden).map((p) => path.relative(golden, p)).sort();
      const written = listFiles(path.join(dir, 'out')).map((p) => path.relative(path.join(dir, 'out'), p)).filter((f) => f !== '.stackscale-render.json');
      expect(written.sort()).toEqual(expected);
      for (const f of expected) expect(readFileSync(path.join(dir, 'out', f), 'utf8'), f).toBe(readFileSync(path.join(golden, f), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
