// A few lines a newcomer can read at a glance: what the recommended profile sets on each host and how much of its
// memory that takes. `stackscale profiles show` has every derivation; this is the headline.
import { GiB, formatBytes } from '../config/size.js';
import type { SiteSizing } from '../sizing/types.js';

/** Memory of a whole host, always in GiB with one decimal (`15.6 GiB`), so hosts compare at a glance. */
export function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(1)} GiB`;
}

export function sizingSummary(sizing: SiteSizing): string[] {
  const lines: string[] = [];
  for (const h of sizing.hosts) {
    const parts: string[] = [];
    if (h.fpm) parts.push(`pm.max_children ${h.fpm.maxChildren.value}`);
    if (h.redis) parts.push(`redis maxmemory ${formatBytes(h.redis.maxmemory.value)}`);
    if (h.mysql) parts.push(`${h.mysql.role} innodb_buffer_pool_size ${formatBytes(h.mysql.innodbBufferPoolSize.value)}, max_connections ${h.mysql.maxConnections.value}`);
    if (h.proxysql) parts.push(`proxysql ${h.proxysql.backendMaxConnectionsPerServer.value} backend connections per server`);
    lines.push(`  ${h.host.name}: ${parts.join('; ')}`);
    lines.push(`  ${' '.repeat(h.host.name.length)}  memory ${formatBytes(h.memory.used)} of a ${formatBytes(h.memory.budget)} budget (${formatBytes(h.memory.total)} less ${formatBytes(h.memory.reserve)} for the OS)`);
  }
  return lines;
}
