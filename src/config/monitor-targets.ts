// Which exporter runs on which host, where it listens, and what the monitor host scrapes. Pure.
// An exporter listens where Prometheus reaches it and nowhere else: on loopback when Prometheus runs on the same host,
// else on the host's private address (never every address, never a public one: the site check refuses that).
import type { HostSpec, Site } from './types.js';

/** The mysqld exporter's MySQL account: replication/spec.ts creates it, render/monitor.ts writes its .my.cnf. */
export const EXPORTER_USER = 'stackscale_exporter';

export const MONITOR_PORTS = {
  prometheus: 9090,
  alertmanager: 9093,
  node: 9100,
  mysqld: 9104,
  redis: 9121,
  nginx: 9113,
} as const;

export type ScrapeJob = 'node' | 'mysqld' | 'redis' | 'nginx' | 'prometheus' | 'alertmanager';

export interface ScrapeTarget {
  job: ScrapeJob;
  host: string;
  /** `address:port` Prometheus scrapes. */
  target: string;
}

/** The site's monitor host, if it has one (the site check allows at most one). */
export function monitorHost(site: Site): HostSpec | undefined {
  return site.hosts.find((h) => h.roles.includes('monitor'));
}

/** The address a host's exporters listen on: loopback beside Prometheus, else the private address. */
export function exporterAddress(site: Site, host: HostSpec): string {
  const monitor = monitorHost(site);
  return !monitor || monitor.name === host.name ? '127.0.0.1' : host.privateAddress;
}

const hasDb = (h: HostSpec): boolean => h.roles.includes('db-primary') || h.roles.includes('db-replica');

/** Whether a host's web role runs nginx in front of PHP-FPM (unless the site keeps its own web server). */
export function servesNginx(site: Pick<Site, 'webServer'>, host: HostSpec): boolean {
  return host.roles.includes('web') && site.webServer !== 'none';
}

/**
 * The exporter jobs a host runs: node everywhere, then one per role that has a daemon to watch. ProxySQL has none:
 * its own metrics endpoint (admin-restapi, port 6070) listens on every address in 2.4.8, so its figures reach
 * Prometheus through node exporter's textfile collector instead (docs/monitoring.md).
 */
export function exporterJobs(host: HostSpec, site: Pick<Site, 'webServer'>): ScrapeJob[] {
  const jobs: ScrapeJob[] = ['node'];
  if (hasDb(host)) jobs.push('mysqld');
  if (host.roles.includes('cache')) jobs.push('redis');
  if (servesNginx(site, host)) jobs.push('nginx');
  return jobs;
}

/** Every target the monitor host scrapes, hosts in the site's order; empty without a monitor host. */
export function scrapeTargets(site: Site): ScrapeTarget[] {
  const monitor = monitorHost(site);
  if (!monitor) return [];
  const out: ScrapeTarget[] = [];
  for (const h of site.hosts) {
    const address = exporterAddress(site, h);
    for (const job of exporterJobs(h, site)) out.push({ job, host: h.name, target: `${address}:${MONITOR_PORTS[job]}` });
  }
  out.push({ job: 'prometheus', host: monitor.name, target: `127.0.0.1:${MONITOR_PORTS.prometheus}` });
  out.push({ job: 'alertmanager', host: monitor.name, target: `127.0.0.1:${MONITOR_PORTS.alertmanager}` });
  return out;
}
