// Each daemon's own checker, run on the candidate before it replaces the live file (docs/architecture.md).
// The candidate is checked in the company it will keep: php-fpm with the main config and the other pools, MariaDB
// with the stock my.cnf, so a clash with the rest of the host's config is caught too.
import { posix } from 'node:path';
import type { HostFacts } from '../facts/types.js';
import type { Service } from '../daemons/services.js';
import { NO_PARSER_EXIT } from './file-steps.js';

export interface CheckerCommand {
  argv: string[];
  /** What the plan output calls it. */
  name: string;
}

/**
 * php-fpm: `php-fpmX.Y -t -y <temp main config>` whose include glob points at a temp pool.d holding the other live
 * pools (symlinked) and the candidate under the live file's name: the live pool is not read, the candidate is.
 * Exits 78 (EX_CONFIG) on a bad pool (docs/daemons.md).
 */
export function fpmChecker(facts: HostFacts, live: string, candidate: string): CheckerCommand {
  const php = facts.php;
  const poolDir = php?.poolDir ?? posix.dirname(live);
  const mainConf = posix.join(posix.dirname(poolDir), 'php-fpm.conf');
  const bin = php?.fpmBinary ?? `/usr/sbin/php-fpm${php?.version ?? ''}`;
  const script = [
    't=$(mktemp -d /tmp/stackscale-fpm.XXXXXX) || exit 1',
    `trap 'rm -rf "$t"' EXIT`,
    'mkdir "$t/pool.d"',
    'for f in "$2"/*.conf; do [ -e "$f" ] || continue; [ "$f" = "$3" ] && continue; ln -s "$f" "$t/pool.d/"; done',
    'ln -s "$4" "$t/pool.d/$(basename -- "$3")"',
    `sed "s#^[[:space:]]*include[[:space:]]*=.*#include=$t/pool.d/*.conf#" "$1" > "$t/php-fpm.conf"`,
    `grep -q '^include=' "$t/php-fpm.conf" || echo "include=$t/pool.d/*.conf" >> "$t/php-fpm.conf"`,
    // sh has no pipefail: php-fpm writes to a file so its exit status survives; paths in its message are mapped back.
    '"$5" -t -y "$t/php-fpm.conf" > "$t/out" 2>&1; rc=$?',
    `sed "s#$t/pool.d/#$2/#g; s#$t/#(check)/#g" "$t/out" >&2`,
    'exit $rc',
  ];
  return { name: `${posix.basename(bin)} -t`, argv: ['sh', '-c', script.join('; '), 'stackscale-check', mainConf, poolDir, live, candidate, bin] };
}

/**
 * MariaDB has no --validate-config (MDEV-31527): `mariadbd --help --verbose` reads every option and exits non-zero on
 * an unknown variable or a bad value. The temp cnf !includes the stock my.cnf and then the candidate (later wins);
 * the candidate's dot-name keeps it out of the stock `!includedir` (which reads only `*.cnf`). MySQL 8.0.16+ has
 * `--validate-config`. A unique-prefix abbreviation passes with only a note, so stderr is returned for the caller.
 */
export function dbChecker(facts: HostFacts, candidate: string): CheckerCommand {
  const db = facts.db;
  const mysql8 = db?.flavour === 'mysql';
  const bin = db?.serverBinary ?? (mysql8 ? '/usr/sbin/mysqld' : '/usr/sbin/mariadbd');
  const mode = mysql8 ? '--validate-config' : '--help --verbose';
  const script = [
    't=$(mktemp -d /tmp/stackscale-db.XXXXXX) || exit 1',
    `trap 'rm -rf "$t"' EXIT`,
    `printf '!include /etc/mysql/my.cnf\\n!include %s\\n' "$2" > "$t/check.cnf"`,
    `"$1" --defaults-file="$t/check.cnf" ${mode} > /dev/null`,
  ];
  return { name: `${posix.basename(bin)} ${mode}`, argv: ['sh', '-c', script.join('; '), 'stackscale-check', bin, candidate] };
}

/**
 * Redis has no check mode: start a throw-away server on the candidate with no TCP port, a private unix socket, dir,
 * pidfile and log on stdout (command-line options override the file), wait for its socket, shut it down. A bad file
 * prints `*** FATAL CONFIG FILE ERROR` and exits 1 at startup (docs/daemons.md).
 */
