// Shared by the tests that run the real daemons: temp dirs that are always removed, commands with a deadline, and
// daemons that are always stopped. A missing binary fails the test: these tests are the proof, never skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The absolute path of a binary on PATH (plus the sbin dirs root has), or an error naming the Debian package. */
export function requireBinary(name: string, pkg: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  throw new Error(`${name} is not installed: apt-get install ${pkg} (a missing daemon fails these tests, it does not skip them)`);
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `stackscale-${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with a deadline (killed after it). Never through a shell. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (child.stdin) {
      // A command that exits without reading its input is not an error of the test's making.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with `what` and the last error. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A daemon started in the foreground, with its output kept for failure messages. */
export class Daemon {
  readonly child: ChildProcess;
  output = '';
  exited: Promise<number | null>;

  constructor(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Builds a C tool from test/tools into `dir` with gcc; returns the binary's path. */
export function buildTool(source: string, out: string, libs: string[]): string {
  const gcc = requireBinary('gcc', 'gcc');
  const res = spawnSync(gcc, ['-Wall', '-Wextra', '-Werror', '-O1', '-o', out, source, ...libs], { encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0) throw new Error(`gcc failed (is libconfig-dev installed?):\n${res.stderr}`);
  return out;
}

export const TOOLS_DIR = new URL('../tools/', import.meta.url).pathname;
