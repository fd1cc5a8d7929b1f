// The only place that knows where output goes. Commands print through an Io, so tests run the CLI in-process
// and read exactly what a user would see. Human text goes to stderr when --json owns stdout.
import type { Style } from '../util/style.js';

export type { Style };

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Standard input and output are a terminal: prompts and colour are allowed. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): Io {
  // `stackscale profiles show 1000 | head`: a reader that goes away is not an error; stop writing, exit quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}


const plain: Style = { bold: id, red: id, green: id, yellow: id, dim: id, cyan: id };
function id(s: string): string {
  return s;
}
function sgr(code: number): (s: string) => string {
  return (s) => `\x1b[${code}m${s}\x1b[0m`;
}
const ansi: Style = { bold: sgr(1), red: sgr(31), green: sgr(32), yellow: sgr(33), dim: sgr(2), cyan: sgr(36) };

/** Colour only on a TTY, never under CI, NO_COLOR or --no-color. */
export function styleFor(io: Io, colorFlag: boolean | undefined): Style {
  const ci = io.env.CI === 'true' || io.env.CI === '1';
  const wanted = colorFlag !== false && io.isTTY && !ci && io.env.NO_COLOR === undefined;
  return wanted ? ansi : plain;
}

/** Where a command's human-readable lines go: stdout normally, stderr when --json owns stdout. */
export class Reporter {
  constructor(
    readonly io: Io,
    readonly json: boolean,
    readonly style: Style,
  ) {}
  line(text = ''): void {
    (this.json ? this.io.stderr : this.io.stdout)(text + '\n');
  }
  warn(text: string): void {
    this.io.stderr(text + '\n');
  }
  document(value: unknown): void {
    this.io.stdout(JSON.stringify(value, null, 2) + '\n');
  }
}