export function redisChecker(candidate: string): CheckerCommand {
  const script = [
    't=$(mktemp -d /tmp/stackscale-redis.XXXXXX) || exit 1',
    `trap 'rm -rf "$t"' EXIT`,
    `redis-server "$1" --port 0 --unixsocket "$t/check.sock" --daemonize no --supervised no --dir "$t" --pidfile "$t/check.pid" --logfile '' > "$t/out" 2>&1 &`,
    'p=$!',
    'i=0',
    'while [ $i -lt 100 ]; do' +
      ' if [ -S "$t/check.sock" ]; then kill "$p"; wait "$p"; exit 0; fi;' +
      ' if ! kill -0 "$p" 2>/dev/null; then wait "$p"; rc=$?; cat "$t/out" >&2; [ $rc -eq 0 ] && rc=1; exit $rc; fi;' +
      ' sleep 0.1; i=$((i+1));' +
      ' done',
    'kill -9 "$p" 2>/dev/null; cat "$t/out" >&2; echo "redis-server did not come up on the candidate within 10 s" >&2; exit 1',
  ];
  return { name: 'redis-server (throw-away start)', argv: ['sh', '-c', script.join('\n'), 'stackscale-check', candidate] };
}

/**
 * ProxySQL has no check flag. Where it is installed, a throw-away ProxySQL reads the candidate as a first start
 * would: its own datadir and error log in a temp dir (so it loads the file into a fresh database), `--no-start` (only
 * the admin module, no client port), `-S` (the admin on a private unix socket instead of the file's mysql_ifaces, so it
 * does not clash with the running ProxySQL), `--no-monitor`. A libconfig error makes it exit (ProxySQL's
 * lib/configfile.cpp); it passes when its admin answers (and says how many servers it loaded). A throw-away login is
 * put in front of the file's admin_credentials so that no secret is needed. Without ProxySQL, the file is parsed with
 * python3-libconf; without either, the check is skipped with a note (NO_PARSER_EXIT). docs/proxysql.md has more.
 */
export function proxysqlChecker(candidate: string, live = candidate): CheckerCommand {
  const script = [
    'if ! command -v proxysql > /dev/null 2>&1; then',
    `  command -v python3 > /dev/null 2>&1 && python3 -c 'import libconf' 2> /dev/null || exit ${NO_PARSER_EXIT}`,
    `  exec python3 -c 'import io, sys, libconf; libconf.load(io.open(sys.argv[1], encoding="utf-8"))' "$1"`,
    'fi',
    't=$(mktemp -d /tmp/stackscale-proxysql.XXXXXX) || exit 1',
    'p=',
    `trap '[ -n "$p" ] && kill -9 "$p" 2> /dev/null; rm -rf "$t"' EXIT`,
    String.raw`sed -e 's#^\([[:space:]]*admin_credentials[[:space:]]*=[[:space:]]*"\)#\1stackscale-check:check;#' -e "s#^datadir[[:space:]]*=.*#datadir=\"$t\"#" -e "s#^errorlog[[:space:]]*=.*#errorlog=\"$t/proxysql.log\"#" "$1" > "$t/check.cnf" || exit 1`,
    'proxysql -f -n -M -e --no-version-check -c "$t/check.cnf" -D "$t" -S "$t/admin.sock" > "$t/out" 2>&1 &',
    'p=$!',
    'i=0',
    'while [ $i -lt 150 ]; do',
    '  if [ -S "$t/admin.sock" ] && MYSQL_PWD=check mysql -S "$t/admin.sock" -u stackscale-check --batch --skip-column-names -e "SELECT COUNT(*) FROM mysql_servers" > "$t/q" 2> /dev/null; then',
    '    kill "$p"; wait "$p"; p=; echo "servers loaded: $(cat "$t/q")"; exit 0',
    '  fi',
    // Its messages name the live file (same line numbers: the three lines above were edited in place), not the copies.
    '  if ! kill -0 "$p" 2> /dev/null; then wait "$p"; rc=$?; p=; grep -v "^Standard " "$t/out" | sed "s#$t/check.cnf#$2#g" >&2; [ $rc -eq 0 ] && rc=1; exit $rc; fi',
    '  sleep 0.1; i=$((i+1))',
    'done',
    'grep -v "^Standard " "$t/out" | sed "s#$t/check.cnf#$2#g" >&2; echo "the throw-away proxysql did not answer within 15 s" >&2; exit 1',
  ];
  return { name: 'proxysql (throw-away start)', argv: ['sh', '-c', script.join('\n'), 'stackscale-check', candidate, live] };
}

/**
 * Prometheus and Alertmanager have real check modes: `promtool check rules` for a rules file, `promtool check config`
 * for prometheus.yml (it also loads the rule files the config names), `amtool check-config` for alertmanager.yml.
 * The candidate is checked under its own temp name; promtool does not care about the file name.
 */
