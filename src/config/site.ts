// The site file (stackscale.yaml, version 1): which hosts, how to reach them, what roles each plays, where secrets
// come from. Parsed with positions so every problem, all at once, says file:line:col and the key path.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { HOST_NAME, siteSchema, type SiteInput } from './schema.js';
import { configText, parseYaml, problemAt, sorted, zodProblems, shownPath, type Located, type YamlSource } from './source.js';
import { GiB } from './size.js';
import { describeExposure, isPrivateAddress, PRIVATE_RANGES, publicExposures } from './listen.js';
import { DEFAULT_SECRET_ENV, MONITOR_SECRET_KEYS, ROLES, SECRET_KEYS, type HostSize, type HostSpec, type MonitorSettings, type RepositorySpec, type Role, type SecretKey, type SecretRef, type Site } from './types.js';

/** The size assumed for a host when neither the site file nor live facts say: the guide's reference VPS. */
export const DEFAULT_HOST_SIZE: HostSize = { memory: 16 * GiB, cores: 8 };
export const DEFAULT_HOST_NAME = 'stackscale';
/** Hosts one site file may hold: far above any site this tool sizes, low enough that every command answers fast. */
export const MAX_HOSTS = 1000;
/** What the site file's `app` section leaves out. */
export const APP_DEFAULTS = { serverName: '_', root: '/var/www/html', configFile: '/etc/stackscale/app.php', sessions: 'files' } as const;

/** The app settings with the defaults filled in, for the stages that need them. */
export function appSettings(site: Site): Required<Pick<Site['app'], 'serverName' | 'root' | 'configFile' | 'sessions'>> & Site['app'] & { webServer: 'nginx' | 'none' } {
  return {
    ...site.app,
    serverName: site.app.serverName ?? APP_DEFAULTS.serverName,
    root: site.app.root ?? APP_DEFAULTS.root,
    configFile: site.app.configFile ?? APP_DEFAULTS.configFile,
    sessions: site.app.sessions ?? APP_DEFAULTS.sessions,
    webServer: site.webServer ?? 'nginx',
  };
}

/**
 * The site used without a site file: one host named `stackscale` at 127.0.0.1 playing every role a single host can
 * (web, cache, proxysql, db-primary: a replica needs a second host), with no `size`, so sizing uses the default size
 * (16 GiB, 8 cores: the 1000 profile fits it) and says so. Secrets, when asked for (`render --with-secrets`), come
 * from the environment variables the example site file names (DEFAULT_SECRET_ENV).
 */
export function defaultSite(): Site {
  return {
    profile: '1000',
    hosts: [
      {
        name: DEFAULT_HOST_NAME,
        address: '127.0.0.1',
        privateAddress: '127.0.0.1',
        port: 22,
        user: 'root',
        roles: ROLES.filter((r) => r !== 'db-replica' && r !== 'lb' && r !== 'monitor'),
      },
    ],
    app: { database: 'app', dbUser: 'app' },
    secrets: Object.fromEntries(SECRET_KEYS.filter((k) => !MONITOR_SECRET_KEYS.includes(k)).map((k) => [k, { kind: 'env', name: DEFAULT_SECRET_ENV[k] }])),
  };
}

export function loadSite(file: string): Site {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidInputError({ where: shownPath(file), message: `cannot read the site file (${code})`, fix: 'check the path given to --site' });
  }
  return parseSite(configText(data, file, 'a site file'), file);
}

/** Parse site file text; `file` is where it came from (for messages and relative paths). */
export function parseSite(text: string, file: string): Site {
  const { source, problems } = parseYaml(text, file);
  if (problems.length > 0) throw new InvalidInputError(sorted(problems));
  if (source.data === null || source.data === undefined) {
    throw new InvalidInputError({ where: `${source.shown}:1:1`, message: 'the site file is empty', fix: 'see the README for the site file format, or run `stackscale init`' });
  }
  const hosts = (source.data as { hosts?: unknown })?.hosts;
  const count = hosts && typeof hosts === 'object' ? Object.keys(hosts).length : 0;
  if (count > MAX_HOSTS) {
    // Checked before the schema: a site of 200,000 hosts otherwise runs for minutes and gigabytes with no output.
    throw new InvalidInputError(
      problemAt(source, ['hosts'], `${count} hosts, more than the ${MAX_HOSTS} one site file may hold`, `split the site into several site files (run each with --site), at most ${MAX_HOSTS} hosts each`),
    );
  }
  const parsed = siteSchema.safeParse(source.data);
  const found: Located[] = parsed.success ? [] : zodProblems(source, parsed.error);
  // Cross-field checks need the whole hosts map; run them on what parsed, so their problems come with the others.
  found.push(...crossChecks(source));
  if (found.length > 0 || !parsed.success) throw new InvalidInputError(sorted(found));
  const site = toSite(parsed.data, file);
  const exposed = exposureProblems(source, site);
  if (exposed.length > 0) throw new InvalidInputError(sorted(exposed));
  return site;
}

