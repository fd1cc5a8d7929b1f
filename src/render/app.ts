// The application's own configuration file on every web host: where the database and Redis are, with their
// passwords, and the cache TTL per endpoint (docs/app.md shows how an app reads it). A PHP file returning an array is
// the cheapest config PHP can read (OPcache keeps it compiled, so php-fpm is reloaded when it changes); the optional
// .env file says the same for apps that use phpdotenv.
import { mysqlAddress } from '../config/listen.js';
import { appSettings } from '../config/site.js';
import type { Site } from '../config/types.js';
import type { HostSizing, SiteSizing } from '../sizing/types.js';
import { commentText } from './quote.js';
import { renderTemplate } from './templates.js';
import { secretPlaceholder, type RenderedFile } from './types.js';
import type { SecretValues } from '../config/types.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** What the app is told, before it is written in PHP or .env syntax. */
export interface AppSettings {
  profile: string;
  db?: { write: Endpoint; read: Endpoint[]; via: 'proxysql' | 'direct'; user: string; password: string; database: string };
  redis?: Endpoint & { password: string; database: number };
  cacheTtls: Record<string, number>;
  sessions: 'files' | 'redis';
}

/** The address `from` uses to reach `to`: loopback on the same host, else the private address. */
function reach(from: HostSizing, to: HostSizing): string {
  return from === to ? '127.0.0.1' : to.host.privateAddress;
}

/** The Redis the web host `h` uses: its own when it has the cache role, else the first cache host. */
export function redisFor(h: HostSizing, sizing: SiteSizing): (Endpoint & { database: number }) | undefined {
  const cache = h.redis ? h : sizing.hosts.find((x) => x.redis);
  return cache?.redis ? { host: reach(h, cache), port: cache.redis.port, database: 0 } : undefined;
}

export function appSettingsFor(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): AppSettings {
  const app = appSettings(site);
  const out: AppSettings = { profile: sizing.profile.name, cacheTtls: { ...sizing.cacheTtls }, sessions: app.sessions };
  const proxy = h.proxysql ? h : sizing.hosts.find((x) => x.proxysql);
  const primary = sizing.hosts.find((x) => x.mysql?.role === 'primary');
  const replicas = sizing.hosts.filter((x) => x.mysql?.role === 'replica');
  const login = { user: app.dbUser, password: secrets.app_db_password ?? secretPlaceholder('app_db_password'), database: app.database };
  if (proxy?.proxysql) {
    // ProxySQL splits reads from writes itself: one endpoint for both.
    const ep = { host: reach(h, proxy), port: proxy.proxysql.mysqlPort };
    out.db = { write: ep, read: [ep], via: 'proxysql', ...login };
  } else if (primary) {
    // The address each server binds to for the app (loopback when nothing else reaches it), which is also the source
    // address its account is for (config/listen.ts clientAddresses).
    const write = { host: mysqlAddress(site, primary.host), port: 3306 };
    out.db = { write, read: replicas.length > 0 ? replicas.map((r) => ({ host: mysqlAddress(site, r.host), port: 3306 })) : [write], via: 'direct', ...login };
  }
  const redis = redisFor(h, sizing);
  if (redis) out.redis = { ...redis, password: secrets.redis_password ?? secretPlaceholder('redis_password') };
  return out;
}

/** A PHP single-quoted string: only `\` and `'` are special. */
export function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function phpValue(v: unknown, indent: string): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return phpString(v);
  const inner = `${indent}    `;
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[\n${v.map((x) => `${inner}${phpValue(x, inner)},`).join('\n')}\n${indent}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length === 0 ? '[]' : `[\n${entries.map(([k, x]) => `${inner}${phpString(k)} => ${phpValue(x, inner)},`).join('\n')}\n${indent}]`;
}

/** A .env value phpdotenv reads back verbatim: single quotes when it has none, else double quotes with escapes. */
export function envValue(value: string): string {
  if (!value.includes("'") && !/[\r\n]/.test(value)) return `'${value}'`;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

function envLines(s: AppSettings): string[] {
  const lines = [`STACKSCALE_PROFILE=${envValue(s.profile)}`];
  if (s.db) {
    lines.push(
      `DB_HOST=${s.db.write.host}`,
      `DB_PORT=${s.db.write.port}`,
      `DB_READ_HOSTS=${envValue(s.db.read.map((e) => `${e.host}:${e.port}`).join(','))}`,
      `DB_DATABASE=${envValue(s.db.database)}`,
      `DB_USERNAME=${envValue(s.db.user)}`,
      `DB_PASSWORD=${envValue(s.db.password)}`,
    );
  }
  if (s.redis) {
    lines.push(`REDIS_HOST=${s.redis.host}`, `REDIS_PORT=${s.redis.port}`, `REDIS_PASSWORD=${envValue(s.redis.password)}`, `REDIS_DATABASE=${s.redis.database}`);
  }
  for (const [k, v] of Object.entries(s.cacheTtls)) lines.push(`CACHE_TTL_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}=${v}`);
  lines.push(`SESSION_STORE=${s.sessions}`);
  return lines;
}

/** app.php (and the .env file when the site asks for one): root:<pool group> 0640, since they hold passwords. */
export function renderAppConfig(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  const f = h.fpm;
  if (!f) return [];
  const app = appSettings(site);
  const s = appSettingsFor(h, sizing, site, secrets);
  const header = { profile: commentText(sizing.profile.name), host: h.host.name };
  const held = [...(s.db ? (['app_db_password'] as const) : []), ...(s.redis ? (['redis_password'] as const) : [])];
  const php = renderTemplate('app.php', {
    ...header,
    path: app.configFile,
    profileValue: phpString(s.profile),
    db: phpValue(s.db ? { ...s.db, write: s.db.write, read: s.db.read } : null, '    '),
    redis: phpValue(s.redis ?? null, '    '),
    ttls: phpValue(s.cacheTtls, '    '),
    sessions: phpString(s.sessions),
  });
  const meta = { host: h.host.name, mode: 0o640, owner: 'root', group: f.group, service: 'php-fpm' as const, secrets: [...held] };
  const files: RenderedFile[] = [{ ...meta, path: app.configFile, content: php, check: 'php-lint' }];
  if (app.envFile) {
    files.push({ ...meta, path: app.envFile, content: renderTemplate('app.env', { ...header, configFile: app.configFile, lines: envLines(s) }), check: 'none' });
  }
  return files;
}
