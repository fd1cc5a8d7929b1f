#!/usr/bin/env node
// The CLI is bundled into dist/ by `npm ci` (prepare) or `npm run build` (scripts/bundle.mjs).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
