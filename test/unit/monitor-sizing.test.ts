// The monitor role's memory: Prometheus (a base plus the series the site's targets produce) and Alertmanager count
// in the monitor host's budget, with their derivation, and a host too small for them is refused like any other.
import { describe, expect, it } from 'vitest';
import { parseSite } from '../../src/config/site.js';
import { loadProfile } from '../../src/config/profile.js';
import { MiB, KiB } from '../../src/config/size.js';
import { sizeSite } from '../../src/sizing/model.js';
import { MONITOR_MEMORY } from '../../src/sizing/monitoring.js';

const site = (monMemory: string, monRoles = '[monitor]') => parseSite(`
profile: 300
hosts:
  web1: {address: 10.0.0.1, roles: [web, cache], size: {memory: 8G, cores: 4}}
  db1: {address: 10.0.0.2, roles: [db-primary], size: {memory: 8G, cores: 4}}
  mon1: {address: 10.0.0.3, roles: ${monRoles}, size: {memory: ${monMemory}, cores: 2}}
app: {database: app, db_user: app}
`, 'stackscale.yaml');
const profile = () => loadProfile('300', { baseDir: process.cwd() });

describe('monitor role memory', () => {
  it("counts Prometheus' series from the site's scrape targets, and Alertmanager, in the monitor host's budget", () => {
    const sizing = sizeSite(site('2G'), profile());
    const mon = sizing.hosts.find((h) => h.host.name === 'mon1')!;
    const s = MONITOR_MEMORY.seriesPerTarget;
    // node on 3 hosts, mysqld on db1, redis and nginx on web1, Prometheus and Alertmanager themselves.
    const series = 3 * s.node + s.mysqld + s.redis + s.nginx + s.prometheus + s.alertmanager;
    expect(mon.memory.lines).toEqual([
      { role: 'monitor', what: `Prometheus 160 MiB + ${series} series x 8 KiB (3 node x 1500, 1 redis x 300, 1 nginx x 20, 1 mysqld x 1000, 1 prometheus x 1000, 1 alertmanager x 300)`, bytes: 160 * MiB + series * 8 * KiB },
      { role: 'monitor', what: 'Alertmanager', bytes: 64 * MiB },
    ]);
    expect(mon.memory.used).toBe(160 * MiB + series * 8 * KiB + 64 * MiB);
    // Other hosts carry no monitor line.
    expect(sizing.hosts.filter((h) => h.host.name !== 'mon1').flatMap((h) => h.memory.lines).filter((l) => l.role === 'monitor')).toEqual([]);
  });

  it('refuses a monitor host too small for Prometheus and Alertmanager, with the numbers and the way out', () => {
    expect(() => sizeSite(site('512M'), profile())).toThrow(/not enough memory: the 300 profile needs 2\d\d(\.\d)? MiB on host mon1 but its 512 MiB RAM .* less the 512 MiB OS reserve holds 0 B: Prometheus 160 MiB \+ \d+ series x 8 KiB .* \+ Alertmanager = 64 MiB.*give mon1 at least 1 GiB of RAM/);
  });

  it('takes its share from a host it shares, within that host\'s budget', () => {
    const shared = parseSite(`
profile: 300
hosts:
  web1: {address: 10.0.0.1, roles: [web, cache], size: {memory: 8G, cores: 4}}
  db1: {address: 10.0.0.2, roles: [db-primary, monitor], size: {memory: 8G, cores: 4}}
app: {database: app, db_user: app}
`, 's.yaml');
    const db1 = sizeSite(shared, profile()).hosts.find((h) => h.host.name === 'db1')!;
    expect(db1.memory.lines.map((l) => l.role)).toContain('monitor');
    expect(db1.memory.used).toBeLessThanOrEqual(db1.memory.budget);
    // Prometheus beside MySQL: scrapes over loopback there, the same series count.
    expect(db1.memory.lines.find((l) => l.what.startsWith('Prometheus'))!.what).toContain('3 node x 1500'.replace('3', '2'));
  });
});
