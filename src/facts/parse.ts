// The facts script's whole output -> HostFacts: each fact's own parser (host.ts, packages.ts, php.ts, db.ts,
// daemons.ts, files.ts) reads its section(s); this file only puts the answers together. Pure: nothing here touches a
// transport. The parsers are unit-tested against captured output of Debian 12, Ubuntu 22.04/24.04, MySQL 8.0/8.4
// and MariaDB 10.5/10.11/11.x hosts (test/fixtures/facts/).
import { parseDbSection, parseServices } from './db.js';
import { parseNginxSection, parseProxysqlSection, parseRedisSection } from './daemons.js';
import { fileBytes, parseDeploymentRecord, parseFileSection, parseFilesSection } from './files.js';
import { parseCores, parseHostname, parseInit, parseMemTotal, parseOsRelease, parseSomaxconn } from './host.js';
import { parsePackageManager, parsePackages } from './packages.js';
import { choosePhp, parsePhpSection } from './php.js';
import { FactsParseError, indexSections, splitSections } from './section.js';
import type { HostFacts, ManagedFileState } from './types.js';

export { FactsParseError, keyValues, MARK_END, MARK_SECTION, splitSections, type Section } from './section.js';
export { cpuListCount, parseCores, parseHostname, parseInit, parseMemTotal, parseOsRelease, parseSomaxconn } from './host.js';
export { majorMinor, parsePackageLine, parsePackages, upstreamVersion } from './packages.js';
export { choosePhp, P95_FROM, parsePhpSection, parsePhpVersionLine, workerRssBytes, type PhpInstall } from './php.js';
export { dbServiceName, parseDbPackageLine, parseDbSection, parseDbVersionLine, parseServices } from './db.js';
export { parseNginxSection, parseProxysqlSection, parseProxysqlVersionLine, parseRedisSection, parseRedisVersionLine } from './daemons.js';
export { fileBytes, parseDeploymentRecord, parseFileSection, parseFilesSection, parseTar } from './files.js';

/**
 * The whole script output -> HostFacts. `managedPaths` are the paths asked for (reported even when the script did
 * not mention one, as not existing); `statePath` names the deployment record's path.
 * Throws FactsParseError when the output is cut short or lacks what sizing cannot do without (memory, cores).
 */
export function parseFacts(host: string, output: string, managedPaths: string[], statePath: string): HostFacts {
  const { sections, complete } = splitSections(output);
  if (!complete) throw new FactsParseError('the facts script did not run to its end');
  const s = indexSections(sections);
  const memory = parseMemTotal(s.one('meminfo'));
  if (memory === undefined) throw new FactsParseError('no MemTotal in /proc/meminfo');
  const cores = parseCores(s.one('cpu'));
  if (cores === undefined) throw new FactsParseError('neither nproc nor getconf _NPROCESSORS_ONLN gave a CPU count');
  const initSystem = parseInit(s.one('init'));

  const { files, stateBytes } = readFiles(s, managedPaths, statePath);
  const facts: HostFacts = {
    host,
    os: parseOsRelease(s.one('os')),
    hostname: parseHostname(s.one('hostname')),
    memory,
    cores,
    somaxconn: parseSomaxconn(s.one('somaxconn')),
    initSystem,
    files,
  };
  const php = choosePhp(s.all('php').map((x) => parsePhpSection(x.arg, x.lines)));
  if (php) {
    facts.php = { version: php.version, poolDir: php.poolDir, fpmBinary: php.fpmBinary, service: `php${php.version}-fpm`, running: php.running };
    if (php.workerRss !== undefined) facts.php.workerRss = php.workerRss;
  }
  const db = parseDbSection(s.one('db'), parseServices(s.one('services')), initSystem);
  if (db) facts.db = db;
  const redis = parseRedisSection(s.one('redis'));
  if (redis) facts.redis = redis;
  const proxysql = parseProxysqlSection(s.one('proxysql'));
  if (proxysql) facts.proxysql = proxysql;
  const nginx = parseNginxSection(s.one('nginx'));
  if (nginx) facts.nginx = nginx;
  const pm = parsePackageManager(s.one('pm'));
  if (pm) facts.packageManager = pm;
  if (s.has('packages')) facts.packages = parsePackages(s.one('packages'));
  const last = parseDeploymentRecord(stateBytes?.toString('utf8'));
  if (last) facts.lastDeployment = last;
  return facts;
}

/** The managed files and the deployment record's bytes: from the one `files` section, or a `file` section per path. */
function readFiles(s: ReturnType<typeof indexSections>, managedPaths: string[], statePath: string) {
  const files: Record<string, ManagedFileState> = {};
  if (s.has('files')) {
    const read = parseFilesSection([...new Set([...managedPaths, statePath])], s.one('files'));
    for (const path of managedPaths) files[path] = read.get(path)?.state ?? { path, exists: false };
    return { files, stateBytes: read.get(statePath)?.bytes };
  }
  const fileSections = new Map(s.all('file').map((x) => [x.arg, x.lines]));
  for (const path of managedPaths) files[path] = parseFileSection(path, fileSections.get(path) ?? ['exists no']);
  const state = fileSections.get(statePath);
  return { files, stateBytes: state ? fileBytes(state) : undefined };
}
