// Sized site -> the files each host should have. Pure: same sizing and secrets, same bytes (golden tests rely on it).
// Every decision is made here or in the sizing model; the templates only insert values.
import type { Site } from '../config/types.js';
import type { HostSizing, SiteSizing } from '../sizing/types.js';
import { redisSessionPath, renderFpmPool } from './fpm.js';
import { appSettings } from '../config/site.js';
import { redisFor, renderAppConfig } from './app.js';
import { renderNginx } from './nginx.js';
import { secretPlaceholder } from './types.js';
import { renderMysqlCnf } from './mysql.js';
import { renderProxysqlCnf } from './proxysql-cnf.js';
import { renderRedisConf } from './redis.js';
import { renderMonitoring } from './monitor.js';
import type { RenderedFile } from './types.js';
import type { SecretValues } from '../config/types.js';

export { writeRendered, renderedPath } from './write.js';

/**
 * A host's files in the order apply takes their services: database, proxysql, cache, web.
 * A missing secret value renders as its marked placeholder (secretPlaceholder).
 */
export function renderHost(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  const files: RenderedFile[] = [];
  if (h.mysql) files.push(renderMysqlCnf(h, h.mysql, sizing));
  if (h.proxysql) files.push(renderProxysqlCnf(h, h.proxysql, sizing, secrets));
  if (h.redis) files.push(renderRedisConf(h, h.redis, sizing, secrets));
  if (h.fpm) {
    // The pool file first: apply's php-fpm checker and health check read the service's first file.
    files.push(renderFpmPool(h, h.fpm, sizing, sessionPath(h, sizing, site, secrets)));
    files.push(...renderAppConfig(h, sizing, site, secrets));
  }
  if (h.nginx) files.push(...renderNginx(h, h.nginx, sizing));
  files.push(...renderMonitoring(h, sizing, site, secrets));
  return files;
}

/** session.save_path for `app.sessions: redis`, else undefined (PHP's own files). */
function sessionPath(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): string | undefined {
  if (appSettings(site).sessions !== 'redis') return undefined;
  const redis = redisFor(h, sizing);
  if (!redis) return undefined;
  return redisSessionPath(redis.host, redis.port, secrets.redis_password ?? secretPlaceholder('redis_password'), redis.database);
}

/** Every file of every host, hosts in the sizing's order. */
export function renderSite(sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  return sizing.hosts.flatMap((h) => renderHost(h, sizing, site, secrets));
}
