// A few lines a newcomer can read at a glance: what the recommended profile sets on each host and how much of its
// memory that takes. `stackscale profiles show` has every derivation; this is the headline.
import type { SiteSizing } from '../sizing/types.js';

const GiB = 2 ** 30;

export function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(1)} GiB`;
}

export function sizingSummary(sizing: SiteSizing): string[] {
  const lines: string[] = [];
  for (const h of sizing.hosts) {
    const parts: string[] = [];
    if (h.fpm) parts.push(`pm.max_children ${h.fpm.maxChildren.value}`);
    if (h.redis) parts.push(`redis maxmemory ${gib(h.redis.maxmemory.value)}`);
    if (h.mysql) parts.push(`${h.mysql.role} innodb_buffer_pool_size ${gib(h.mysql.innodbBufferPoolSize.value)}, max_connections ${h.mysql.maxConnections.value}`);
    if (h.proxysql) parts.push(`proxysql ${h.proxysql.backendMaxConnectionsPerServer.value} backend connections per server`);
    lines.push(`  ${h.host.name}: ${parts.join('; ')}`);
    lines.push(`  ${' '.repeat(h.host.name.length)}  memory ${gib(h.memory.used)} of a ${gib(h.memory.budget)} budget (${gib(h.memory.total)} less ${gib(h.memory.reserve)} for the OS)`);
  }
  return lines;
}
