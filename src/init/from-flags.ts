// `init --non-interactive`: the site file written from the answers given as flags. A problem in the file is one of
// the flags', so errors name the flag, not a line of a file the user never wrote.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { InvalidInputError, type Problem } from '../errors.js';
import { loadSite } from '../config/site.js';
import { parseSize } from '../config/size.js';
import { answersFromFlags, type InitFlags } from './flags.js';
import { loadSizingModel } from './recommend.js';
import { renderSiteFile } from './site-file.js';
import { writeSiteFile, type Written } from './write.js';

export async function siteFileFromFlags(
  flags: InitFlags,
  file: string,
  o: { cwd: string; env: NodeJS.ProcessEnv; force: boolean; date: string; shown: (file: string) => string },
): Promise<Written> {
  const answers = answersFromFlags(flags, parseSize);
  const missingKeys = answers.hosts
    .filter((h) => h.identity && !existsSync(resolve(o.cwd, expandHome(h.identity, o.env))))
    .map((h) => ({ path: '--identity', message: `${h.name}: ${resolve(o.cwd, expandHome(h.identity!, o.env))} does not exist`, fix: 'give the path of a private key on this machine, or leave --identity out to use the SSH agent' }));
  if (missingKeys.length > 0) throw new InvalidInputError(missingKeys);
  if (existsSync(file) && !o.force) {
    throw new InvalidInputError({ where: o.shown(file), message: 'already exists; not overwritten', fix: 'pass --force to replace it, or choose another --out' });
  }
  try {
    return writeSiteFile(file, renderSiteFile(answers, { date: o.date }), { ...(await loadSizingModel()), loadSite }, { overwrite: o.force });
  } catch (err) {
    if (err instanceof InvalidInputError) throw new InvalidInputError(err.problems.map((p) => citeFlag(p)));
    throw err;
  }
}

/** The flag a key path of the written site file comes from. */
const FLAG_OF: [RegExp, string][] = [
  [/^hosts\.[^.]+\.(address|port)$/, '--host'],
  [/^hosts\.[^.]+\.roles/, '--role'],
  [/^hosts\.[^.]+\.user$/, '--user'],
  [/^hosts\.[^.]+\.identity$/, '--identity'],
  [/^hosts\.[^.]+\.host_key$/, '--host-key'],
  [/^hosts\.[^.]+\.private_address$/, '--private-address'],
  [/^hosts\.[^.]+\.size/, '--size'],
  [/^hosts(\.|$)/, '--host'],
  [/^app\.database$/, '--database'],
  [/^app\.db_user$/, '--db-user'],
  [/^secrets\./, '--secret'],
  [/^profile$/, '--profile'],
];

function citeFlag(p: Problem): Problem {
  const flag = p.path ? FLAG_OF.find(([re]) => re.test(p.path!))?.[1] : undefined;
  if (!flag) return p;
  const host = /^hosts\.([^.]+)/.exec(p.path!)?.[1];
  return { path: flag, message: host && !p.message.includes(host) ? `${host}: ${p.message}` : p.message, ...(p.fix ? { fix: p.fix } : {}) };
}

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path.startsWith('~/') ? `${env.HOME ?? homedir()}/${path.slice(2)}` : path;
}
