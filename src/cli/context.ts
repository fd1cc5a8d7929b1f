// What every command handler gets from main.ts, and the helpers that turn it into a site session. Its own module so
// commands import neither main.ts nor each other.
import type { Io, Reporter } from './io.js';
import type { SessionRequest } from '../session/session.js';

export interface GlobalOptions {
  site?: string;
  profile?: string;
  host?: string[];
  json?: boolean;
  color?: boolean;
  yes?: boolean;
  concurrency?: number;
  detailedExitcode?: boolean;
  acceptNewHostKey?: boolean;
  verbose?: boolean;
}

/** What every command handler gets. */
export interface CommandContext {
  io: Io;
  out: Reporter;
  options: GlobalOptions & Record<string, unknown>;
  /** Runs another stackscale command line on the same output (init offers to run plan): no command imports main.ts. */
  run(argv: string[]): Promise<number>;
}

/** A progress line per host and step, on stderr: plain text, so CI logs read well. */
export function progressLine(ctx: CommandContext): (host: string, step: string) => void {
  return (host, step) => {
    if (!ctx.options.quiet) ctx.io.stderr(ctx.out.style.dim(`[${host}] ${step}`) + '\n');
  };
}

/**
 * The site session's request from the global flags. Progress lines go to stderr unless `quietWithJson` and --json
 * (a command whose JSON is its whole output); on a terminal an encrypted key's passphrase is asked for.
 */
export function sessionRequest(ctx: CommandContext, { quietWithJson = true }: { quietWithJson?: boolean } = {}): SessionRequest {
  const { options, io } = ctx;
  return {
    site: options.site,
    profile: options.profile,
    host: options.host,
    cwd: io.cwd,
    env: io.env,
    concurrency: options.concurrency,
    progress: quietWithJson && ctx.out.json ? undefined : progressLine(ctx),
    ssh: {
      knownHosts: options.knownHosts as string | undefined,
      acceptNewHostKey: Boolean(options.acceptNewHostKey),
      connectTimeout: Number(options.connectTimeout ?? 10),
      askPassphrase: io.isTTY
        ? async (prompt) => {
            const { prompter } = await import('./prompts.js');
            return prompter().password({ message: prompt });
          }
        : undefined,
    },
  };
}
