// A Transport for unit tests of facts, plan and apply: an in-memory filesystem, scripted replies to commands, and a
// log of everything asked of it (command, stdin, privileged), so a test can assert exactly what would run on a host.
import type { FileWrite, RunOptions, RunResult, Transport } from './types.js';
import { toShell } from './types.js';

export interface FakeFile {
  content: Buffer;
  mode: number;
  owner: string;
  group: string;
}

export interface LoggedCall {
  kind: 'run' | 'read' | 'write';
  /** The shell text for `run`, the path for `read` and `write`. */
  command: string;
  /** What went to stdin (`run`) or the content written (`write`), as UTF-8. */
  stdin?: string;
  privileged: boolean;
}

export type CommandMatcher = string | RegExp | ((command: string) => boolean);
export type CommandReply =
  | Partial<RunResult>
  | ((command: string, options: RunOptions, fake: FakeTransport) => Partial<RunResult> | Promise<Partial<RunResult>>);

export interface FakeTransportInit {
  /** Files present at the start; a bare string or Buffer gets mode 0644 root:root. */
  files?: Record<string, string | Buffer | (Partial<Omit<FakeFile, 'content'>> & { content: string | Buffer })>;
}

export class FakeTransport implements Transport {
  readonly files = new Map<string, FakeFile>();
  readonly log: LoggedCall[] = [];
  closed = false;
  /** Return an Error to make writeFile of that file fail (a full disk, a checker that rejects). */
  failWrite?: (file: FileWrite) => Error | undefined;
  private readonly handlers: { match: CommandMatcher; reply: CommandReply }[] = [];

  constructor(
    readonly host = 'fake-host',
    init: FakeTransportInit = {},
  ) {
    for (const [path, f] of Object.entries(init.files ?? {})) {
      if (typeof f === 'string' || Buffer.isBuffer(f)) this.setFile(path, f);
      else this.setFile(path, f.content, f);
    }
  }

  /** Reply to commands that equal `match` (string), match it (RegExp) or satisfy it (function). First match wins. */
  on(match: CommandMatcher, reply: CommandReply): this {
    this.handlers.push({ match, reply });
    return this;
  }

  setFile(path: string, content: string | Buffer, meta: Partial<Omit<FakeFile, 'content'>> = {}): void {
    this.files.set(path, {
      content: Buffer.from(content),
      mode: meta.mode ?? 0o644,
      owner: meta.owner ?? 'root',
      group: meta.group ?? 'root',
    });
  }

  /** A file's content as text, or undefined. */
  text(path: string): string | undefined {
    return this.files.get(path)?.content.toString('utf8');
  }

  /** The shell text of every `run`, in order. */
  commands(): string[] {
    return this.log.filter((c) => c.kind === 'run').map((c) => c.command);
  }

  async run(command: string | string[], options: RunOptions = {}): Promise<RunResult> {
    this.assertOpen();
    const text = toShell(command);
    this.log.push({
      kind: 'run',
      command: text,
      stdin: options.stdin === undefined ? undefined : Buffer.from(options.stdin).toString('utf8'),
      privileged: options.privileged ?? true,
    });
    const handler = this.handlers.find(({ match }) =>
      typeof match === 'string' ? match === text : match instanceof RegExp ? match.test(text) : match(text),
    );
    if (!handler) return { code: 127, stdout: '', stderr: `FakeTransport: no reply scripted for: ${text}\n` };
    const reply = typeof handler.reply === 'function' ? await handler.reply(text, options, this) : handler.reply;
    return { code: reply.code ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
  }

  async readFile(path: string): Promise<Buffer | null> {
    this.assertOpen();
    this.log.push({ kind: 'read', command: path, privileged: true });
    const f = this.files.get(path);
    return f ? Buffer.from(f.content) : null;
  }

  async writeFile(file: FileWrite): Promise<void> {
    this.assertOpen();
    const content = Buffer.from(file.content);
    this.log.push({ kind: 'write', command: file.path, stdin: content.toString('utf8'), privileged: true });
    const error = this.failWrite?.(file);
    if (error) throw error;
    this.files.set(file.path, { content, mode: file.mode, owner: file.owner, group: file.group });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`FakeTransport ${this.host}: used after close()`);
  }
}
