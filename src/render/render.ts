// Sized site -> the files each host should have. Pure: same sizing and secrets, same bytes (golden tests rely on it).
// Every decision is made here or in the sizing model; the templates only insert values.
import type { Site } from '../config/types.js';
import type { HostSizing, SiteSizing } from '../sizing/types.js';
import { renderFpmPool } from './fpm.js';
import { renderMysqlCnf } from './mysql.js';
import { renderProxysqlCnf } from './proxysql-cnf.js';
import { renderRedisConf } from './redis.js';
import { renderMonitoring } from './monitor.js';
import type { RenderedFile, SecretValues } from './types.js';

export { writeRendered, renderedPath } from './write.js';

/**
 * A host's files in the order apply takes their services (DESIGN section 5): database, proxysql, cache, web.
 * A missing secret value renders as its marked placeholder (secretPlaceholder).
 */
export function renderHost(h: HostSizing, sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  const files: RenderedFile[] = [];
  if (h.mysql) files.push(renderMysqlCnf(h, h.mysql, sizing));
  if (h.proxysql) files.push(renderProxysqlCnf(h, h.proxysql, sizing, secrets));
  if (h.redis) files.push(renderRedisConf(h, h.redis, sizing, secrets));
  if (h.fpm) files.push(renderFpmPool(h, h.fpm, sizing));
  files.push(...renderMonitoring(h, sizing, site, secrets));
  return files;
}

/** Every file of every host, hosts in the sizing's order. */
export function renderSite(sizing: SiteSizing, site: Site, secrets: SecretValues): RenderedFile[] {
  return sizing.hosts.flatMap((h) => renderHost(h, sizing, site, secrets));
}
