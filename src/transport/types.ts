// The one transport interface: everything above it runs the same against a real host over SSH,
// this machine, or a test double. Commands given as argv arrays are quoted by the transport; a string is run by sh.

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Fed to the command's standard input: the only way secrets reach a remote process (never argv). */
  stdin?: string | Buffer;
  /** Run with root privileges (through `sudo -n`/`sudo -S` for a non-root login). Default true. */
  privileged?: boolean;
  /** Give up after this long; the result is an error, not a hang. */
  timeoutMs?: number;
}

export interface FileWrite {
  path: string;
  content: string | Buffer;
  mode: number;
  owner: string;
  group: string;
}

/** A stream with no deadline of its own ends after this long: long enough for any log or dump stackscale streams. */
export const STREAM_TIMEOUT_MS = 30 * 60_000;

export interface StreamOptions {
  /** Run with root privileges, as RunOptions.privileged. Default true. */
  privileged?: boolean;
  /** The command is stopped and `done` rejects after this long. Default 30 minutes (STREAM_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** A command running with its streams open (see Transport.stream). */
export interface CommandStream {
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  /** Resolves when the command has exited and its streams are closed. */
  done: Promise<{ code: number }>;
}

export interface Transport {
  /** The host's name in the site file. */
  readonly host: string;
  run(command: string | string[], options?: RunOptions): Promise<RunResult>;
  /** Contents of files; null where a file does not exist. */
  readFile(path: string): Promise<Buffer | null>;
  /** Write to a temp file beside `path` with the final owner and mode, then rename over it: never half-written. */
  writeFile(file: FileWrite): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: start a command and hand back its open streams, for data too large to hold in memory (a database dump
   * piped from one host into another). Secrets still go on stdin only.
   */
  stream?(command: string | string[], options?: StreamOptions): Promise<CommandStream>;
}

/** Quote one argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function toShell(command: string | string[]): string {
  return typeof command === 'string' ? command : command.map(shellQuote).join(' ');
}