/** A service other hosts reach would bind to a public address: refused unless the host says `expose_public: true`. */
function exposureProblems(source: YamlSource, site: Site): Located[] {
  // Exporters listen where the monitor host reaches them: a host without a private address would serve its metrics
  // (process lists, query counts) on the public network. No expose_public way around it: there is no password in front.
  const monitor = site.hosts.find((h) => h.roles.includes('monitor'));
  const exporters = monitor
    ? site.hosts
        .filter((h) => h.name !== monitor.name && !h.privateGiven && !isPrivateAddress(h.address))
        .map((h) =>
          problemAt(
            source,
            ['hosts', h.name, 'address'],
            `the exporters on ${h.name} must be reached by the monitor host ${monitor.name}, and ${h.address} is not a private address (${PRIVATE_RANGES})`,
            `add private_address: <its address on the private network> to ${h.name}`,
          ),
        )
    : [];
  return exporters.concat(publicExposures(site)
    .filter((e) => !e.host.exposePublic)
    .map((e) =>
      problemAt(
        source,
        ['hosts', e.host.name, 'address'],
        describeExposure(e),
        `add private_address: <its address on the private network> to ${e.host.name}, or expose_public: true to accept a public bind knowingly`,
      ),
    ));
}

/** Host names, roles once per host, at most one db-primary, replicas only with a primary. */
function crossChecks(source: YamlSource): Located[] {
  const out: Located[] = [];
  const hosts = (source.data as { hosts?: unknown })?.hosts;
  if (!hosts || typeof hosts !== 'object' || Array.isArray(hosts)) return out;
  const entries = Object.entries(hosts as Record<string, unknown>);
  if (entries.length === 0) {
    out.push(problemAt(source, ['hosts'], 'no hosts', 'add at least one host with its address and roles'));
  }
  const primaries: { host: string; index: number }[] = [];
  const replicas: { host: string; index: number }[] = [];
  const monitors: { host: string; index: number }[] = [];
  // The same address and port twice is the same machine twice: two sets of files for one /etc, fighting each other.
  const endpoints = new Map<string, string>();
  for (const [name, spec] of entries) {
    const { address, port } = (spec ?? {}) as { address?: unknown; port?: unknown };
    if (typeof address === 'string') {
      const key = `${address.toLowerCase()}:${typeof port === 'number' ? port : 22}`;
      const first = endpoints.get(key);
      if (first) {
        out.push(problemAt(source, ['hosts', name, 'address'], `${name} has the same address and SSH port as ${first}: one machine listed twice`, `give ${first} the roles of both and remove ${name}, or correct the address`));
      } else endpoints.set(key, name);
    }
  }
  const lbs: { host: string; index: number }[] = [];
  let webs = 0;
  for (const [name, spec] of entries) {
    if (!HOST_NAME.test(name)) {
      out.push(problemAt(source, ['hosts', name], `"${name}" is not a host name`, 'letters, digits, . _ and -, starting with a letter or digit', { key: true }));
    }
    const roles = (spec as { roles?: unknown })?.roles;
    if (!Array.isArray(roles)) continue;
    const seen = new Set<unknown>();
    roles.forEach((r, index) => {
      if (seen.has(r)) out.push(problemAt(source, ['hosts', name, 'roles', index], `"${String(r)}" is listed twice`, 'list each role once'));
      seen.add(r);
      if (r === 'db-primary') primaries.push({ host: name, index });
      if (r === 'db-replica') replicas.push({ host: name, index });
      if (r === 'monitor') monitors.push({ host: name, index });
    });
    if (roles.includes('web') && roles.includes('lb')) {
      out.push(problemAt(source, ['hosts', name, 'roles'], 'a host cannot be both web and lb (both are nginx on port 80)', 'put the lb on a host of its own'));
    }
    if (roles.includes('lb')) lbs.push({ host: name, index: roles.indexOf('lb') });
    if (roles.includes('web')) webs++;
    if (roles.includes('db-primary') && roles.includes('db-replica')) {
      out.push(problemAt(source, ['hosts', name, 'roles'], 'a host cannot be both db-primary and db-replica', 'give it one of the two'));
    }
  }
  for (const extra of primaries.slice(1)) {
    out.push(
      problemAt(
        source,
        ['hosts', extra.host, 'roles', extra.index],
        `a second db-primary (${primaries[0].host} is already the primary)`,
        `at most one db-primary: make ${extra.host} a db-replica`,
      ),
    );
  }
  for (const extra of monitors.slice(1)) {
    out.push(problemAt(source, ['hosts', extra.host, 'roles', extra.index], `a second monitor host (${monitors[0].host} already is one)`, `at most one monitor host: remove the role from ${extra.host}`));
  }
  if ((source.data as { web_server?: unknown }).web_server === 'none') {
    for (const l of lbs) out.push(problemAt(source, ['hosts', l.host, 'roles', l.index], 'an lb is nginx, and the site says web_server: none', 'remove web_server: none, or the lb role'));
  }
  if (webs === 0) {
    for (const l of lbs) out.push(problemAt(source, ['hosts', l.host, 'roles', l.index], 'an lb needs web hosts to balance, and the site has none', 'give the app hosts the web role'));
  }
  if (primaries.length === 0) {
    for (const r of replicas) {
      out.push(problemAt(source, ['hosts', r.host, 'roles', r.index], 'a db-replica needs a db-primary to replicate from, and the site has none', 'give one host the db-primary role'));
    }
  }
  return out;
}

