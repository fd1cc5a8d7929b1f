// The transport for this machine: the same contract as SSH, through `sh -c`, so a one-VPS operator can run
// stackscale on the server itself and tests can exercise the file scripts without an sshd.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { UserError } from '../errors.js';
import { ExecTransport, type ExecResult } from './exec-transport.js';
import { describeCommand } from './file-scripts.js';
import { STREAM_TIMEOUT_MS, toShell, type CommandStream, type RunOptions, type StreamOptions } from './types.js';

export interface LocalTransportOptions {
  /** Name used in messages; defaults to `localhost`. */
  host?: string;
  /** Override "am I root" (tests); defaults to process.getuid() === 0. */
  isRoot?: boolean;
}

export class LocalTransport extends ExecTransport {
  readonly host: string;
  private readonly isRoot: boolean;

  constructor(options: LocalTransportOptions = {}) {
    super();
    this.host = options.host ?? 'localhost';
    this.isRoot = options.isRoot ?? process.getuid?.() === 0;
  }

  async close(): Promise<void> {}

  /**
   * `sh -c <command>`, through `sudo -n` when privileged (the default) and this process is not root, in a process group
   * of its own (detached) so that a timeout can stop it with its children (killGroup).
   */
  private start(command: string | string[], privileged = true): ChildProcessWithoutNullStreams {
    const script = toShell(command);
    const [file, args] = privileged && !this.isRoot ? ['sudo', ['-n', 'sh', '-c', script]] : ['sh', ['-c', script]];
    return spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  }

  async stream(command: string | string[], options: StreamOptions = {}): Promise<CommandStream> {
    const child = this.start(command, options.privileged);
    child.stdin.on('error', () => {});
    const timeoutMs = options.timeoutMs ?? STREAM_TIMEOUT_MS;
    const done = new Promise<{ code: number }>((resolve, reject) => {
      // As over SSH: a command that outlives its deadline is killed and `done` rejects.
      const timer = setTimeout(() => {
        killGroup(child);
        reject(new UserError({ where: this.host, message: `command timed out after ${timeoutMs} ms: ${describeCommand(command)}` }));
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new UserError({ where: this.host, message: `cannot run ${describeCommand(command)}: ${e.message}` }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : 1) });
      });
    });
    return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, done };
  }

  protected exec(command: string | string[], options: RunOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = this.start(command, options.privileged);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              killGroup(child);
            }, options.timeoutMs)
          : undefined;
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new UserError({ where: this.host, message: `cannot run ${describeCommand(command)}: ${e.message}` }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(new UserError({ where: this.host, message: `command timed out after ${options.timeoutMs} ms: ${describeCommand(command)}` }));
          return;
        }
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      });
      // A command that never reads its stdin closes the pipe early; that is not an error of ours.
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin ?? '');
    });
  }
}

/**
 * A timed-out command is stopped with its children, as the SSH transport's host-side timeout does: each command is
 * its own process group (spawned detached), and the group is killed. Without that a child holding stdout open would
 * keep the command "running" until it ended by itself.
 */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
