// Facts in ONE round trip: a POSIX sh script sent on stdin to `sh -s` (so the managed paths never
// reach argv), run privileged, printing one delimited section per fact; parse.ts turns the output into HostFacts.
// Every section is guarded and its stderr dropped: a host without MySQL, ProxySQL or sha256sum still answers.
import { UserError, EXIT } from '../errors.js';
import { STATE_FILE } from '../host-paths.js';
import type { HostResources } from '../sizing/types.js';
import { shellQuote, type Transport } from '../transport/types.js';
import { FactsParseError, MARK_END, MARK_SECTION, majorMinor, parseFacts } from './parse.js';
import type { HostFacts } from './types.js';
import { phpVersionFor, supportedOs } from './platform.js';
import type { Site } from '../config/types.js';

/** The deployment record, always read along with the managed files. */
export const DEPLOYMENT_RECORD = STATE_FILE;

const FACTS_TIMEOUT_MS = 60_000;

/**
 * Helpers the sections share.
 * - `pgrep_ns`: pgrep limited to this shell's PID namespace, so on a machine that also hosts containers (or the
 *   namespace-based test hosts) their daemons are not taken for this host's; plain pgrep where procps has no --ns.
 *   pgrep exits 0 (found) or 1 (none); anything above means it could not run that way.
 * - `alive`: a pidfile whose process exists.
 * - `named`: a process of exactly that name runs, from `$procs` (PROCS_QUERY): the namespace's processes are listed
 *   once, since every pgrep reads all of /proc (~10 ms each on a host running 170 processes, several times that
 *   under load) and a daemon without a pidfile used to cost one such scan.
 */
export const PRELUDE = `sec() { echo "${MARK_SECTION} $*"; }
pgrep_ns() { pgrep --ns $$ --nslist pid "$@"; rc=$?; [ "$rc" -le 1 ] && return "$rc"; pgrep "$@"; }
alive() { [ -r "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && kill -0 "$pid"; }
named() { printf '%s\n' "$procs" | grep -q "^[0-9]* $1\$"; }
first_exe() { for c in "$@"; do [ -x "$c" ] && { echo "$c"; return 0; }; done; for c in "$@"; do command -v "\${c##*/}" && return 0; done; return 1; }`;

/** The dpkg database; a parameter only so tests can point the helpers at a fake one. */
const DPKG_DIR = '/var/lib/dpkg';

/**
 * A daemon's version from its Debian package instead of from running the binary (mariadbd --version alone took 27 ms
 * of a 47 ms script on a Debian 12 host; one dpkg-query for all of them takes 7). `$pkgs` holds `dpkg-query -W`
 * lines (`<status> <package> <version>`), captured once before the sections.
 * - `pkg_of <binary> <package glob>...`: `<package> <version>` of the installed package (status `?i`: installed, also
 *   when held; no error flag) whose name matches a glob and whose file list has exactly <binary>. Nothing for a
 *   diverted binary (the file at that path is then not the package's) or one no such package ships, e.g. a build in
 *   /usr/local. A Multi-Arch: same package's list is named `<package>:<arch>.list`.
 * - `version_of <binary> <version option> <package glob>...`: `package <name> <version>` when pkg_of knows the
 *   binary, else `version <first line of its banner>`, as before.
 */
export function packageHelpers(dpkgDir = DPKG_DIR): string {
  const dir = shellQuote(dpkgDir);
  return `pkg_of() {
  _b=$1; shift
  [ -n "$pkgs" ] || return 1
  grep -qxF "$_b" ${dir}/diversions 2>/dev/null && return 1
  printf '%s\\n' "$pkgs" | while read -r _s _p _v; do
    case $_s in ?i) ;; *) continue ;; esac
    _m=
    for _g in "$@"; do case $_p in $_g) _m=1 ;; esac; done
    [ -n "$_m" ] || continue
    for _l in ${dir}/info/"$_p".list ${dir}/info/"$_p":*.list; do
      grep -qxF "$_b" "$_l" 2>/dev/null && { echo "$_p $_v"; exit 0; }
    done
  done
}
version_of() {
  _b=$1 _o=$2; shift 2
  if _p=$(pkg_of "$_b" "$@") && [ -n "$_p" ]; then echo "package $_p"; else echo "version $("$_b" "$_o" | head -n 1)"; fi
}`;
}

