// Pure parsers for the facts script's output (gather.ts): one small function per section, each unit-tested against
// captured output of Debian 12, Ubuntu 22.04/24.04, MySQL 8.0/8.4 and MariaDB 10.5/10.11/11.x hosts
// (test/fixtures/facts/). Nothing here touches a transport.
import { createHash } from 'node:crypto';
import type { DbFlavour } from '../sizing/types.js';
import type { DeploymentRecord, HostFacts, ManagedFileState } from './types.js';
import { compareVersions } from '../util/versions.js';

/** Marks the start of a section: `@@stackscale:section <name> [<arg>]`. The script ends with MARK_END. */
export const MARK_SECTION = '@@stackscale:section';
export const MARK_END = '@@stackscale:end';

export interface Section {
  name: string;
  /** The rest of the marker line: a PHP version for `php`, a path for `file`; '' when none. */
  arg: string;
  lines: string[];
}

/** Split the script's output into its sections, in order. Lines before the first marker are ignored. */
export function splitSections(output: string): { sections: Section[]; complete: boolean } {
  const sections: Section[] = [];
  let current: Section | undefined;
  let complete = false;
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === MARK_END) {
      complete = true;
      current = undefined;
      continue;
    }
    if (line.startsWith(`${MARK_SECTION} `)) {
      const rest = line.slice(MARK_SECTION.length + 1);
      const space = rest.indexOf(' ');
      current = space < 0 ? { name: rest, arg: '', lines: [] } : { name: rest.slice(0, space), arg: rest.slice(space + 1), lines: [] };
      sections.push(current);
      continue;
    }
    current?.lines.push(line);
  }
  return { sections, complete };
}

/** `key value` lines (the script's own sections) as a map; a repeated key keeps every value. */
export function keyValues(lines: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of lines) {
    const m = /^(\S+)(?:\s(.*))?$/.exec(line);
    if (!m) continue;
    const list = map.get(m[1]) ?? [];
    list.push((m[2] ?? '').trim());
    map.set(m[1], list);
  }
  return map;
}

const first = (kv: Map<string, string[]>, key: string): string | undefined => kv.get(key)?.[0];

