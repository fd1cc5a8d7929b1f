// ProxySQL on its host: frontend connections from the PHP workers, threads, pooled backends, and the rows of its
// admin tables (servers, users, query rules, replication hostgroups).
import type { HostSpec, Profile, Site } from '../config/types.js';
import { KiB, MiB } from '../config/size.js';
import { derived, pinOr, round } from './derive.js';
import { bindAddresses } from '../config/listen.js';
import type { HostResources, ProxysqlSizing } from './types.js';
import { HOSTGROUPS, type SiteFigures } from './figures.js';

/** ProxySQL: base footprint and per frontend connection (session buffers). */
export const PROXYSQL_BASE = 256 * MiB;
export const PROXYSQL_PER_CONNECTION = 256 * KiB;
const PROXYSQL_MAX_THREADS = 16;

/** Pooled connections are reopened this often, so per-hour connection counts stay small and predictable. */
export const CONNECTION_MAX_AGE_MS = 30 * 60 * 1000;

export function sizeProxysql(site: Site, h: HostSpec, r: HostResources, profile: Profile, fig: SiteFigures): ProxysqlSizing {
  const dedicated = h.roles.length === 1;
  const threads = Math.min(PROXYSQL_MAX_THREADS, dedicated ? r.cores : Math.max(1, Math.floor(r.cores / 2)));
  const pool = profile.workload.dbConnections;
  const freePct = pinOr(profile, 'proxysql.free_connections_pct', derived(round((pool.min / pool.max) * 100), '')).value;
  return {
    adminPort: 6032,
    mysqlPort: 6033,
    // Nothing exposed beyond the private network. The web hosts reach it on the private address.
    bind: bindAddresses(site, h, 'proxysql'),
    threads: pinOr(
      profile,
      'proxysql.threads',
      derived(threads, dedicated ? `one worker thread per core of ${h.name} (${r.cores}, at most ${PROXYSQL_MAX_THREADS})` : `half the ${r.cores} cores of ${h.name}, which it shares with ${h.roles.filter((x) => x !== 'proxysql').join(', ')}`),
    ),
    frontendMaxConnections: fig.frontend,
    backendMaxConnectionsPerServer: fig.backendPerServer,
    writerHostgroup: HOSTGROUPS.writer,
    readerHostgroup: HOSTGROUPS.reader,
    servers: fig.servers.map((sv) => ({ ...sv })),
    appUser: { username: site.app.dbUser, defaultHostgroup: HOSTGROUPS.writer, maxConnections: fig.frontend.value, transactionPersistent: true },
    monitorUser: 'monitor',
    rules: [
      { ruleId: 1, active: true, matchDigest: '^SELECT.*FOR UPDATE', destinationHostgroup: HOSTGROUPS.writer, apply: true, comment: 'locking reads go to the writer' },
      { ruleId: 2, active: true, matchDigest: '^SELECT', destinationHostgroup: HOSTGROUPS.reader, apply: true, comment: 'other reads go to the readers' },
    ],
    // Idle connections above min are closed: ProxySQL keeps free_connections_pct of max_connections open.
    freeConnectionsPct: freePct,
    connectionMaxAgeMs: pinOr(profile, 'proxysql.connection_max_age_ms', derived(CONNECTION_MAX_AGE_MS, '')).value,
  };
}
