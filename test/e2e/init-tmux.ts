// Driving a command in a real pseudo-terminal: a tmux session of its own (own server socket, so parallel test files
// and a user's tmux never meet), keys sent as a user types them, the screen read back. Every wait is bounded.
import { execFileSync } from 'node:child_process';

const EXIT_MARK = '__stackscale_exit=';

export class TmuxSession {
  private readonly socket: string;
  private readonly name = 'init';

  private constructor(socket: string) {
    this.socket = socket;
  }

  /** Start `command` (argv) in `cwd` with exactly `env` added; the shell prints its exit code when it ends. */
  static start(command: string[], options: { cwd: string; env: Record<string, string>; width?: number; height?: number }): TmuxSession {
    const socket = `stackscale-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const s = new TmuxSession(socket);
    const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // The tmux server (and so the command) gets only this environment: no SSH agent, no HOME of the machine's user.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', LANG: 'C.UTF-8', ...options.env };
    s.tmuxEnv(
      env,
      'new-session', '-d', '-s', s.name,
      '-x', String(options.width ?? 200), '-y', String(options.height ?? 50),
      '-c', options.cwd,
      `${quoted}; echo "${EXIT_MARK}$?"; sleep 600`,
    );
    return s;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  private tmuxEnv(env: Record<string, string>, ...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env });
  }

  /** The whole screen and scrollback, lines joined. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.name);
  }

  /** Typed text, sent literally. */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  /** Named keys: Enter, Down, Up, Space, C-c, ... */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen();
      if (pattern.test(text)) return text;
      if (text.includes(EXIT_MARK) && !pattern.source.includes(EXIT_MARK)) {
        throw new Error(`the command ended while waiting for ${pattern}:\n${text}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; the screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Wait for the open (not yet answered) question whose text matches; @inquirer marks it with "?". */
  async question(text: RegExp, timeoutMs?: number): Promise<string> {
    return this.waitFor(new RegExp(`^\\? ${text.source}`, 'm'), timeoutMs);
  }

  async answer(question: RegExp, typed: string, timeoutMs?: number): Promise<void> {
    await this.question(question, timeoutMs);
    if (typed) this.type(typed);
    this.keys('Enter');
  }

  /** Wait for the command to end; its exit code. */
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const text = await this.waitFor(new RegExp(`${EXIT_MARK}\\d+`), timeoutMs);
    return Number(new RegExp(`${EXIT_MARK}(\\d+)`).exec(text)![1]);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
