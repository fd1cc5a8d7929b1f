// Bundle the CLI into dist/: one entry module and a chunk per lazily imported part. A run then loads a handful of files
// instead of ~190 modules, which is most of a short command's start-up time on Node 20 (bench/plan.ts, README "Speed").
// ssh2 stays outside (it may load a native binding); so does the prompt library, loaded only by interactive commands.
// dist/meta.json maps every output file back to its sources (test/unit/cli-lazy.test.ts reads it).
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

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
  logLevel: 'warning',
});
writeFileSync('dist/meta.json', JSON.stringify(result.metafile, null, 1));
