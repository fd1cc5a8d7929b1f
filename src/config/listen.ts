// What listens where. A service binds to loopback only, unless another host of the site must reach it; then it also
// binds to that host's private address. A host whose services must be reached from elsewhere needs a private address:
// binding Redis or MySQL to a public one puts them on the internet (passwords are the only thing left in the way).
// Sizing takes the bind lists from here, and the site file check refuses a public address unless the operator accepts
// it with `expose_public: true`.
import { isIP } from 'node:net';
import type { HostSpec, Role, Site } from './types.js';

export type ListeningService = 'redis' | 'mysql' | 'proxysql';

/** The ranges an address may be in to count as private (RFC 1918, RFC 6598 carrier-grade NAT, RFC 4193), and loopback. */
export const PRIVATE_RANGES = '10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 (or loopback)';

/** True for a private or loopback IPv4/IPv6 address; false for a public address and for a DNS name (it may be either). */
export function isPrivateAddress(address: string): boolean {
  const kind = isIP(address);
  if (kind === 4) {
    const [a, b] = address.split('.').map(Number);
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (kind === 6) {
    const first = address.toLowerCase().split(':')[0];
    if (address === '::1') return true;
    const head = parseInt(first || '0', 16);
    return (head & 0xfe00) === 0xfc00;
  }
  return false;
}

function has(h: HostSpec, r: Role): boolean {
  return h.roles.includes(r);
}

/** The other hosts of the site that connect to `service` on `host` (empty: loopback is enough). */
export function reachedBy(site: Site, host: HostSpec, service: ListeningService): HostSpec[] {
  const others = site.hosts.filter((h) => h.name !== host.name);
  const pooled = site.hosts.some((h) => has(h, 'proxysql'));
  if (service === 'redis') return has(host, 'cache') ? others.filter((h) => has(h, 'web')) : [];
  if (service === 'proxysql') return has(host, 'proxysql') ? others.filter((h) => has(h, 'web')) : [];
  const primary = has(host, 'db-primary');
  if (!primary && !has(host, 'db-replica')) return [];
  // ProxySQL (its pool and its monitor) reaches every database server; without it the app connects directly; the
  // replicas connect to the primary.
  return others.filter((h) => has(h, 'proxysql') || (!pooled && has(h, 'web')) || (primary && has(h, 'db-replica')));
}

/** Addresses a service on `host` binds to: loopback, plus the private address when another host must reach it. */
export function bindAddresses(site: Site, host: HostSpec, service: ListeningService): string[] {
  const remote = reachedBy(site, host, service).length > 0 && host.privateAddress !== '127.0.0.1';
  return remote ? ['127.0.0.1', host.privateAddress] : ['127.0.0.1'];
}

export interface Exposure {
  host: HostSpec;
  service: ListeningService;
  peers: HostSpec[];
}

/**
 * The services that would bind to a host's public address: reached from other hosts, with no `private_address` and an
 * address outside the private ranges. The site file check refuses these unless `expose_public: true`; plan warns.
 */
export function publicExposures(site: Site): Exposure[] {
  const out: Exposure[] = [];
  for (const host of site.hosts) {
    if (host.privateGiven || isPrivateAddress(host.address)) continue;
    for (const service of ['mysql', 'redis', 'proxysql'] as const) {
      const peers = reachedBy(site, host, service);
      if (peers.length > 0) out.push({ host, service, peers });
    }
  }
  return out;
}

const SERVICE_NAME: Record<ListeningService, string> = { redis: 'Redis', mysql: 'MySQL', proxysql: 'ProxySQL' };

export function describeExposure(e: Exposure): string {
  const peers = e.peers.map((p) => p.name).join(', ');
  return `${SERVICE_NAME[e.service]} on ${e.host.name} must be reached by ${peers}, and ${e.host.address} is not a private address (${PRIVATE_RANGES}): it would listen on the public network`;
}

/** The address MySQL on `db` is reached at: its private address when it binds there, else loopback (same host only). */
export function mysqlAddress(site: Site, db: HostSpec): string {
  const bound = bindAddresses(site, db, 'mysql');
  return bound[bound.length - 1];
}

/**
 * The source addresses MySQL sees from a client host (for accounts `user@address`): its private address, and
 * loopback too when it holds a database reached over loopback only (its ProxySQL or app connects to 127.0.0.1).
 */
export function clientAddresses(site: Site, client: HostSpec): string[] {
  const local = (has(client, 'db-primary') || has(client, 'db-replica')) && mysqlAddress(site, client) === '127.0.0.1';
  return local ? [...new Set(['127.0.0.1', client.privateAddress])] : [client.privateAddress];
}
