// The CLI: commander wiring and the one error boundary that turns errors into output and exit codes.
// Commands are imported lazily so `--help`, `--version` and `render` never load the SSH or prompt libraries.
import { Command, CommanderError, Option } from 'commander';
import { excerpt } from '../util/excerpt.js';
import { EXIT, UserError, formatProblem } from '../errors.js';
import { type Io, processIo, styleFor, Reporter } from './io.js';
import { TOOL_VERSION } from '../version.js';
import type { CommandContext } from './context.js';

export type { CommandContext, GlobalOptions } from './context.js';

type Handler = (ctx: CommandContext, ...args: string[]) => Promise<number>;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--concurrency takes a whole number of at least 1, not ${excerpt(value)}`, EXIT.invalidInput);
  return n;
}

/** A number of seconds for a flag (`--connect-timeout 2.5`), refused at once with exit 3 when it is not one. */
function seconds(flag: string, { min }: { min: number }): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > 86_400) {
      throw new UserError({ path: flag, message: `${excerpt(value)} is not a number of seconds`, fix: `a number from ${min} to 86400, e.g. ${flag} 10` }, EXIT.invalidInput);
    }
    return n;
  };
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command();
  program
    .name('stackscale')
    .description('Size, render, check and deploy PHP-FPM, Redis, ProxySQL and MySQL/MariaDB for 300 to 1000+ users')
    .version(TOOL_VERSION, '--version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showSuggestionAfterError(true);

  const run =
    (handler: () => Promise<Handler>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const options = command.optsWithGlobals() as CommandContext['options'];
      const positional = command.args;
      const out = new Reporter(io, Boolean(options.json), styleFor(io, options.color));
      const fn = await handler();
      code = await fn({ io, out, options, run: (next) => main(next, io) }, ...positional);
    };

  const common = (c: Command, which: ('site' | 'profile' | 'host' | 'json' | 'concurrency' | 'yes' | 'hostkey')[]): Command => {
    for (const w of which) {
      if (w === 'site') c.option('--site <file>', 'site file (default: ./stackscale.yaml)');
      if (w === 'profile') c.option('--profile <name|file>', 'capacity profile: 300, 700, 1000 or a file');
      if (w === 'host') c.option('--host <name>', 'limit the run to this host (repeatable)', collect);
      if (w === 'json') c.option('--json', 'one JSON document on stdout; human text on stderr');
      if (w === 'concurrency') c.addOption(new Option('--concurrency <n>', 'hosts worked on at once').argParser(positiveInt).default(10));
      if (w === 'yes') c.option('--yes', 'do not ask for confirmation');
      if (w === 'hostkey') {
        c.option('--accept-new-host-key', 'trust and record the key of a host not yet in known_hosts');
        c.option('--known-hosts <file>', 'known_hosts file (default: ~/.ssh/known_hosts)');
        c.addOption(new Option('--connect-timeout <seconds>', 'give up on a host that does not answer within this time').argParser(seconds('--connect-timeout', { min: 0.1 })).default(10));
      }
    }
    c.option('--no-color', 'never colour the output');
    c.option('--verbose', 'print stack traces of internal errors');
    return c;
  };

  common(
    program
      .command('render')
      .description('render every file for every host into DIR/<host>/<path on host>; needs no server')
      .option('--out <dir>', 'output directory', 'out')
      .option('--with-secrets', 'write the real secret values (default: marked placeholders)'),
    ['site', 'profile', 'json'],
  ).action(run(async () => (await import('./commands/render.js')).render));

  common(
    program
      .command('validate')
      .description('schema and cross-service checks, without SSH (--remote also runs the daemons\' own checkers on the hosts)')
      .option('--remote', "run each service's own checker on the candidate files on the hosts")
      .option('--no-secrets', 'do not check that secrets and SSH identity files can be read (a job without them)'),
    ['site', 'profile', 'host', 'json', 'concurrency', 'hostkey'],
  ).action(run(async () => (await import('./commands/validate.js')).validate));

  common(
    program
      .command('plan')
      .description('dry run: facts, render, a diff of every file against the host, the service actions and SQL; writes nothing')
      .option('--detailed-exitcode', 'exit 2 when there are changes, 0 when there are none')
      .option('--no-install', 'never install packages: refuse a role whose packages are missing (exit 3)'),
    ['site', 'profile', 'host', 'json', 'concurrency', 'hostkey'],
  ).action(run(async () => (await import('./commands/plan.js')).plan));

  common(
    program
      .command('apply')
      .description('plan, confirm (or --yes), then deploy host by host: checked, backed up, reversible')
      .addOption(new Option('--lock-timeout <seconds>', 'wait this long for another apply, or the dpkg lock, to be released').argParser(seconds('--lock-timeout', { min: 0 })).default(0))
      .option('--break-lock', 'break a stale lock left by a killed run')
      .option('--no-install', 'never install packages: refuse a role whose packages are missing (exit 3)')
      .option('--accept-new-repo-key', "trust a package repository's key on first use, and record it on the host"),
    ['site', 'profile', 'host', 'json', 'concurrency', 'yes', 'hostkey'],
  ).action(run(async () => (await import('./commands/apply.js')).apply));

  common(
    program
      .command('rollback')
      .description("restore an earlier deployment's files from the hosts' backups, reload and check")
      .option('--to <deploy-id>', "the deployment to go back to (default: the one before the last); 'original': as before stackscale")
      .option('--list', 'list the deployments kept on each host')
      .option('--break-lock', 'break a stale lock left by a killed run'),
    ['site', 'host', 'json', 'concurrency', 'yes', 'hostkey'],
  ).action(run(async () => (await import('./commands/rollback.js')).rollback));

  common(
    program
      .command('status')
      .description('live figures against the profile: host CPU and memory, FPM, Redis, MySQL, replication, ProxySQL')
      .option('--watch [seconds]', 'refresh every SECONDS (default 5): in place on a terminal, repeated blocks otherwise')
      .option('--count <n>', 'with --watch: stop after N refreshes (default: until Ctrl-C)'),
    ['site', 'profile', 'host', 'json', 'concurrency', 'hostkey'],
  ).action(run(async () => (await import('./commands/status.js')).status));

  common(
    program
      .command('slowlog')
      .description('the db hosts\' slow query logs digested by fingerprint, worst first; --explain: EXPLAIN on a replica, index suggestions')
      .option('--since <duration>', 'only statements of the last 30m, 24h, 7d ... (rotated logs included)')
      .option('--top <n>', 'statement shapes to show', '10')
      .option('--explain', 'EXPLAIN the top SELECTs on a replica (else the primary) and suggest indexes')
      .option('--mask-literals', 'mask the literals of the examples (they may hold personal data)')
      .option('--file <path>', 'digest a local slow log instead of the hosts\' (repeatable)', collect),
    ['site', 'profile', 'host', 'json', 'concurrency', 'hostkey'],
  ).action(run(async () => (await import('./commands/slowlog.js')).slowlog));

  common(
    program
      .command('loadtest')
      .description("open-model HTTP load against the site's web/lb hosts, the site sampled over SSH, verdicts against the profile")
      .option('--url <url>', 'base URL to load (loopback or a host of the site; default: the site\'s lb, else web hosts)')
      .option('--users <n>', 'virtual users (with --ramp: held after it; default the last stage)')
      .option('--think <seconds>', 'mean think time between a user\'s requests (exponential)')
      .option('--duration <seconds>', 'how long to send (default: the ramp, else 60 s; at most 2 h)')
      .option('--ramp <users:time,...>', 'stages, e.g. 500:60s,1000:120s')
      .option('--paths <file>', 'YAML list of {path, weight, method?} (default: the five endpoints of the sample app)')
      .option('--max-requests <n>', 'stop after this many requests (default: 1.5 x the offered load over the duration)')
      .option('--max-connections <n>', 'requests in flight at most (default 1024)')
      .option('--timeout <seconds>', 'a request unanswered this long is a timeout (default 10)')
      .option('--sample-interval <seconds>', 'how often the site is sampled over SSH (default 5)')
      .option('--no-sample', 'do not connect to the hosts; judge latency and errors only')
      .option('--report <file.html>', 'write a self-contained HTML report with charts')
      .option('--allow-any-target', 'allow a --url that is neither loopback nor a host of the site (it must be yours)'),
    ['site', 'profile', 'host', 'json', 'hostkey'],
  ).action(run(async () => (await import('./commands/loadtest.js')).loadtest));

  common(
    program
      .command('init')
      .description('write a site file: a wizard on a terminal, or the answers as flags with --non-interactive')
      .option('--out <file>', 'the site file to write', 'stackscale.yaml')
      .option('--non-interactive', 'ask nothing: take the answers from the flags below')
      .option('--host <name=address[:port]>', 'a host (repeatable)', collect)
      .option('--role <name=role[,role]>', 'roles of a host: web, cache, proxysql, db-primary, db-replica, lb (repeatable)', collect)
      .option('--user <name=user>', 'SSH user of a host (default root; others use sudo)', collect)
      .option('--identity <name=path>', "private key of a host (default: the SSH agent's keys)", collect)
      .option('--host-key <name=SHA256:...>', 'pin the host key fingerprint of a host', collect)
      .option('--private-address <name=ip>', 'the address the other hosts reach a host on; services bind to it (repeatable)', collect)
      .option('--size <name=memory,cores>', 'memory and cores of a host, e.g. web1=16G,8', collect)
      .option('--secret <key=env:VAR|file:PATH>', 'where a secret comes from (default env:<KEY IN CAPITALS>)', collect)
      .option('--database <name>', 'the app database (default app)')
      .option('--db-user <name>', 'the app database user (default: the database name)')
      .option('--force', 'replace an existing --out file (non-interactive)')
      .option('--known-hosts <file>', 'known_hosts the wizard compares host keys with (default: ~/.ssh/known_hosts)')
      .addOption(new Option('--connect-timeout <seconds>', 'give up on a host that does not answer within this time').argParser(seconds('--connect-timeout', { min: 0.1 })).default(10)),
    ['profile'],
  ).action(run(async () => (await import('./commands/init.js')).init));

  const profiles = program.command('profiles').description('the shipped capacity profiles');
  common(profiles, ['json']).action(run(async () => (await import('./commands/profiles.js')).listProfiles));
  common(
    profiles
      .command('show')
      .argument('<name|file>', 'profile name or file')
      .description('every setting the profile yields on a host of the given size, with its derivation')
      .option('--memory <size>', 'host memory, e.g. 8G')
      .option('--ram <size>', 'same as --memory')
      .option('--cores <n>', 'host cores')
      .option('--monitor', 'the host also holds the monitor role (Prometheus and Alertmanager in its memory budget)'),
    ['json'],
  ).action(run(async () => (await import('./commands/profiles.js')).showProfile));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return reportError(err, io, argv.includes('--verbose'), argv.includes('--json'));
  }
}

/** The one error boundary: user errors as clear lines with their exit code; anything else as a bug. */
export function reportError(err: unknown, io: Io, verbose: boolean, json: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    // commander has already printed its message
    return EXIT.invalidInput;
  }
  if (err instanceof UserError) {
    if (json) io.stdout(JSON.stringify({ ok: false, exitCode: err.exitCode, errors: err.problems }, null, 2) + '\n');
    for (const p of err.problems) io.stderr(`error: ${formatProblem(p)}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr(`internal error: ${e.message}\n`);
  io.stderr(verbose ? `${e.stack}\n` : 'run again with --verbose for the stack trace\n');
  io.stderr('This is a bug in stackscale; please report it with the command you ran.\n');
  return EXIT.error;
}
