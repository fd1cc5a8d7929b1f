// Bundle the CLI into one CommonJS file, dist/main.cjs, so that bin/stackscale.js can load it through a V8 code cache
// (bin/code-cache.cjs): on Node 20 a run otherwise parses and compiles the bundle's code anew every time, which was
// ~110 ms of CPU of a 1-host `plan` (350 -> 240 ms) and ~50 ms of `validate` on a 2-core machine. Node 20 has no code
// cache for ES modules, hence CommonJS. Lazy imports stay lazy: esbuild wraps a module that is imported with
// `import()` in an init function that runs on first use, so `--help` still evaluates no command module and loads
// neither ssh2 nor the prompt library (test/unit/cli-lazy.test.ts), which stay outside the bundle.
// dist/meta.json maps the output back to its sources.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import Handlebars from 'handlebars';

// Every template precompiled (src/render/precompiled.ts says how the renderer uses them): parsing and compiling them
// at run time cost 50-90 ms of every render or plan. The options must be the renderer's (src/render/templates.ts).
const OPTIONS = { strict: true, noEscape: true };
const precompiled = {
  name: 'precompiled-templates',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]render[\\/]precompiled\.ts$/ }, () => {
      const entries = readdirSync('templates')
        .filter((f) => f.endsWith('.hbs'))
        .sort()
        .map((f) => {
          const source = readFileSync(`templates/${f}`, 'utf8');
          return `  ${JSON.stringify(f)}: { source: ${JSON.stringify(source)}, spec: ${Handlebars.precompile(source, { ...OPTIONS }) /* a copy: precompile adds its own keys */} },`;
        });
      return { contents: `export const OPTIONS = ${JSON.stringify(OPTIONS)};\nexport const PRECOMPILED = {\n${entries.join('\n')}\n};\n`, loader: 'js' };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outfile: 'dist/main.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['ssh2', '@inquirer/prompts'],
  // import() of those becomes require() (the prompt library is an ES module, which Node >= 20.19 requires): a real
  // import() from code loaded out of a V8 code cache fails on Node 20 ("A dynamic import callback was not specified").
  supported: { 'dynamic-import': false },
  alias: { 'source-map': './scripts/no-source-map.cjs' },
  // The one use of import.meta (util/package-root.ts finds templates/ and profiles/ from the module's own path).
  define: { 'import.meta.url': '__stackscaleUrl' },
  // "use strict" first: the sources are ES modules, which are strict; esbuild's own directive would come after this.
  banner: { js: `"use strict";\nconst __stackscaleUrl = require('node:url').pathToFileURL(__filename).href;` },
  sourcemap: true,
  metafile: true,
  plugins: [precompiled],
  logLevel: 'warning',
});
writeFileSync('dist/meta.json', JSON.stringify(result.metafile, null, 1));
