// Run the CLI in-process, as a user would see it: the real main() with an Io that records both streams.
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[], options: { cwd: string; isTTY?: boolean; env?: Record<string, string | undefined> }): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: options.isTTY ?? false,
    env: { HOME: options.cwd, PATH: process.env.PATH, ...options.env },
    cwd: options.cwd,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

export const ANSI = /\x1b\[[0-9;]*m/;
