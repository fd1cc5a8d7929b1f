// The package manager and the installed packages, and daemon versions read from them. One read of dpkg's status file
// (awk, or dpkg-query) lists the roles' packages before the other sections; one `grep` over the daemon packages' file lists (`owners`) then tells
// which package ships each daemon binary, so no section runs a daemon for its version (`mariadbd --version` alone took
// 27 ms of a 47 ms script on a Debian 12 host) and no section greps a file list of its own.
import { shellQuote } from '../transport/types.js';

/** The dpkg database; a parameter only so tests can point the helpers at a fake one. */
const DPKG_DIR = '/var/lib/dpkg';

/** The packages that ship a daemon binary whose version a section reports (see version_of), as dpkg-query globs. */
const DAEMON_PACKAGE_GLOBS = ['mariadb-server-core*', 'mysql-server-core*', 'mysql-community-server-core', 'php*-fpm', 'redis-server', 'proxysql'];
/** The same as one shell `case` pattern. */
const DAEMON_PACKAGE_PATTERN = DAEMON_PACKAGE_GLOBS.join(' | ');

/**
 * The packages `$pkgs` lists, as dpkg-query globs: the daemons' (`owners` reads their file lists) and the other
 * packages of the roles (src/packages/roles.ts), for `sec packages`: what an apply would install. MariaDB ships
 * mariadbd in mariadb-server-core (Debian 12, mariadb.org) or mariadb-server-core-X.Y (Ubuntu, Debian 11); MySQL in
 * mysql-server-core-X.Y (Ubuntu) or mysql-community-server-core (Oracle's APT repository).
 */
export const PACKAGE_GLOBS = [
  ...DAEMON_PACKAGE_GLOBS,
  ...['nginx', 'nginx-*', 'apache2', 'lighttpd', 'caddy', 'openresty', 'php*-mysql', 'php*-redis', 'php*-opcache'],
  ...['mariadb-server', 'mariadb-client', 'mysql-server*', 'mysql-community-server', 'mysql-client*', 'ca-certificates', 'prometheus*', 'cron'],
];

/** The characters of a Debian package name: lower-case letters, digits, `+`, `-` and `.`. */
const NAME_CHAR = '[-a-z0-9+.]';

/**
 * A dpkg-query glob (`*` and `?`; package names hold no brackets) as an ERE without backslashes (for `awk -v`). A
 * wildcard stands for name characters only: awk's `.` also matches a newline, so `php.*-fpm` would run on from a
 * stanza's name to any later line ending in `-fpm` (`Replaces: php8.2-fpm` in php8.2-cli's).
 */
function globRegex(glob: string): string {
  return glob.replace(/[.+]/g, '[$&]').replace(/\*/g, `${NAME_CHAR}*`).replace(/\?/g, NAME_CHAR);
}

/**
 * The status file's stanzas of those packages, one `<abbrev> <package> <version>` line each, as `dpkg-query -W -f
 * '${db:Status-Abbrev} ${Package} ${Version}\n'` prints them: the abbreviation is the Status field's want, status and
 * error flag in dpkg's letters (`ii `, `rc `, `iU `, `iHR`; `?` for a word dpkg does not write). dpkg writes a stanza
 * with its Package field first, so a stanza not asked for is skipped by one match of its start. Packages not installed
 * (status `not-installed`: dpkg-query's `un`/`pn` lines, some of names it knows only from other packages' relations)
 * are left out: nothing reads them.
 */
const STATUS_AWK = `BEGIN {
  RS = ""
  split("unknown u install i hold h deinstall r purge p", x, " "); for (i = 1; i < 10; i += 2) W[x[i]] = x[i + 1]
  split("not-installed n config-files c half-installed H unpacked U half-configured F triggers-awaited W triggers-pending t installed i", x, " ")
  for (i = 1; i < 16; i += 2) S[x[i]] = x[i + 1]
  E["ok"] = " "; E["reinstreq"] = "R"
}
$0 ~ start {
  n = split($0, l, "\\n"); s = ""; v = ""
  for (i = 1; i <= n; i++) { if (l[i] ~ /^Status: /) s = substr(l[i], 9); else if (l[i] ~ /^Version: /) v = substr(l[i], 10) }
  split(s, w, " ")
  a = ((w[1] in W) ? W[w[1]] : "?") ((w[3] in S) ? S[w[3]] : "?") ((w[2] in E) ? E[w[2]] : "?")
  if (w[3] != "not-installed") print a, $2, v
}`;

