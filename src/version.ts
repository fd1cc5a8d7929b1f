import { readFileSync } from 'node:fs';
import { packagePath } from './util/package-root.js';

/** The package version, read once from package.json. */
export const TOOL_VERSION: string = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')).version;
