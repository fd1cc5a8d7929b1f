// While the load runs, the site's own figures are read over the SSH connections stackscale already uses (no agent on
// the hosts), every few seconds, with the probes `stackscale status` uses: PHP-FPM's status page, Redis INFO, MySQL
// global status, ProxySQL's connection pool; plus /proc/stat and /proc/meminfo for CPU and memory. Counters (Redis hits
// and misses, MySQL Connections, FPM max children reached) are turned into what happened during the run by taking the
// difference between the first and the last sample.
import { redisCli } from '../daemons/clients.js';
import { redisEndpoint, redisScript } from '../daemons/health.js';
import type { HostFacts } from '../facts/types.js';
import type { ReachedHost } from '../session/collect.js';
import { cpuJiffies, meminfoBytes, parseRedisInfoReply } from '../status/parse.js';
import { probeFpm, probeMysql, probeProxysql } from '../status/probes.js';
import type { Figure } from '../status/types.js';
import type { Transport } from '../transport/types.js';

export interface HostSample {
  /** /proc/stat: busy and total jiffies since boot. */
  cpu?: { busy: number; total: number };
  mem?: { total: number; available: number };
  fpm?: { active: number | null; listenQueue: number | null; maxChildrenReached: number | null; total: number | null };
  redis?: { hits: number; misses: number };
  mysql?: { threadsConnected: number; connections: number; maxUsed: number | null };
  proxysql?: { used: number };
}

export interface SiteSample {
  /** Seconds from the start of the load. */
  t: number;
  hosts: Record<string, HostSample>;
}

/** The CPU and memory read, in one command. */
export const HOST_COMMAND = ['sh', '-c', 'head -n 1 /proc/stat; grep -E "^(MemTotal|MemAvailable):" /proc/meminfo'];

export function parseHostStats(stdout: string): Pick<HostSample, 'cpu' | 'mem'> {
  const out: Pick<HostSample, 'cpu' | 'mem'> = {};
  const cpu = /^cpu\s+.+$/m.exec(stdout);
  if (cpu) out.cpu = cpuJiffies(cpu[0]);
  const [total, available] = [meminfoBytes(stdout, 'MemTotal'), meminfoBytes(stdout, 'MemAvailable')];
  if (total !== undefined && available !== undefined) out.mem = { total, available };
  return out;
}

const value = (figures: Figure[], key: string): number | null => {
  const v = figures.find((f) => f.key === key)?.value;
  return typeof v === 'number' ? v : null;
};

export interface SamplerSecrets {
  redisPassword?: string;
  proxysqlAdminPassword?: string;
}

/** One sample of one host: every figure its roles have, each read independently (one that fails is left out). */
export async function sampleHost(h: ReachedHost, secrets: SamplerSecrets, timeoutMs = 10_000): Promise<HostSample> {
  const { transport: t, facts } = h;
  const roles = h.host.roles as string[];
  const out: HostSample = {};
  const stats = await t.run(HOST_COMMAND, { timeoutMs }).catch(() => undefined);
  if (stats?.code === 0) Object.assign(out, parseHostStats(stats.stdout));
  const input = { t, facts, exp: {}, redisPassword: secrets.redisPassword, proxysqlAdminPassword: secrets.proxysqlAdminPassword, timeoutMs };
  if (roles.includes('web')) {
    const r = await probeFpm(input);
    if (r.answered) {
      const f = r.figures;
      out.fpm = { active: value(f, 'fpm.active'), listenQueue: value(f, 'fpm.listen_queue'), maxChildrenReached: value(f, 'fpm.max_children_reached'), total: value(f, 'fpm.total') };
    }
  }
  if (roles.includes('cache')) {
    const r = await redisCounters(t, facts, secrets.redisPassword, timeoutMs);
    if (r) out.redis = r;
  }
  if (roles.includes('db-primary') || roles.includes('db-replica')) {
    const r = await probeMysql(input);
    const threads = value(r.figures, 'mysql.threads_connected');
    const conns = value(r.figures, 'mysql.connections');
    if (r.answered && threads !== null && conns !== null) out.mysql = { threadsConnected: threads, connections: conns, maxUsed: value(r.figures, 'mysql.max_used_connections') };
  }
  if (roles.includes('proxysql')) {
    const r = await probeProxysql(input);
    if (r.answered) out.proxysql = { used: r.figures.filter((f) => f.key.endsWith('.used')).reduce((n, f) => n + (typeof f.value === 'number' ? f.value : 0), 0) };
  }
  return out;
}

/** Redis keyspace hits and misses, with the site's password or the host's own (on stdin, never argv). */
async function redisCounters(t: Transport, facts: HostFacts, sitePassword: string | undefined, timeoutMs: number): Promise<HostSample['redis']> {
  if (!facts.redis?.running) return undefined;
  const ep = redisEndpoint(facts.files['/etc/redis/redis.conf']?.content);
  const candidates = [...new Set([sitePassword, ep.password].filter((p): p is string => Boolean(p)))];
  if (candidates.length === 0) candidates.push('');
  for (const password of candidates) {
    const r = await t.run(redisCli(ep.port), { stdin: redisScript(password || undefined, ['INFO stats']), timeoutMs }).catch(() => undefined);
    if (!r) continue;
    try {
      const reply = parseRedisInfoReply(r.stdout, password !== '');
      if (reply.authError) continue;
      const hits = Number(reply.info.keyspace_hits);
      const misses = Number(reply.info.keyspace_misses);
      if (Number.isFinite(hits) && Number.isFinite(misses)) return { hits, misses };
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Samples every host every `everyMs` until stopped; a sample still running when the next is due is not overlapped
 * (the next one waits), so a slow host slows the sampling, never the load.
 */
export class SiteSampler {
  readonly samples: SiteSample[] = [];
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly hosts: ReachedHost[],
    private readonly secrets: SamplerSecrets,
    private readonly everyMs: number,
  ) {}

  async sampleOnce(t0: number): Promise<SiteSample> {
    const t = (performance.now() - t0) / 1000;
    const entries = await Promise.all(this.hosts.map(async (h) => [h.host.name, await sampleHost(h, this.secrets)] as const));
    const s: SiteSample = { t: Math.round(t * 1000) / 1000, hosts: Object.fromEntries(entries) };
    this.samples.push(s);
    return s;
  }

  /** Takes the first sample (awaited, so counters start before the load), then goes on in the background. */
  async start(t0: number): Promise<void> {
    await this.sampleOnce(t0);
    this.loop = (async () => {
      while (!this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.everyMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.stopped) break;
        await this.sampleOnce(t0);
      }
    })();
  }

  /** Stops, then takes the last sample, so the counters cover the whole run. */
  async stop(t0: number): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.sampleOnce(t0);
  }
}
