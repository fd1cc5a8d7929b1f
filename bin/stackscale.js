#!/usr/bin/env node
// The CLI is bundled into dist/ by `npm ci` (prepare) or `npm run build` (scripts/bundle.mjs).
import module from 'node:module';

// Node 22.1 and later keep V8's compiled code of the bundle on disk, so later runs skip compiling it; Node 20 has no
// such call (there the bundle's few files are what keeps start-up short).
module.enableCompileCache?.();
const { main } = await import('../dist/main.js');

process.exitCode = await main(process.argv.slice(2));
