// The CPU the PHP workers need at a profile's load, against the web hosts' cores. One place for the assumption, used
// by the note sizing prints and the rule validate refuses with (src/validate/rules.ts).
import type { Profile } from '../config/types.js';
import type { HostSizing } from './types.js';

/** Share of a request's PHP time spent on a CPU; the rest waits on MySQL, Redis and the network (an I/O-bound app). */
export const PHP_CPU_SHARE = 0.25;
/** The share of the web hosts' cores the workers may keep busy on average before a note warns of queueing. */
export const CPU_UTILISATION = 0.9;
/**
 * Refused above this many times the cores: the share above is a guess, so between 90% and 2x the profile gets a
 * note (plan reads the real cores; a load test tells), above 2x it cannot hold even for a very I/O-bound app.
 */
export const CPU_REFUSE_FACTOR = 2;

export function phpCpuNeed(profile: Profile, hosts: HostSizing[]): { rps: number; need: number; cores: number; web: string[] } | undefined {
  const w = profile.workload;
  const web = hosts.filter((h) => h.fpm);
  if (web.length === 0) return undefined;
  const rps = (w.concurrentUsers * w.requestsPerUserPerMinute) / 60;
  return { rps, need: (rps * w.phpTimeMs * PHP_CPU_SHARE) / 1000, cores: web.reduce((sum, h) => sum + h.resources.cores, 0), web: web.map((h) => h.host.name) };
}
