// Facts in ONE round trip: a POSIX sh script sent on stdin to `sh -s` (so nothing of it reaches the remote argv),
// run privileged, printing one delimited section per fact. Each fact's script lives beside its parser (host.ts,
// packages.ts, php.ts, db.ts, daemons.ts, files.ts); this file joins the scripts and runs them, parse.ts joins the
// answers. Every section is guarded and its stderr dropped: a host without MySQL, ProxySQL or dpkg still answers.
// The script starts few processes (one awk or dpkg-query, one grep, one pgrep, ps where PHP-FPM runs, tar and base64
// where a managed file exists): a fork + exec costs 1-3 ms on a loaded 2-core host, and there used to be ~90 of them.
import type { Site } from '../config/types.js';
import { EXIT, UserError } from '../errors.js';
import { phpVersionFor, supportedOs } from './platform.js';
import { STATE_FILE } from '../host-paths.js';
import type { HostResources } from '../sizing/types.js';
import { shellQuote, type Transport } from '../transport/types.js';
import { DAEMON_NAMES, NGINX_SCRIPT, PROXYSQL_SCRIPT, REDIS_SCRIPT } from './daemons.js';
import { DB_SCRIPT, SERVICES_SCRIPT } from './db.js';
import { filesScript } from './files.js';
import { HOST_SCRIPT, READ_HELPER } from './host.js';
import { majorMinor, PACKAGES_QUERY, PACKAGES_SCRIPT, packageHelpers } from './packages.js';
import { parseFacts } from './parse.js';
import { PHP_SCRIPT } from './php.js';
import { FactsParseError, MARK_END, MARK_SECTION } from './section.js';
import type { HostFacts } from './types.js';

export { PACKAGE_GLOBS, PACKAGES_QUERY, packageHelpers } from './packages.js';

/** The deployment record, always read along with the managed files. */
export const DEPLOYMENT_RECORD = STATE_FILE;

const FACTS_TIMEOUT_MS = 60_000;

/**
 * Helpers the sections share (shell builtins only, so calling them starts no process):
 * - `pgrep_ns`: pgrep limited to this shell's PID namespace, so on a machine that also hosts containers (or the
 *   namespace-based test hosts) their daemons are not taken for this host's; plain pgrep where procps has no --ns.
 *   pgrep exits 0 (found) or 1 (none); anything above means it could not run that way.
 * - `alive`: a pidfile whose process exists (`$pid` is set to it).
 * - `named`: a daemon of exactly that name runs, from `$procs` (procsQuery): one pgrep lists the daemons of this PID
 *   namespace once, when first asked, since every pgrep reads all of /proc (~10 ms each on a host running 170
 *   processes, several times that under load).
 * - `first_exe`: sets `$exe` to the first of its arguments that is executable, else to the first of their names found
 *   on PATH (as `command -v` would, without a subshell).
 */
export const PRELUDE = `sec() { echo "${MARK_SECTION} $*"; }
pgrep_ns() { pgrep --ns $$ --nslist pid "$@"; rc=$?; [ "$rc" -le 1 ] && return "$rc"; pgrep "$@"; }
alive() { [ -r "$1" ] && read -r pid < "$1" && [ -n "$pid" ] && kill -0 "$pid"; }
named() {
  [ -n "$procs_read" ] || { procs_read=1; list_procs; }
  case "$procs
" in *" $1
"*) return 0 ;; esac; return 1
}
first_exe() {
  exe=
  for _c; do [ -x "$_c" ] && { exe=$_c; return 0; }; done
  _ifs=$IFS; IFS=:
  for _c; do for _d in $PATH; do [ -x "$_d/\${_c##*/}" ] && { exe=$_d/\${_c##*/}; IFS=$_ifs; return 0; }; done; done
  IFS=$_ifs; return 1
}
${READ_HELPER}`;

/**
 * `list_procs` sets `$procs` to `<pid> <name>` of every process of this PID namespace named exactly one of `names`;
 * `named` calls it the first time it is asked (a host whose daemons all have live pidfiles runs no pgrep).
 */