/** /etc/os-release: shell-style KEY=value, values optionally quoted. */
export function parseOsRelease(lines: string[]): HostFacts['os'] {
  const vars = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2];
    const q = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
    if (q) value = q[1].replace(/\\(["$`\\])/g, '$1');
    vars.set(m[1], value);
  }
  const id = vars.get('ID') ?? 'unknown';
  const versionId = vars.get('VERSION_ID') ?? '';
  const os: HostFacts['os'] = { id, versionId, prettyName: vars.get('PRETTY_NAME') ?? `${id} ${versionId}`.trim() };
  const codename = vars.get('VERSION_CODENAME') || vars.get('UBUNTU_CODENAME');
  if (codename) os.codename = codename;
  return os;
}

export function parseHostname(lines: string[]): string {
  return lines.map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** `MemTotal:       24684092 kB` -> bytes. */
export function parseMemTotal(lines: string[]): number | undefined {
  for (const line of lines) {
    const m = /^MemTotal:\s+(\d+)\s*kB/i.exec(line.trim());
    if (m) return Number(m[1]) * 1024;
  }
  return undefined;
}

/** `nproc N` (CPUs this process may use) preferred over `online N` (getconf _NPROCESSORS_ONLN). */
export function parseCores(lines: string[]): number | undefined {
  const kv = keyValues(lines);
  for (const key of ['nproc', 'online']) {
    const n = Number(first(kv, key));
    if (Number.isInteger(n) && n > 0) return n;
  }
  return undefined;
}

/** /proc/sys/net/core/somaxconn; 4096 (the Linux >= 5.4 default) when unreadable. */
export function parseSomaxconn(lines: string[]): number {
  const n = Number(parseHostname(lines));
  return Number.isInteger(n) && n > 0 ? n : 4096;
}

/** systemd only when /run/systemd/system exists AND pid 1 is systemd (sd_booted() plus a check of pid 1). */
export function parseInit(lines: string[]): HostFacts['initSystem'] {
  const kv = keyValues(lines);
  return first(kv, 'run-systemd') === 'yes' && first(kv, 'pid1') === 'systemd' ? 'systemd' : 'sysv';
}

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
const packageVersion = (value: string): string | undefined => parsePackageLine(value)?.version;

/** A section's version: from the binary's banner when it has one (authoritative), else from its package line. */
function sectionVersion<T>(
  kv: Map<string, string[]>,
  fromBanner: (line: string) => T | undefined,
  fromPackage: (value: string) => T | undefined,
): T | undefined {
  return fromBanner(first(kv, 'version') ?? '') ?? fromPackage(first(kv, 'package') ?? '');
}

/** "10.11.19" -> "10.11". */
export function majorMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
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

/** One `php <X.Y>` section: binary, version banner or package, pool dir, running, the workers' RSS. */
export function parsePhpSection(arg: string, lines: string[]): PhpInstall {
  const kv = keyValues(lines);
  const fullVersion = sectionVersion(kv, parsePhpVersionLine, packageVersion);
  const version = fullVersion ? majorMinor(fullVersion) : arg;
  const rss = (kv.get('rss') ?? []).map(Number);
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

/** `Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=...` -> "7.0.15". */
export function parseRedisVersionLine(line: string): string | undefined {
  return /\bv=(\d+\.\d+(?:\.\d+)?)/.exec(line)?.[1];
}

/** `ProxySQL version 2.6.3-12-g2f9d4bc, codename Truls` -> "2.6.3". */
export function parseProxysqlVersionLine(line: string): string | undefined {
  return /version\s+v?(\d+\.\d+(?:\.\d+)?)/i.exec(line)?.[1];
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

export function parseRedisSection(lines: string[]): HostFacts['redis'] {
  const kv = keyValues(lines);
  const version = sectionVersion(kv, parseRedisVersionLine, packageVersion);
  if (!kv.has('binary') || !version) return undefined;
  return { version, service: 'redis-server', running: first(kv, 'running') === 'yes' };
}

export function parseProxysqlSection(lines: string[]): HostFacts['proxysql'] {
  const kv = keyValues(lines);
  const version = sectionVersion(kv, parseProxysqlVersionLine, packageVersion);
  if (!kv.has('binary') || !version) return undefined;
  const database = first(kv, 'database');
  return { version, running: first(kv, 'running') === 'yes', ...(database ? { database: database === 'yes' } : {}) };
}

/** nginx: installed (its binary found) and whether its master runs. */
export function parseNginxSection(lines: string[]): HostFacts['nginx'] {
  const kv = keyValues(lines);
  if (!kv.has('binary')) return undefined;
  return { running: first(kv, 'running') === 'yes' };
}

/** Base64 lines after `content`, decoded to the file's bytes; undefined when the script could not read the file. */
export function fileBytes(lines: string[]): Buffer | undefined {
  const at = lines.indexOf('content');
  if (at < 0) return undefined;
  return Buffer.from(lines.slice(at + 1).join('').replace(/\s+/g, ''), 'base64');
}

/**
 * One `file <path>` section: `exists yes|no`, `stat <octal mode> <owner> <group>`, `sha256 <hex>`, then `content`
 * and the bytes in base64 (so any byte survives the text channel). The sha256 is computed here from the bytes when
 * the host had no sha256sum.
 */
export function parseFileSection(path: string, lines: string[]): ManagedFileState {
  const at = lines.indexOf('content');
  const kv = keyValues(at < 0 ? lines : lines.slice(0, at));
  if (first(kv, 'exists') !== 'yes') return { path, exists: false };
  const state: ManagedFileState = { path, exists: true };
  const stat = /^([0-7]+)\s+(\S+)\s+(\S+)$/.exec(first(kv, 'stat') ?? '');
  if (stat) {
    state.mode = parseInt(stat[1], 8);
    state.owner = stat[2];
    state.group = stat[3];
  }
  const bytes = fileBytes(lines);
  if (bytes) state.content = bytes.toString('utf8');
  const sha = first(kv, 'sha256');
  if (sha && /^[0-9a-f]{64}$/.test(sha)) state.sha256 = sha;
  else if (bytes) state.sha256 = createHash('sha256').update(bytes).digest('hex');
  return state;
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

/** The last deployment from state.json's text; anything unreadable or incomplete counts as none. */
export function parseDeploymentRecord(text: string | undefined): DeploymentRecord | undefined {
  if (!text || text.trim() === '') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  const [deployId, time] = [str('deployId'), str('time')];
  if (!deployId || !time || !Array.isArray(d.files)) return undefined;
  const files: DeploymentRecord['files'] = [];
  for (const f of d.files as unknown[]) {
    if (!f || typeof f !== 'object') return undefined;
    const { path, sha256, backup } = f as Record<string, unknown>;
    if (typeof path !== 'string' || typeof sha256 !== 'string') return undefined;
    files.push({ path, sha256, backup: typeof backup === 'string' ? backup : null });
  }
  return { deployId, time, profile: str('profile') ?? '', toolVersion: str('toolVersion') ?? '', files };
}

export class FactsParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FactsParseError';
  }
}

/**
 * The whole script output -> HostFacts. `managedPaths` are the paths asked for (reported even when the script did
 * not mention one, as not existing); `statePath` names the section holding the deployment record.
 * Throws FactsParseError when the output is cut short or lacks what sizing cannot do without (memory, cores).
 */
export function parseFacts(host: string, output: string, managedPaths: string[], statePath: string): HostFacts {
  const { sections, complete } = splitSections(output);
  if (!complete) throw new FactsParseError('the facts script did not run to its end');
  const one = (name: string): string[] => sections.find((s) => s.name === name)?.lines ?? [];
  const memory = parseMemTotal(one('meminfo'));
  if (memory === undefined) throw new FactsParseError('no MemTotal in /proc/meminfo');
  const cores = parseCores(one('cpu'));
  if (cores === undefined) throw new FactsParseError('neither nproc nor getconf _NPROCESSORS_ONLN gave a CPU count');
  const initSystem = parseInit(one('init'));
  const services = parseServices(one('services'));

  const fileSections = new Map(sections.filter((s) => s.name === 'file').map((s) => [s.arg, s.lines]));
  const files: Record<string, ManagedFileState> = {};
  for (const path of managedPaths) files[path] = parseFileSection(path, fileSections.get(path) ?? ['exists no']);
  const state = fileSections.get(statePath);
  const stateBytes = state ? fileBytes(state) : undefined;

  const php = choosePhp(sections.filter((s) => s.name === 'php').map((s) => parsePhpSection(s.arg, s.lines)));
  const facts: HostFacts = {
    host,
    os: parseOsRelease(one('os')),
    hostname: parseHostname(one('hostname')),
    memory,
    cores,
    somaxconn: parseSomaxconn(one('somaxconn')),
    initSystem,
    files,
  };
  if (php) {
    facts.php = {
      version: php.version,
      poolDir: php.poolDir,
      fpmBinary: php.fpmBinary,
      service: `php${php.version}-fpm`,
      running: php.running,
    };
    if (php.workerRss !== undefined) facts.php.workerRss = php.workerRss;
  }
  const db = parseDbSection(one('db'), services, initSystem);
  if (db) facts.db = db;
  const redis = parseRedisSection(one('redis'));
  if (redis) facts.redis = redis;
  const proxysql = parseProxysqlSection(one('proxysql'));
  if (proxysql) facts.proxysql = proxysql;
  const nginx = parseNginxSection(one('nginx'));
  if (nginx) facts.nginx = nginx;
  if (one('pm').some((l) => /apt-get$/.test(l.trim())) && one('pm').some((l) => /dpkg-query$/.test(l.trim()))) facts.packageManager = 'apt';
  if (sections.some((s) => s.name === 'packages')) facts.packages = parsePackages(one('packages'));
  const last = parseDeploymentRecord(stateBytes?.toString('utf8'));
  if (last) facts.lastDeployment = last;
  return facts;
}
