// The PHP-FPM pool file: /etc/php/<version>/fpm/pool.d/www.conf.
import type { FpmSizing, HostSizing, SiteSizing } from '../sizing/types.js';
import { derivationLine } from './derivation.js';
import { commentText } from './quote.js';
import { formatBytes } from '../config/size.js';
import { renderTemplate } from './templates.js';
import type { RenderedFile } from './types.js';

/** The socket is for the web server on the same host (www-data on Debian), not for anyone else. */
const LISTEN_MODE = '0660';

interface Setting {
  name: string;
  value: string;
}

/** The pm.* lines: php-fpm reads start_servers and the spare bounds only for `pm = dynamic` (fpm_conf.c). */
function pmSettings(f: FpmSizing): Setting[] {
  const lines: Setting[] = [
    { name: 'pm', value: f.pm.value },
    { name: 'pm.max_children', value: String(f.maxChildren.value) },
  ];
  if (f.pm.value === 'dynamic') {
    lines.push(
      { name: 'pm.start_servers', value: String(f.startServers.value) },
      { name: 'pm.min_spare_servers', value: String(f.minSpareServers.value) },
      { name: 'pm.max_spare_servers', value: String(f.maxSpareServers.value) },
    );
  }
  lines.push({ name: 'pm.max_requests', value: String(f.maxRequests.value) });
  return lines;
}

function derivations(f: FpmSizing): string[] {
  const lines = [derivationLine('pm', f.pm), derivationLine('pm.max_children', f.maxChildren)];
  if (f.pm.value === 'dynamic') {
    lines.push(
      derivationLine('pm.start_servers', f.startServers),
      derivationLine('pm.min_spare_servers', f.minSpareServers),
      derivationLine('pm.max_spare_servers', f.maxSpareServers),
    );
  }
  lines.push(
    derivationLine('pm.max_requests', f.maxRequests),
    derivationLine('listen.backlog', f.listenBacklog),
    derivationLine('request_terminate_timeout', f.requestTerminateTimeout, `${f.requestTerminateTimeout.value}s`),
    derivationLine('worker memory', f.workerRss, formatBytes(f.workerRss.value)),
  );
  return lines;
}

export function fpmPoolPath(f: FpmSizing): string {
  return `${f.poolDir.replace(/\/+$/, '')}/www.conf`;
}

/**
 * phpredis reads session.save_path as a URL whose query values it percent-decodes: the password is percent-encoded,
 * so `# / ? & + ,` and the rest cannot end it early (a real session round trip in test/daemons proves it). Everything
 * but letters, digits and `-_.` is encoded, which also keeps php-fpm's INI parser away from `$ ! ~ "`.
 */
export function redisSessionPath(host: string, port: number, password: string, database: number): string {
  const auth = [...Buffer.from(password, 'utf8')].map((b) => (/[A-Za-z0-9_.-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  return `tcp://${host}:${port}?auth=${auth}&database=${database}&timeout=2.5`;
}

export function renderFpmPool(h: HostSizing, f: FpmSizing, sizing: SiteSizing, sessionPath?: string): RenderedFile {
  const content = renderTemplate('php-fpm-pool.conf', {
    profile: commentText(sizing.profile.name),
    host: h.host.name,
    derivations: derivations(f),
    user: f.user,
    group: f.group,
    listen: f.listen,
    listenOwner: f.user,
    listenGroup: f.group,
    listenMode: LISTEN_MODE,
    listenBacklog: String(f.listenBacklog.value),
    pmSettings: pmSettings(f),
    statusPath: f.statusPath,
    pingPath: f.pingPath,
    requestTerminateTimeout: `${f.requestTerminateTimeout.value}s`,
    sessions: sessionPath ? [{ name: 'session.save_handler', value: 'redis' }, { name: 'session.save_path', value: `"${sessionPath}"` }] : [],
  });
  // With the Redis password in it (sessions in Redis) the pool is for root's eyes only: the master reads it as root.
  if (sessionPath) return { host: h.host.name, path: fpmPoolPath(f), content, mode: 0o600, owner: 'root', group: 'root', service: 'php-fpm', secrets: ['redis_password'] };
  return { host: h.host.name, path: fpmPoolPath(f), content, mode: 0o644, owner: 'root', group: 'root', service: 'php-fpm', secrets: [] };
}
