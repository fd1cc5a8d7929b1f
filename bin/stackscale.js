#!/usr/bin/env node
// The CLI is bundled into dist/main.cjs by `npm ci` (prepare) or `npm run build` (scripts/bundle.mjs), and loaded
// through a V8 code cache (code-cache.cjs).
import module from 'node:module';

// Node 22.1 and later keep V8's compiled code of the bundle on disk themselves; Node 20 has no such call.
module.enableCompileCache?.();
const require = module.createRequire(import.meta.url);
const args = process.argv.slice(2);
const bundle = require('./code-cache.cjs').load(require.resolve('../dist/main.cjs'), args.find((a) => !a.startsWith('-')) ?? '');

process.exitCode = await bundle.exports.main(args);
bundle.save();