export function procsQuery(names: string[]): string {
  return `list_procs() { procs=$(pgrep_ns -l -x ${shellQuote(names.join('|'))} 2>/dev/null); }`;
}
/** The daemons `named` is asked about, and every PHP-FPM master's name (`php-fpm8.2`): the entries are EREs. */
export const PROCS_QUERY = procsQuery([...DAEMON_NAMES, 'php-fpm[0-9.]+']);

/** The paths read: the managed ones and the deployment record, each once. */
export function pathsToRead(managedPaths: string[]): string[] {
  return [...new Set([...managedPaths, DEPLOYMENT_RECORD])];
}

/** More sh in the same round trip (exchange.ts): `start` runs before the facts' sections, `finish` after them. */
export interface ScriptExtra {
  start: string;
  finish: string;
}

/**
 * The whole script: each fact's section(s), in one compound command. Paths with a newline cannot be delimited and are
 * refused (stackscale never manages such).
 */
export function factsScript(managedPaths: string[], extra?: ScriptExtra): string {
  for (const p of managedPaths) {
    if (/[\n\r]/.test(p) || !p.startsWith('/')) throw new Error(`facts: managed path must be absolute and on one line: ${JSON.stringify(p)}`);
  }
  // One compound command: sh parses all of it before running any of it, and with stdin from /dev/null no tool can
  // swallow the rest of the script (which arrives on the same stdin).
  const body = [
    ...(extra ? [extra.start] : []),
    HOST_SCRIPT,
    PACKAGES_QUERY,
    PHP_SCRIPT,
    DB_SCRIPT,
    REDIS_SCRIPT,
    PACKAGES_SCRIPT,
    PROXYSQL_SCRIPT,
    NGINX_SCRIPT,
    SERVICES_SCRIPT,
    filesScript(pathsToRead(managedPaths)),
    ...(extra ? [extra.finish] : []),
    `echo "${MARK_END}"`,
  ];
  return [PRELUDE, PROCS_QUERY, packageHelpers(), '{', ...body, '} </dev/null', 'exit 0', ''].join('\n');
}

/** Run the script on the host and parse what it printed. */
export async function gatherFacts(t: Transport, managedPaths: string[]): Promise<HostFacts> {
  return (await runFactsScript(t, managedPaths)).facts;
}

/** The facts and the script's whole output (for the sections `extra` added). */
export async function runFactsScript(t: Transport, managedPaths: string[], extra?: ScriptExtra): Promise<{ facts: HostFacts; stdout: string }> {
  const res = await t.run(['sh', '-s'], { stdin: factsScript(managedPaths, extra), privileged: true, timeoutMs: FACTS_TIMEOUT_MS });
  try {
    return { facts: parseFacts(t.host, res.stdout, managedPaths, DEPLOYMENT_RECORD), stdout: res.stdout };
  } catch (err) {
    if (!(err instanceof FactsParseError)) throw err;
    const detail = res.stderr.trim().split('\n').slice(-3).join(' ').trim();
    throw new UserError(
      { where: t.host, message: `could not read facts: ${err.message} (exit ${res.code}${detail ? `: ${detail}` : ''})` },
      EXIT.error,
    );
  }
}

/** What sizing needs from the facts; what the host does not have yet is assumed as on a fresh Debian 12. */
export function resourcesFromFacts(f: HostFacts, site?: Pick<Site, 'phpVersion' | 'database'>): HostResources {
  // Not installed yet: what apply will install (src/packages/roles.ts), so the files rendered are the ones it needs.
  const flavour = f.db?.flavour ?? site?.database?.flavour ?? 'mariadb';
  const r: HostResources = {
    memory: f.memory,
    cores: f.cores,
    somaxconn: f.somaxconn,
    phpVersion: site ? phpVersionFor(f, site) : (f.php?.version ?? supportedOs(f)?.php ?? '8.2'),
    dbFlavour: flavour,
    dbVersion: f.db ? majorMinor(f.db.version) : flavour === 'mysql' ? '8.0' : '10.11',
    source: 'live facts',
  };
  if (f.php?.workerRss !== undefined) r.measuredWorkerRss = f.php.workerRss;
  return r;
}
