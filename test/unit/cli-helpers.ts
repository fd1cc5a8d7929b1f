// The CLI in-process for the unit tests: the shared runner (test/helpers/cli.ts) with HOME in the test's directory.
import { runCli, type CliResult } from '../helpers/cli.js';

export type Ran = CliResult;

export async function cli(args: string[], options: { cwd: string; isTTY?: boolean; env?: Record<string, string | undefined> }): Promise<Ran> {
  return runCli(args, { cwd: options.cwd, isTTY: options.isTTY, env: { HOME: options.cwd, PATH: process.env.PATH, ...options.env } });
}

export const ANSI = /\x1b\[[0-9;]*m/;
