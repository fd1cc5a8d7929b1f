// What replication should look like, from the sized site: who is primary, who replicates, and which addresses each
// account is restricted to. Pure.
import { clientAddresses } from '../config/listen.js';
import type { Site } from '../config/types.js';
import type { SiteSizing } from '../sizing/types.js';
import { dialectFor, type Dialect } from './flavour.js';
import { EXPORTER_USER } from '../config/monitor-targets.js';

export const REPLICATION_USER = 'repl';
export const MYSQL_PORT = 3306;

export interface DbNode {
  host: string;
  /** The private address: what peers connect to and what accounts are restricted to. */
  address: string;
  port: number;
  serverId: number;
}

export interface ReplicationSpec {
  dialect: Dialect;
  primary: DbNode;
  replicas: DbNode[];
  replicationUser: string;
  /** The ProxySQL monitor account, restricted to the proxysql hosts; absent without a proxysql host. */
  monitor?: { user: string; addresses: string[] };
  /** The app account: restricted to the proxysql hosts when there is one (the app reaches MySQL through it), else the web hosts. */
  app: { database: string; user: string; addresses: string[] };
  /** The mysqld exporter's local account (socket, `localhost`); absent without a monitor host. */
  exporter?: { user: string };
}

/** Undefined when the site has no db-primary. The primary's flavour decides the dialect (replicas must match). */
export function replicationSpec(sizing: SiteSizing, site: Site): ReplicationSpec | undefined {
  const primaryHost = sizing.hosts.find((h) => h.mysql?.role === 'primary');
  if (!primaryHost?.mysql) return undefined;
  const node = (h: (typeof sizing.hosts)[number]): DbNode => ({
    host: h.host.name,
    // A replica's address is where it connects from (its account on the primary), the primary's where replicas
    // connect to: both the private address, since a primary with replicas always binds to it (config/listen.ts).
    address: h.host.privateAddress,
    port: MYSQL_PORT,
    serverId: h.mysql!.serverId.value,
  });
  // MySQL sees a client on its own host that reaches it over loopback as 127.0.0.1 (config/listen.ts).
  const proxies = site.hosts.filter((h) => h.roles.includes('proxysql')).flatMap((h) => clientAddresses(site, h));
  const webs = site.hosts.filter((h) => h.roles.includes('web')).flatMap((h) => clientAddresses(site, h));
  const proxy = sizing.hosts.find((h) => h.proxysql)?.proxysql;
  return {
    dialect: dialectFor(primaryHost.mysql.flavour, primaryHost.mysql.version),
    primary: node(primaryHost),
    replicas: sizing.hosts.filter((h) => h.mysql?.role === 'replica').map(node),
    replicationUser: REPLICATION_USER,
    monitor: proxies.length > 0 ? { user: proxy?.monitorUser ?? 'monitor', addresses: unique(proxies) } : undefined,
    app: { database: site.app.database, user: site.app.dbUser, addresses: unique(proxies.length > 0 ? proxies : webs) },
    ...(site.hosts.some((h) => h.roles.includes('monitor')) ? { exporter: { user: EXPORTER_USER } } : {}),
  };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
