// Two kinds of error: a UserError is the user's to fix and prints as one clear line per problem
// with an exit code; anything else is an internal error, printed with its stack and a request for a bug report.
// The CLI's one error boundary (src/cli/main.ts) turns both into output and exit codes.

export const EXIT = {
  ok: 0,
  error: 1,
  changes: 2,
  invalidInput: 3,
  unreachable: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One problem in the user's input. `where` is `file:line:col` or a host name; `path` the key path. */
export interface Problem {
  where?: string;
  path?: string;
  message: string;
  /** What the user can do about it. */
  fix?: string;
}

export function formatProblem(p: Problem): string {
  const head = [p.where, p.path].filter(Boolean).join(' ');
  const text = head ? `${head}: ${p.message}` : p.message;
  return p.fix ? `${text} (${p.fix})` : text;
}

export class UserError extends Error {
  readonly problems: Problem[];
  readonly exitCode: ExitCode;
  constructor(problems: Problem[] | Problem | string, exitCode: ExitCode = EXIT.error) {
    const list = typeof problems === 'string' ? [{ message: problems }] : Array.isArray(problems) ? problems : [problems];
    super(list.map(formatProblem).join('\n'));
    this.name = 'UserError';
    this.problems = list;
    this.exitCode = exitCode;
  }
}

/** Schema or cross-check failure: exit 3, reported before any connection is opened. */
export class InvalidInputError extends UserError {
  constructor(problems: Problem[] | Problem | string) {
    super(problems, EXIT.invalidInput);
    this.name = 'InvalidInputError';
  }
}

/** A host could not be reached or refused its host key: exit 4. */
export class UnreachableError extends UserError {
  readonly host: string;
  constructor(host: string, message: string, fix?: string) {
    super({ where: host, message, fix }, EXIT.unreachable);
    this.name = 'UnreachableError';
    this.host = host;
  }
}