export function monitorChecker(service: 'prometheus' | 'alertmanager', live: string, candidate: string): CheckerCommand | undefined {
  if (!live.endsWith('.yml')) return undefined; // /etc/default files: flags, checked by the daemon's start
  if (service === 'alertmanager') return { name: 'amtool check-config', argv: ['amtool', 'check-config', candidate] };
  if (live.startsWith('/etc/prometheus/rules/')) return { name: 'promtool check rules', argv: ['promtool', 'check', 'rules', candidate] };
  return { name: 'promtool check config', argv: ['promtool', 'check', 'config', candidate] };
}

/**
 * nginx: `nginx -t` on a copy of /etc/nginx in which every candidate stands in place of its live file, and every
 * `/etc/nginx/` in the copy points into the copy, so the candidates are read together with the rest of the live
 * configuration (modules, mime types, other conf.d files) and the live files are not. `pairs` are live path,
 * candidate path; files outside /etc/nginx (the systemd drop-in) have no checker.
 */
export function nginxChecker(pairs: { live: string; candidate: string }[]): CheckerCommand {
  const script = [
    't=$(mktemp -d /tmp/stackscale-nginx.XXXXXX) || exit 1',
    `trap 'rm -rf "$t"' EXIT`,
    'cp -a /etc/nginx/. "$t/" || exit 1',
    `find "$t" -name '.*.stackscale-*' -delete`,
    'while [ $# -ge 2 ]; do rel=${1#/etc/nginx/}; mkdir -p "$t/$(dirname -- "$rel")"; rm -f "$t/$rel"; cp "$2" "$t/$rel" || exit 1; shift 2; done',
    // sed -i writes a regular file in place of a symlink (sites-enabled/*), which is what the copy wants.
    `find "$t" '(' -type f -o -type l ')' -exec grep -lI /etc/nginx/ {} + 2>/dev/null | while read -r f; do sed -i "s#/etc/nginx/#$t/#g" "$f"; done`,
    'nginx -t -q -c "$t/nginx.conf" > "$t/.out" 2>&1; rc=$?',
    `sed "s#$t/#/etc/nginx/#g" "$t/.out" >&2`,
    'exit $rc',
  ];
  return { name: 'nginx -t', argv: ['sh', '-c', script.join('\n'), 'stackscale-check', ...pairs.flatMap((p) => [p.live, p.candidate])] };
}

/** `php -l` on a PHP file the app reads (the app config): a syntax error would break every request. */
export function phpLintChecker(candidate: string): CheckerCommand {
  return { name: 'php -l', argv: ['php', '-n', '-l', candidate] };
}

export function checkerFor(service: Service, facts: HostFacts, live: string, candidate: string): CheckerCommand | undefined {
  if (service === 'nginx') return live.startsWith('/etc/nginx/') ? nginxChecker([{ live, candidate }]) : undefined;
  if (service === 'php-fpm') return fpmChecker(facts, live, candidate);
  if (service === 'mysql') return dbChecker(facts, candidate);
  if (service === 'redis') return redisChecker(candidate);
  if (service === 'proxysql') return proxysqlChecker(candidate, live);
  if (service === 'prometheus' || service === 'alertmanager') return monitorChecker(service, live, candidate);
  return undefined;
}

/**
 * The checker each candidate gets: its own `check` when the file names one, else its service's. nginx's files are
 * checked together, once, on the first of them: each is read through the others.
 */
export function checkersFor(
  candidates: { file: { path: string; service: Service; check?: 'php-lint' | 'none' }; temp: string }[],
  facts: HostFacts,
): (CheckerCommand | undefined)[] {
  const nginx = candidates.filter((c) => c.file.service === 'nginx' && !c.file.check && c.file.path.startsWith('/etc/nginx/'));
  return candidates.map((c) => {
    if (c.file.check === 'php-lint') return phpLintChecker(c.temp);
    if (c.file.check === 'none') return undefined;
    if (c.file.service === 'nginx') return c === nginx[0] ? nginxChecker(nginx.map((x) => ({ live: x.file.path, candidate: x.temp }))) : undefined;
    return checkerFor(c.file.service, facts, c.file.path, c.temp);
  });
}

/** A checker passed only when it exited 0 and, for MariaDB, did not accept an abbreviated option name. */
export function checkerFailed(service: Service, code: number, stderr: string): boolean {
  if (code !== 0) return true;
  return service === 'mysql' && /unique option prefix/i.test(stderr);
}
