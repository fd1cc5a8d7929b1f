// `stackscale init`: the wizard on a terminal, or the same answers from flags with --non-interactive. Nothing is
// written until the very end, and then only a file that loads, sizes and cross-checks exactly as `validate` would;
// an existing site file is the wizard's defaults and is replaced only when the user says so (or --force).
// The refusal without a terminal needs none of the wizard's modules: they are imported after it.
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { EXIT, InvalidInputError, UserError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { PromptCancelled, prompter } from '../prompts.js';
import type { InitAnswers } from '../../init/answers.js';
import type { InitFlags } from '../../init/flags.js';
import { checkOutPath } from '../../init/out-path.js';
import { FLAG_HELP, NON_INTERACTIVE_USAGE } from '../../init/usage.js';
import type { Written } from '../../init/write.js';

const DEFAULT_SITE_FILE = 'stackscale.yaml';

/** The modules that read, size and write site files; loaded once the command knows it will need them. */
async function modules() {
  const [answers, site, size, recommend, siteFile, wizard, write] = await Promise.all([
    import('../../init/answers.js'),
    import('../../config/site.js'),
    import('../../config/size.js'),
    import('../../init/recommend.js'),
    import('../../init/site-file.js'),
    import('../../init/wizard.js'),
    import('../../init/write.js'),
  ]);
  return {
    loadSite: site.loadSite,
    parseSize: size.parseSize,
    answersFromSite: recommend.answersFromSite,
    loadSizingModel: recommend.loadSizingModel,
    renderSiteFile: siteFile.renderSiteFile,
    runWizard: wizard.runWizard,
    writeSiteFile: write.writeSiteFile,
    missingSecretVars: answers.missingSecretVars,
  };
}

/** Exit code of an init interrupted with Ctrl-C (128 + SIGINT, as shells report it). */
export const EXIT_CANCELLED = 130;

const ANSWER_FLAGS: (keyof InitFlags)[] = ['host', 'role', 'user', 'identity', 'hostKey', 'privateAddress', 'size', 'secret', 'database', 'dbUser'];

export async function init(ctx: CommandContext): Promise<number> {
  const { io, out, options } = ctx;
  const flags = options as InitFlags & { nonInteractive?: boolean; force?: boolean };
  const file = resolve(io.cwd, flags.out ?? DEFAULT_SITE_FILE);
  // Before any question: a site file that cannot be written would waste every answer.
  checkOutPath(file, (f) => shown(ctx, f));

  if (flags.nonInteractive) return nonInteractive(ctx, flags, file);
  if (!io.isTTY) {
    // Refuse at once: a CI job must never sit waiting for an answer nobody can type.
    io.stderr('error: `stackscale init` asks questions, and there is no terminal to ask on (stdin or stdout is not a TTY).\n');
    io.stderr('For a run without questions, pass the answers as flags:\n\n');
    for (const l of NON_INTERACTIVE_USAGE) io.stderr(`  ${l}\n`);
    io.stderr('\n');
    for (const l of FLAG_HELP) io.stderr(`  ${l}\n`);
    return EXIT.invalidInput;
  }
  const stray = ANSWER_FLAGS.filter((k) => flags[k] !== undefined);
  if (stray.length > 0) {
    throw new InvalidInputError({ path: `--${kebab(stray[0])}`, message: 'answers given as flags are read only with --non-interactive', fix: 'add --non-interactive, or leave the flags out and answer the questions' });
  }

  try {
    return await interactive(ctx, file);
  } catch (err) {
    if (err instanceof PromptCancelled) {
      out.warn('\ninit: cancelled; nothing was written');
      return EXIT_CANCELLED;
    }
    throw err;
  }
}

async function nonInteractive(ctx: CommandContext, flags: InitFlags & { force?: boolean }, file: string): Promise<number> {
  const { siteFileFromFlags } = await import('../../init/from-flags.js');
  const { io } = ctx;
  const written = await siteFileFromFlags(flags, file, { cwd: io.cwd, env: io.env, force: Boolean(flags.force), shown: (f) => shown(ctx, f), date: today() });
  reportWritten(ctx, written);
  ctx.out.line(`next: stackscale plan --site ${shown(ctx, file)}`);
  return EXIT.ok;
}

async function interactive(ctx: CommandContext, firstFile: string): Promise<number> {
  const { io, out } = ctx;
  const ask = prompter();
  const say = (l: string): void => out.line(l);
  const s = out.style;
  say(s.bold('stackscale init') + ': a site file for your hosts, in a few questions. Ctrl-C at any point leaves nothing behind.');

  const { loadSite, answersFromSite, parseSize, runWizard, writeSiteFile, renderSiteFile, loadSizingModel, missingSecretVars } = await modules();
  const defaults = existingDefaults(ctx, firstFile, (file) => answersFromSite(loadSite(file)));
  const model = await loadSizingModel();
  const { answers, recommendation } = await runWizard(
    {
      ask,
      say,
      style: s,
      model,
      prober: await import('../../init/probe.js'),
      probeOptions: {
        env: io.env,
        knownHostsFile: options(ctx).knownHosts ? resolve(io.cwd, options(ctx).knownHosts as string) : undefined,
        timeoutMs: Number(options(ctx).connectTimeout ?? 10) * 1000,
        askPassphrase: (message) => ask.password({ message }),
      },
      baseDir: dirname(firstFile),
      parseSize,
    },
    defaults,
  );

  // Where to write: never over an existing file without a yes.
  let file: string | undefined = firstFile;
  let overwrite = false;
  while (file && existsSync(file)) {
    overwrite = await ask.confirm({ message: `${shown(ctx, file)} exists. Overwrite it?`, default: false });
    if (overwrite) break;
    const other = (await ask.input({ message: 'Write to which file instead? (empty: write nothing)', default: '' })).trim();
    file = other ? resolve(io.cwd, other) : undefined;
  }
  if (!file) {
    out.warn('init: nothing was written');
    return EXIT.ok;
  }

  const note = recommendation?.profile === answers.profile ? 'recommended by init: the largest shipped profile that fits these hosts' : undefined;
  const written = writeSiteFile(file, renderSiteFile(answers, { date: today(), profileNote: note }), { ...model, loadSite }, { overwrite });
  reportWritten(ctx, written);
  const missing = secretsToSet(ctx, answers, missingSecretVars);

  const site = shown(ctx, file);
  // plan needs every secret; with some unset it would only stop at them, so the offer then defaults to no.
  const offer = `Run \`stackscale plan --site ${site}\` now? (read only: shows what apply would change)`;
  if (await ask.confirm({ message: offer, default: missing.length === 0 })) {
    return ctx.run(['plan', '--site', file, ...(options(ctx).knownHosts ? ['--known-hosts', String(options(ctx).knownHosts)] : [])]);
  }
  out.line(`next: stackscale plan --site ${site}`);
  return EXIT.ok;
}

/** An existing site file's answers, offered as the defaults; an unreadable one is said so and not used. */
function existingDefaults(ctx: CommandContext, file: string, readAnswers: (file: string) => InitAnswers): InitAnswers | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const answers = readAnswers(file);
    ctx.out.line(`${shown(ctx, file)} exists: its values are offered as the defaults (it is not replaced without asking).`);
    return answers;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    ctx.out.line(ctx.out.style.yellow(`${shown(ctx, file)} exists but does not load (${err.problems[0]?.message}); starting from scratch. It is not replaced without asking.`));
    return undefined;
  }
}

function reportWritten(ctx: CommandContext, w: Written): void {
  const n = w.site.hosts.length;
  ctx.out.line(`${ctx.out.style.green('wrote')} ${shown(ctx, w.file)}: valid for profile ${w.sizing.profile.name} (${n} host${n === 1 ? '' : 's'})`);
}

/** Which variables plan and apply will read, and whether this shell has them (names only, never values). */
function secretsToSet(ctx: CommandContext, answers: InitAnswers, missingSecretVars: (a: InitAnswers, env: NodeJS.ProcessEnv) => string[]): string[] {
  const missing = missingSecretVars(answers, ctx.io.env);
  if (missing.length > 0) ctx.out.line(`plan and apply read the secrets from the environment: set ${missing.join(', ')} first`);
  return missing;
}

function options(ctx: CommandContext): Record<string, unknown> {
  return ctx.options;
}

function shown(ctx: CommandContext, file: string): string {
  const rel = relative(ctx.io.cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}