/**
 * The packages whose versions pkg_of may use, one dpkg-query before the concurrent sections (each a subshell, so
 * each sees the variable). Nothing where there is no dpkg. MariaDB ships mariadbd in mariadb-server-core
 * (Debian 12, mariadb.org) or mariadb-server-core-X.Y (Ubuntu, Debian 11); MySQL in mysql-server-core-X.Y (Ubuntu)
 * or mysql-community-server-core (Oracle's APT repository).
 */
/** The other packages of the roles (src/packages/roles.ts), for `sec packages`: what an apply would install. */
const ROLE_PACKAGE_GLOBS = `nginx 'nginx-*' apache2 lighttpd caddy openresty 'php*-mysql' 'php*-redis' 'php*-opcache' mariadb-server mariadb-client 'mysql-server*' mysql-community-server 'mysql-client*' ca-certificates 'prometheus*' cron`;

export const PACKAGES_QUERY = `pkgs=$(command -v dpkg-query >/dev/null && dpkg-query -W -f='\${db:Status-Abbrev} \${Package} \${Version}\\n' 'mariadb-server-core*' 'mysql-server-core*' mysql-community-server-core 'php*-fpm' redis-server proxysql ${ROLE_PACKAGE_GLOBS} 2>/dev/null)`;

/** Every process of this PID namespace as `<pid> <name>`, listed once before the sections (see `named`). */
export const PROCS_QUERY = `procs=$(pgrep_ns -l '' 2>/dev/null)`;

const HOST_SECTIONS = `sec os
{ cat /etc/os-release || cat /usr/lib/os-release; } 2>/dev/null
sec hostname
{ uname -n || hostname; } 2>/dev/null
sec meminfo
grep '^MemTotal:' /proc/meminfo 2>/dev/null
sec cpu
{ echo "nproc $(nproc)"; echo "online $(getconf _NPROCESSORS_ONLN)"; } 2>/dev/null
sec somaxconn
cat /proc/sys/net/core/somaxconn 2>/dev/null
sec init
{ [ -d /run/systemd/system ] && echo "run-systemd yes"; echo "pid1 $(cat /proc/1/comm)"; } 2>/dev/null`;

// PHP: every /usr/sbin/php-fpmX.Y; the master from its pidfile (or the oldest process of that name), and the RSS of
// its children only, which are the workers.
const PHP_SECTION = `for b in /usr/sbin/php-fpm[0-9]*; do
  [ -x "$b" ] || continue
  n=\${b##*/}; v=\${n#php-fpm}
  sec php "$v"
  {
    echo "binary $b"
    version_of "$b" -v 'php*-fpm'
    [ -d "/etc/php/$v/fpm/pool.d" ] && echo "pooldir /etc/php/$v/fpm/pool.d"
    m=""
    if alive "/run/php/php$v-fpm.pid"; then m=$pid; else m=$(pgrep_ns -o -x "$n"); fi
    if [ -n "$m" ]; then
      echo "running yes"
      echo "master $m"
      ps -o rss= --ppid "$m" | sed 's/^ *//; /^$/d; s/^/rss /'
    else
      echo "running no"
    fi
  } 2>/dev/null
done`;

const DB_SECTION = `sec db
{
  if b=$(first_exe /usr/sbin/mariadbd /usr/sbin/mysqld /usr/bin/mariadbd /usr/bin/mysqld); then
    echo "binary $b"
    version_of "$b" --version 'mariadb-server-core*' 'mysql-server-core*' mysql-community-server-core
    if alive /run/mysqld/mysqld.pid || named mariadbd || named mysqld; then echo "running yes"; else echo "running no"; fi
  fi
} 2>/dev/null`;

// Debian's /usr/bin/redis-server is a symlink to redis-check-rdb from redis-tools; redis-server depends on exactly its
// own version of redis-tools, so the redis-server package's version is the binary's.
const REDIS_SECTION = `sec redis
{
  if b=$(first_exe /usr/bin/redis-server /usr/local/bin/redis-server); then
    echo "binary $b"
    version_of "$b" --version redis-server
    if alive /run/redis/redis-server.pid || named redis-server; then echo "running yes"; else echo "running no"; fi
  fi
} 2>/dev/null`;

