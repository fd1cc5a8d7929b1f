// The database server (MariaDB or MySQL), and the service units and init scripts present, which name its service.
import type { DbFlavour } from '../sizing/types.js';
import type { HostFacts } from './types.js';
import { parsePackageLine, sectionVersion } from './packages.js';
import { first, keyValues } from './section.js';

export const DB_SCRIPT = `sec db
{
  if first_exe /usr/sbin/mariadbd /usr/sbin/mysqld /usr/bin/mariadbd /usr/bin/mysqld; then
    echo "binary $exe"
    version_of "$exe" --version 'mariadb-server-core*' 'mysql-server-core*' mysql-community-server-core
    if alive /run/mysqld/mysqld.pid || named mariadbd || named mysqld; then echo "running yes"; else echo "running no"; fi
  fi
} 2>/dev/null`;

/** `systemd <name>` / `initd <name>` for each daemon's unit file and init script found. */
export const SERVICES_SCRIPT = `sec services
{
  _n="mariadb mysql redis-server proxysql"
  for b in /usr/sbin/php-fpm[0-9]*; do [ -x "$b" ] && _n="$_n php\${b##*/php-fpm}-fpm"; done
  for n in $_n; do
    for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
      [ -e "$d/$n.service" ] && { echo "systemd $n"; break; }
    done
    [ -x "/etc/init.d/$n" ] && echo "initd $n"
  done
} 2>/dev/null`;

/**
 * `mariadbd --version` / `mysqld --version`, e.g. `/usr/sbin/mysqld  Ver 8.0.36-0ubuntu0.22.04.1 for Linux on x86_64
 * ((Ubuntu))` or `mysqld  Ver 10.5.23-MariaDB-0+deb11u1 for debian-linux-gnu`. The flavour comes from the
 * "MariaDB" marker, not the binary's name: MariaDB's server was called mysqld before 10.5 and still answers to it.
 */
export function parseDbVersionLine(line: string): { flavour: DbFlavour; version: string } | undefined {
  const m = /\bVer\s+(\d+\.\d+(?:\.\d+)?)(\S*)/.exec(line);
  if (!m) return undefined;
  return { flavour: /mariadb/i.test(line) ? 'mariadb' : 'mysql', version: m[1] };
}

/**
 * The server's package, e.g. `mariadb-server-core 1:10.11.19-0+deb12u1` or `mysql-server-core-8.0
 * 8.0.39-0ubuntu0.22.04.1`: the flavour from the package's name, as the script only names MariaDB's and MySQL's.
 */
export function parseDbPackageLine(value: string): { flavour: DbFlavour; version: string } | undefined {
  const p = parsePackageLine(value);
  if (!p) return undefined;
  if (p.name.startsWith('mariadb-')) return { flavour: 'mariadb', version: p.version };
  if (p.name.startsWith('mysql-')) return { flavour: 'mysql', version: p.version };
  return undefined;
}

/** Unit and init-script names present on the host: `systemd <name>` / `initd <name>` lines. */
export function parseServices(lines: string[]): { systemd: Set<string>; initd: Set<string> } {
  const kv = keyValues(lines);
  return { systemd: new Set(kv.get('systemd') ?? []), initd: new Set(kv.get('initd') ?? []) };
}

/**
 * The DB service name: MariaDB installs `mariadb` (with `mysql` as an alias) since 10.4 on Debian/Ubuntu; older
 * MariaDB packages and MySQL use `mysql`.
 */
export function dbServiceName(flavour: DbFlavour, services: { systemd: Set<string>; initd: Set<string> }, init: HostFacts['initSystem']): string {
  if (flavour === 'mysql') return 'mysql';
  const present = init === 'systemd' ? services.systemd : services.initd;
  if (present.has('mariadb')) return 'mariadb';
  if (present.has('mysql')) return 'mysql';
  return 'mariadb';
}

export function parseDbSection(lines: string[], services: ReturnType<typeof parseServices>, init: HostFacts['initSystem']): HostFacts['db'] {
  const kv = keyValues(lines);
  const binary = first(kv, 'binary');
  const parsed = sectionVersion(kv, parseDbVersionLine, parseDbPackageLine);
  if (!binary || !parsed) return undefined;
  return {
    flavour: parsed.flavour,
    version: parsed.version,
    service: dbServiceName(parsed.flavour, services, init),
    serverBinary: binary,
    running: first(kv, 'running') === 'yes',
  };
}
