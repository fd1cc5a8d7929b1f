// PHP-FPM: every /usr/sbin/php-fpmX.Y installed, which one serves, and how large its workers are.
import { majorMinor, packageVersion, sectionVersion } from './packages.js';
import { compareVersions } from '../util/versions.js';
import { first, keyValues } from './section.js';

/**
 * One `php <X.Y>` section per binary: its version (package or banner), pool dir, whether its master runs (pidfile, or
 * the oldest process of that name, looked for only when the one process list `named` reads has one: a host with no
 * FPM running runs no pgrep of its own for it), and the RSS of the master's children, which are the workers, on one
 * line.
 */
export const PHP_SCRIPT = `for b in /usr/sbin/php-fpm[0-9]*; do
  [ -x "$b" ] || continue
  n=\${b##*/}; v=\${n#php-fpm}
  sec php "$v"
  {
    echo "binary $b"
    version_of "$b" -v 'php*-fpm'
    [ -d "/etc/php/$v/fpm/pool.d" ] && echo "pooldir /etc/php/$v/fpm/pool.d"
    m=""
    if alive "/run/php/php$v-fpm.pid"; then m=$pid; elif named "$n"; then m=$(pgrep_ns -o -x "$n"); fi
    if [ -n "$m" ]; then
      echo "running yes"
      echo "master $m"
      set -- $(ps -o rss= --ppid "$m")
      [ $# -gt 0 ] && echo "rss $*"
    else
      echo "running no"
    fi
  } 2>/dev/null
done`;

/**
 * The size to plan workers by, from `ps -o rss=` of the workers (KiB): the largest when there are few, the P95
 * (nearest rank) when there are many, so one bloated worker does not set the size of all (docs/daemons.md).
 */
export const P95_FROM = 20;
export function workerRssBytes(kib: number[]): number | undefined {
  const values = kib.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const pick = values.length >= P95_FROM ? values[Math.ceil(0.95 * values.length) - 1] : values[values.length - 1];
  return pick * 1024;
}

/** `PHP 8.2.36 (fpm-fcgi) (built: ...)` -> "8.2.36"; undefined when not a PHP banner. */
export function parsePhpVersionLine(line: string): string | undefined {
  return /^PHP\s+(\d+\.\d+(?:\.\d+)?)/.exec(line.trim())?.[1];
}

export interface PhpInstall {
  /** "8.2": from the banner when it ran, else from the binary's name. */
  version: string;
  fullVersion?: string;
  fpmBinary: string;
  poolDir: string;
  hasPoolDir: boolean;
  running: boolean;
  workerRss?: number;
}

/**
 * One `php <X.Y>` section: binary, version banner or package, pool dir, running, the workers' RSS (`rss <KiB>...`: one
 * line with every worker, or, as earlier versions of the script printed, a line per worker).
 */
export function parsePhpSection(arg: string, lines: string[]): PhpInstall {
  const kv = keyValues(lines);
  const fullVersion = sectionVersion(kv, parsePhpVersionLine, packageVersion);
  const version = fullVersion ? majorMinor(fullVersion) : arg;
  const rss = (kv.get('rss') ?? []).flatMap((v) => v.split(/\s+/)).map(Number);
  return {
    version,
    fullVersion,
    fpmBinary: first(kv, 'binary') ?? `/usr/sbin/php-fpm${arg}`,
    poolDir: first(kv, 'pooldir') ?? `/etc/php/${version}/fpm/pool.d`,
    hasPoolDir: kv.has('pooldir'),
    running: first(kv, 'running') === 'yes',
    workerRss: workerRssBytes(rss),
  };
}

/** Of several PHP versions, the one the host serves with: a running FPM, else one with a pool dir, else the newest. */
export function choosePhp(installs: PhpInstall[]): PhpInstall | undefined {
  const rank = (p: PhpInstall): number => (p.running ? 2 : 0) + (p.hasPoolDir ? 1 : 0);
  return [...installs].sort((a, b) => rank(b) - rank(a) || compareVersions(b.version, a.version))[0];
}