/**
 * `$pkgs`: `dpkg-query -W` lines (`<status> <package> <version>`) of PACKAGE_GLOBS, captured once before the
 * sections; empty where there is no dpkg. Read from dpkg's status file in one awk pass (mawk, Debian's own awk, where
 * there: ~3 ms against ~10 ms for dpkg-query, which loads its whole database, on a 2-core host); by dpkg-query itself
 * where there is no awk or no readable status file, or where dpkg left updates in its journal (`updates/`: a run that
 * was interrupted or is under way), which dpkg-query reads on top of the status file and awk would not.
 */
export const PACKAGES_QUERY = `pkgs=$(
  if command -v dpkg-query >/dev/null; then
    set -- "$dpkg_dir"/updates/[0-9]*
    for _a in /usr/bin/mawk /usr/bin/awk /bin/awk ''; do [ -x "$_a" ] && break; done
    if [ -r "$dpkg_dir/status" ] && [ ! -e "$1" ] && [ -n "$_a" ]; then
      "$_a" -v start=${shellQuote(`^Package: (${PACKAGE_GLOBS.map(globRegex).join('|')})\\n`)} ${shellQuote(STATUS_AWK)} "$dpkg_dir/status"
    else
      dpkg-query --admindir="$dpkg_dir" -W -f='\${db:Status-Abbrev} \${Package} \${Version}\\n' ${PACKAGE_GLOBS.map(shellQuote).join(' ')}
    fi
  fi 2>/dev/null)`;

/** The daemon binaries the sections may ask about, scanned by one `owners` call when the first version is asked. */
const DAEMON_BINARIES = '/usr/sbin/php-fpm[0-9]* /usr/sbin/mariadbd /usr/sbin/mysqld /usr/bin/mariadbd /usr/bin/mysqld /usr/bin/redis-server /usr/local/bin/redis-server /usr/bin/proxysql /usr/local/bin/proxysql';

/**
 * The helpers (they start no process but the one grep of `owners`, and a binary no package ships):
 * - `owners <binary>...`: adds to `$owned` a `<file list>:<binary>` line for each binary an installed daemon package's
 *   file list holds, and `<dpkg dir>/diversions:<binary>` for a diverted one; one grep for all of them, run by the
 *   first version_of for every daemon binary a section may ask about (a host with no daemon runs none).
 * - `pkg_of <binary> <package glob>...`: sets `$found` to `<package> <version>` of the installed package (status `?i`:
 *   installed, also when held) whose name matches a glob and whose file list has exactly <binary>; fails for a
 *   diverted binary (the file at that path is then not the package's) or one no such package ships (a build in
 *   /usr/local). A Multi-Arch: same package's list is named `<package>:<arch>.list`: that name is looked for (a glob,
 *   which reads all of dpkg's info directory, ~3700 files and ~1 ms a package) only where `<package>.list` is not.
 * - `version_of <binary> <version option> <package glob>...`: `package <name> <version>` when pkg_of knows the
 *   binary, else `version <first line of its banner>` (the binary run); scans a binary `owners` has not seen.
 * Here-documents, not pipes, feed the loops: a pipe would start a subshell for each.
 */