function toSite(input: SiteInput, file: string): Site {
  const hosts: HostSpec[] = Object.entries(input.hosts).map(([name, h]) => {
    const spec: HostSpec = {
      name,
      address: h.address,
      privateAddress: h.private_address ?? h.address,
      port: h.port ?? 22,
      user: h.user ?? 'root',
      roles: [...h.roles] as Role[],
      given: { port: h.port !== undefined, user: h.user !== undefined },
    };
    if (h.private_address !== undefined) spec.privateGiven = true;
    if (h.expose_public) spec.exposePublic = true;
    if (h.identity !== undefined) spec.identity = h.identity;
    if (h.host_key !== undefined) spec.hostKey = h.host_key;
    if (h.size) spec.size = { memory: h.size.memory, cores: h.size.cores };
    return spec;
  });
  const secrets: Partial<Record<SecretKey, SecretRef>> = {};
  for (const [k, ref] of Object.entries(input.secrets ?? {})) {
    if (ref) secrets[k as SecretKey] = ref;
  }
  const a = input.app;
  const app: Site['app'] = { database: a.database, dbUser: a.db_user };
  if (a.max_connections_per_hour !== undefined) app.maxConnectionsPerHour = a.max_connections_per_hour;
  if (a.server_name !== undefined) app.serverName = a.server_name;
  if (a.root !== undefined) app.root = a.root;
  if (a.config_file !== undefined) app.configFile = a.config_file;
  if (a.sessions !== undefined) app.sessions = a.sessions;
  if (a.env_file !== undefined) app.envFile = a.env_file;
  if (a.rate_limit_allow !== undefined) app.rateLimitAllow = [...a.rate_limit_allow];
  const site: Site = { file, profile: input.profile, hosts, app, secrets };
  if (input.web_server !== undefined) site.webServer = input.web_server;
  if (input.monitor) site.monitor = monitorSettings(input.monitor, secrets);
  if (input.packages) site.packages = { install: input.packages.install };
  if (input.database) site.database = { flavour: input.database.flavour };
  if (input.php_version) site.phpVersion = input.php_version;
  const px = input.repositories?.proxysql;
  if (px) {
    const repo: RepositorySpec = {};
    if (px.url) repo.url = px.url.endsWith('/') ? px.url : `${px.url}/`;
    if (px.key_file) repo.keyFile = resolve(dirname(file), px.key_file.replace(/^~(?=\/)/, homedir()));
    if (px.key_fingerprint) repo.keyFingerprint = px.key_fingerprint.replace(/\s+/g, '').toUpperCase();
    if (px.series) repo.series = px.series;
    site.repositories = { proxysql: repo };
  }
  return site;
}

/** `monitor:` -> where alerts go; its secret references join the site's secrets under their own keys. */
function monitorSettings(m: NonNullable<SiteInput['monitor']>, secrets: Partial<Record<SecretKey, SecretRef>>): MonitorSettings {
  const out: MonitorSettings = {};
  if (m.alert_webhook) {
    out.webhook = true;
    secrets.alert_webhook_url = m.alert_webhook;
  }
  if (m.alert_email) {
    const e = m.alert_email;
    out.email = { to: e.to, from: e.from, smarthost: e.smarthost };
    if (e.auth_username !== undefined) out.email.authUsername = e.auth_username;
    if (e.auth_password) secrets.alert_smtp_password = e.auth_password;
  }
  return out;
}
