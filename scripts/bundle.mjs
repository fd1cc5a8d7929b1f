// Bundle the CLI into dist/: one entry module and a chunk per lazily imported part. A run then loads a handful of files
// instead of ~190 modules, which is most of a short command's start-up time on Node 20 (bench/plan.ts, README "Speed").
// ssh2 stays outside (it may load a native binding); so does the prompt library, loaded only by interactive commands.
// dist/meta.json maps every output file back to its sources (test/unit/cli-lazy.test.ts reads it).
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
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ssh2', '@inquirer/prompts'],
  alias: { 'source-map': './scripts/no-source-map.cjs' },
  // The bundled CommonJS libraries (commander, handlebars) call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __stackscaleRequire } from 'node:module'; const require = __stackscaleRequire(import.meta.url);" },
  sourcemap: true,
  metafile: true,
  plugins: [precompiled],
  logLevel: 'warning',
});
writeFileSync('dist/meta.json', JSON.stringify(result.metafile, null, 1));