const OTHER_SECTIONS = `sec pm
{ command -v apt-get; command -v dpkg-query; } 2>/dev/null
sec packages
[ -n "$pkgs" ] && printf '%s\\n' "$pkgs"
sec proxysql
{
  if b=$(first_exe /usr/bin/proxysql /usr/local/bin/proxysql); then
    echo "binary $b"
    version_of "$b" --version proxysql
    if alive /var/lib/proxysql/proxysql.pid || named proxysql; then echo "running yes"; else echo "running no"; fi
    if [ -e /var/lib/proxysql/proxysql.db ]; then echo "database yes"; else echo "database no"; fi
  fi
} 2>/dev/null
sec nginx
{
  if b=$(first_exe /usr/sbin/nginx); then
    echo "binary $b"
    if alive /run/nginx.pid || named nginx; then echo "running yes"; else echo "running no"; fi
  fi
} 2>/dev/null
sec services
{
  for n in mariadb mysql redis-server proxysql $(for b in /usr/sbin/php-fpm[0-9]*; do [ -x "$b" ] && echo "php\${b##*/php-fpm}-fpm"; done); do
    for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
      [ -e "$d/$n.service" ] && { echo "systemd $n"; break; }
    done
    [ -x "/etc/init.d/$n" ] && echo "initd $n"
  done
} 2>/dev/null`;

/**
 * One managed file: existence, `stat` (octal mode, owner, group), sha256 and the bytes in base64. Each value is
 * captured before it is printed, so a failed read prints nothing rather than an empty file.
 */
function fileSection(path: string): string {
  return `f=${shellQuote(path)}
sec file "$f"
{
  if [ -e "$f" ] || [ -L "$f" ]; then
    echo "exists yes"
    stat -L -c 'stat %a %U %G' -- "$f"
    if [ -f "$f" ] && [ -r "$f" ]; then
      if s=$(sha256sum < "$f"); then echo "sha256 \${s%% *}"; fi
      if c=$(base64 < "$f"); then echo "content"; [ -n "$c" ] && echo "$c"; fi
    fi
  else
    echo "exists no"
  fi
} 2>/dev/null`;
}

/** The paths read: the managed ones and the deployment record, each once. */
export function pathsToRead(managedPaths: string[]): string[] {
  return [...new Set([...managedPaths, DEPLOYMENT_RECORD])];
}

/**
 * Sections run at the same time and printed in order: where dpkg does not know a daemon's binary, the PHP, MySQL and
 * Redis sections each start it for its version (tens of ms apiece), so on a multi-core host they overlap. Stages of
 * one pipeline run concurrently; each later stage keeps its own output in a variable until it has passed on, with
 * `cat`, everything before it. The stages read nothing but that pipe, and their commands read /dev/null. Trailing
 * empty lines of a buffered section are dropped, which the parser ignores anyway.
 */
function concurrently(sections: string[]): string {
  const [first, ...rest] = sections;
  return [`{\n${first}\n} </dev/null`, ...rest.map((s) => `{\n  out=$( {\n${s}\n} </dev/null )\n  cat\n  printf '%s\\n' "$out"\n}`)].join(' | ');
}

/** The whole script. Paths with a newline cannot be delimited and are refused (stackscale never manages such). */
export function factsScript(managedPaths: string[]): string {
  for (const p of managedPaths) {
    if (/[\n\r]/.test(p) || !p.startsWith('/')) throw new Error(`facts: managed path must be absolute and on one line: ${JSON.stringify(p)}`);
  }
  // One compound command: sh parses all of it before running any of it, and with stdin from /dev/null no tool can
  // swallow the rest of the script (which arrives on the same stdin).
  const body = [HOST_SECTIONS, PACKAGES_QUERY, PROCS_QUERY, concurrently([PHP_SECTION, DB_SECTION, REDIS_SECTION]), OTHER_SECTIONS, ...pathsToRead(managedPaths).map(fileSection), `echo "${MARK_END}"`];
  return [PRELUDE, packageHelpers(), '{', ...body, '} </dev/null', 'exit 0', ''].join('\n');
}

/** Run the script on the host and parse what it printed. */
export async function gatherFacts(t: Transport, managedPaths: string[]): Promise<HostFacts> {
  const res = await t.run(['sh', '-s'], { stdin: factsScript(managedPaths), privileged: true, timeoutMs: FACTS_TIMEOUT_MS });
  try {
    return parseFacts(t.host, res.stdout, managedPaths, DEPLOYMENT_RECORD);
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