export function packageHelpers(dpkgDir = DPKG_DIR): string {
  return `dpkg_dir=${shellQuote(dpkgDir)}
nl='
'
owned= scanned=
owners() {
  for _ob; do scanned="$scanned$nl$_ob"; done
  [ -n "$pkgs" ] || return 0
  _ls= _pat=
  while read -r _s _p _v; do
    case $_s in ?i) ;; *) continue ;; esac
    case $_p in ${DAEMON_PACKAGE_PATTERN}) ;; *) continue ;; esac
    if [ -e "$dpkg_dir/info/$_p.list" ]; then _ls="$_ls$nl$dpkg_dir/info/$_p.list"; continue; fi
    for _l in "$dpkg_dir/info/$_p":*.list; do [ -e "$_l" ] && _ls="$_ls$nl$_l"; done
  done <<EOF
$pkgs
EOF
  for _ob; do _pat=\${_pat:+$_pat$nl}$_ob; done
  _ifs=$IFS; IFS=$nl; set -f
  owned="$owned$nl$(grep -HxF -f - -- $_ls "$dpkg_dir/diversions" 2>/dev/null <<EOF
$_pat
EOF
)"
  set +f; IFS=$_ifs
}
pkg_of() {
  _b=$1; shift
  found=
  [ -n "$pkgs" ] || return 1
  case "$owned$nl" in *"$nl$dpkg_dir/diversions:$_b$nl"*) return 1 ;; esac
  while read -r _s _p _v; do
    case $_s in ?i) ;; *) continue ;; esac
    _m=
    for _g in "$@"; do case $_p in $_g) _m=1 ;; esac; done
    [ -n "$_m" ] || continue
    while IFS= read -r _ln; do
      case $_ln in "$dpkg_dir/info/$_p.list:$_b" | "$dpkg_dir/info/$_p:"*".list:$_b") found="$_p $_v"; return 0 ;; esac
    done <<EOF
$owned
EOF
  done <<EOF
$pkgs
EOF
  return 1
}
version_of() {
  _b=$1 _o=$2; shift 2
  [ -n "$owners_read" ] || { owners_read=1; owners ${DAEMON_BINARIES}; }
  case "$scanned$nl" in *"$nl$_b$nl"*) ;; *) owners "$_b" ;; esac
  if pkg_of "$_b" "$@"; then echo "package $found"; else echo "version $("$_b" "$_o" | head -n 1)"; fi
}`;
}

/** apt-get and dpkg-query present: `sec pm`; the query's lines: `sec packages`. */
export const PACKAGES_SCRIPT = `sec pm
{ command -v apt-get; command -v dpkg-query; } 2>/dev/null
sec packages
[ -n "$pkgs" ] && printf '%s\\n' "$pkgs"`;

/** `apt` where both apt-get and dpkg-query are there. */
export function parsePackageManager(lines: string[]): 'apt' | undefined {
  const has = (tool: string) => lines.some((l) => new RegExp(`(^|/)${tool}$`).test(l.trim()));
  return has('apt-get') && has('dpkg-query') ? 'apt' : undefined;
}

/**
 * `dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}'` lines -> installed packages. Installed means the
 * second status letter is `i` (or triggers pending/awaited, `t`/`W`); unpacked or half-configured ones are not: apt
 * finishes them when it installs.
 */
export function parsePackages(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^(\S{2,3})\s+(\S+)\s+(\S+)/.exec(line.trim());
    if (m && /^.[itW]/.test(m[1])) out[m[2].replace(/:[a-z0-9]+$/, '')] = m[3];
  }
  return out;
}

/**
 * The upstream version in a Debian package version, as the daemon's own banner gives it: the epoch (`N:`), the Debian
 * revision (after the last `-`) and any `+`/`~` suffix go. `1:10.11.19-0+deb12u1` -> "10.11.19",
 * `8.0.39-0ubuntu0.22.04.1` -> "8.0.39", `1:11.4.3+maria~ubu2404` -> "11.4.3"; undefined when no X.Y remains.
 */
export function upstreamVersion(debianVersion: string): string | undefined {
  let v = debianVersion.trim().replace(/^\d+:/, '');
  const dash = v.lastIndexOf('-');
  if (dash > 0) v = v.slice(0, dash);
  v = v.replace(/[+~].*$/, '');
  return /^(\d+\.\d+(?:\.\d+)?)/.exec(v)?.[1];
}

/** A `package <name> <debian version>` line's value (the script found the binary in that installed package). */
export function parsePackageLine(value: string): { name: string; version: string } | undefined {
  const m = /^(\S+)\s+(\S+)$/.exec(value.trim());
  const version = m ? upstreamVersion(m[2]) : undefined;
  return m && version ? { name: m[1], version } : undefined;
}

/** A package line's upstream version. */
export const packageVersion = (value: string): string | undefined => parsePackageLine(value)?.version;

/** A section's version: from the binary's banner when it has one (authoritative), else from its package line. */
export function sectionVersion<T>(
  kv: Map<string, string[]>,
  fromBanner: (line: string) => T | undefined,
  fromPackage: (value: string) => T | undefined,
): T | undefined {
  return fromBanner(kv.get('version')?.[0] ?? '') ?? fromPackage(kv.get('package')?.[0] ?? '');
}

/** "10.11.19" -> "10.11". */
export function majorMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

