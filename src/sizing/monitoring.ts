// The monitor role's share of its host's memory: Prometheus and Alertmanager. Prometheus' memory grows with the
// series it keeps in its in-memory head block (the last two hours of every series it scrapes), so its line is a base
// plus a per-series figure times the series the site's scrape targets produce. Pure: site in, budget lines out.
import type { HostSpec, Site } from '../config/types.js';
import { KiB, MiB } from '../config/size.js';
import { scrapeTargets, type ScrapeJob } from '../config/monitor-targets.js';
import { bytes } from './derive.js';
import type { MemoryLine } from './types.js';

/**
 * Rules of thumb, rounded up: the series one target of each job exposes on a small VPS (node exporter's default
 * collectors grow with cores, disks and interfaces; the textfile collector adds a few dozen for PHP-FPM, ProxySQL and
 * the latency histogram), about 8 KiB of Prometheus memory per active series (head chunks, index, and room for the
 * queries rules run), a base for Prometheus itself, and Alertmanager's small fixed footprint.
 */
export const MONITOR_MEMORY = {
  seriesPerTarget: { node: 1500, mysqld: 1000, redis: 300, nginx: 20, prometheus: 1000, alertmanager: 300 } satisfies Record<ScrapeJob, number>,
  perSeries: 8 * KiB,
  prometheusBase: 160 * MiB,
  alertmanager: 64 * MiB,
} as const;

/** The memory lines of the monitor role on host `h` (none when it does not hold that role). */
export function monitorMemoryLines(site: Site, h: HostSpec): MemoryLine[] {
  if (!h.roles.includes('monitor')) return [];
  const perJob = new Map<ScrapeJob, number>();
  for (const t of scrapeTargets(site)) perJob.set(t.job, (perJob.get(t.job) ?? 0) + 1);
  const m = MONITOR_MEMORY;
  const series = [...perJob].reduce((sum, [job, n]) => sum + n * m.seriesPerTarget[job], 0);
  const parts = [...perJob].map(([job, n]) => `${n} ${job} x ${m.seriesPerTarget[job]}`).join(', ');
  return [
    {
      role: 'monitor',
      what: `Prometheus ${bytes(m.prometheusBase)} + ${series} series x ${bytes(m.perSeries)} (${parts})`,
      bytes: m.prometheusBase + series * m.perSeries,
    },
    { role: 'monitor', what: 'Alertmanager', bytes: m.alertmanager },
  ];
}
