// The common ways to spread the roles over hosts, as the capacity guide grows a site: everything on one VPS; the web
// tier apart from the data; and the phase-3 shape with ProxySQL and Redis between the web hosts and a primary with a
// read replica. `custom` asks for each host's roles.
import type { Role } from '../config/types.js';

export type LayoutId = 'all-in-one' | 'web-data' | 'web-proxy-primary-replica' | 'custom';

export interface LayoutHost {
  /** Suggested host name. */
  name: string;
  roles: Role[];
}

export interface Layout {
  id: LayoutId;
  title: string;
  description: string;
  hosts: LayoutHost[];
}

export const LAYOUTS: Layout[] = [
  {
    id: 'all-in-one',
    title: 'all-in-one',
    description: 'one VPS: PHP-FPM, Redis, ProxySQL and the MySQL/MariaDB primary',
    hosts: [{ name: 'vps1', roles: ['web', 'cache', 'proxysql', 'db-primary'] }],
  },
  {
    id: 'web-data',
    title: 'web + data',
    // ProxySQL sits beside PHP so the app talks to a local pool; Redis and MySQL share the data host.
    description: 'web1: PHP-FPM + ProxySQL; db1: Redis + MySQL/MariaDB primary',
    hosts: [
      { name: 'web1', roles: ['web', 'proxysql'] },
      { name: 'db1', roles: ['cache', 'db-primary'] },
    ],
  },
  {
    id: 'web-proxy-primary-replica',
    title: 'web + proxysql/cache + primary + replica',
    description: 'web1: PHP-FPM; proxy1: ProxySQL + Redis; db1: primary; db2: read replica',
    hosts: [
      { name: 'web1', roles: ['web'] },
      { name: 'proxy1', roles: ['proxysql', 'cache'] },
      { name: 'db1', roles: ['db-primary'] },
      { name: 'db2', roles: ['db-replica'] },
    ],
  },
  { id: 'custom', title: 'custom', description: 'any number of hosts, each with the roles you pick', hosts: [] },
];

export function layout(id: LayoutId): Layout {
  const found = LAYOUTS.find((l) => l.id === id);
  if (!found) throw new Error(`unknown layout ${id}`);
  return found;
}

/** The layout a set of hosts' roles matches, for offering an existing site file's shape as the default. */
export function matchLayout(roles: Role[][]): LayoutId {
  const key = (rs: Role[][]) => rs.map((r) => [...r].sort().join(',')).join(' | ');
  for (const l of LAYOUTS) if (l.hosts.length > 0 && key(l.hosts.map((h) => h.roles)) === key(roles)) return l.id;
  return 'custom';
}
