// The pure parts of the load test: think times, the ramp, the path mix and its file, the target check, the figures
// taken from the site's samples, and the verdicts against the profile.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import type { Site } from '../../src/config/types.js';
import { InvalidInputError } from '../../src/errors.js';
import { LatencyHistogram } from '../../src/loadtest/histogram.js';
import { progressText } from '../../src/loadtest/format.js';
import { lineChart, niceMax, renderHtml } from '../../src/loadtest/html.js';
import { DEFAULT_PATHS, PathMix, SAMPLE_APP, drawOrder, parsePaths } from '../../src/loadtest/paths.js';
import { assembleLoadtest, checksFor, sampledFigures } from '../../src/loadtest/report.js';
import { parseHostStats, type SiteSample } from '../../src/loadtest/sample.js';
import { exponential, parseRamp, parseSeconds, seededRng, usersAt } from '../../src/loadtest/schedule.js';
import { isLoopback, resolveTargets } from '../../src/loadtest/target.js';
import type { RunResult } from '../../src/loadtest/types.js';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.problems.map((p) => [p.where, p.path, p.message].filter(Boolean).join(' '));
    throw err;
  }
  throw new Error('no error');
};

describe('schedule', () => {
  it('exponential think times have the mean asked for', () => {
    const rng = seededRng(7);
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += exponential(5000, rng);
    expect(sum / n).toBeGreaterThan(4850);
    expect(sum / n).toBeLessThan(5150);
  });

  it('ramps linearly through its stages, then holds the last', () => {
    const ramp = parseRamp('500:60s,1000:2m');
    expect(ramp).toEqual([{ users: 500, seconds: 60 }, { users: 1000, seconds: 120 }]);
    expect(usersAt(0, ramp, 1000)).toBe(0);
    expect(usersAt(30, ramp, 1000)).toBe(250);
    expect(usersAt(60, ramp, 1000)).toBe(500);
    expect(usersAt(120, ramp, 1000)).toBe(750);
    expect(usersAt(500, ramp, 1000)).toBe(1000);
    // After the ramp, --users is held (by default the last stage's).
    expect(usersAt(500, ramp, 1200)).toBe(1200);
    expect(usersAt(12, [], 40)).toBe(40);
  });

  it('refuses a bad ramp or duration, naming the flag', () => {
    expect(problems(() => parseRamp('500-60s'))).toEqual(['--ramp "500-60s" is not USERS:DURATION']);
    expect(problems(() => parseSeconds('soon', '--duration'))).toEqual(['--duration "soon" is not a duration']);
    expect(parseSeconds('1.5', '--think')).toBe(1.5);
  });
});

describe('latency histogram', () => {
  it('gives percentiles to 3 significant figures and the exact mean', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toBeNull();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 .. 1000 ms, uniform
    const s = h.summary();
    expect(h.count).toBe(10_000);
    expect(s?.avg).toBeCloseTo(500.05, 3);
    expect(Math.abs((s?.p50 ?? 0) - 500) / 500).toBeLessThan(0.002);
    expect(Math.abs((s?.p95 ?? 0) - 950) / 950).toBeLessThan(0.002);
    expect(Math.abs((s?.p99 ?? 0) - 990) / 990).toBeLessThan(0.002);
    expect(Math.abs((s?.max ?? 0) - 1000) / 1000).toBeLessThan(0.002);
    // A long tail is kept as it is: one 2-minute request among fast ones is the max.
    h.record(120_000);
    expect(Math.abs((h.summary()?.max ?? 0) - 120_000) / 120_000).toBeLessThan(0.002);
    h.reset();
    expect(h.summary()).toBeNull();
  });
});

describe('paths', () => {
  it('picks by weight and fills in ranges', () => {
    const mix = new PathMix(parsePaths('- {path: "/a?id={1..3}", weight: 3}\n- {path: /b, weight: 1, method: post}\n', 'p.yaml'), seededRng(1));
    const counts: Record<string, number> = {};
    const ids = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const { spec, path } = mix.pick();
      counts[spec.path] = (counts[spec.path] ?? 0) + 1;
      if (path.startsWith('/a')) ids.add(path);
    }
    expect(counts['/a?id={1..3}'] / 4000).toBeCloseTo(0.75, 1);
    expect([...ids].sort()).toEqual(['/a?id=1', '/a?id=2', '/a?id=3']);
    expect(mix.paths[1].method).toBe('POST');
  });

  it('draws weighted choices and dates relative to today', () => {
    const mix = new PathMix(parsePaths('- {path: "/o?s={all*3|open}&d={date:-2..-1}"}\n', 'p.yaml'), seededRng(2));
    const statuses: Record<string, number> = {};
    const days = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const m = /^\/o\?s=(\w+)&d=(\d{4}-\d{2}-\d{2})$/.exec(mix.pick().path);
      expect(m).not.toBeNull();
      statuses[m![1]] = (statuses[m![1]] ?? 0) + 1;
      days.add(m![2]);
    }
    expect(statuses.all / 4000).toBeCloseTo(0.75, 1);
    expect(Object.keys(statuses).sort()).toEqual(['all', 'open']);
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    expect([...days].sort()).toEqual([day(-2), day(-1)]);
    // Text in braces that is no placeholder stays as it is.
    expect(new PathMix(parsePaths('- {path: "/x?{a}"}\n', 'p.yaml'), seededRng(1)).pick().path).toBe('/x?{a}');
  });

  it("the default mix: the sample app's endpoints with their parameters, one request in 100 a new order", () => {
    const mix = new PathMix(DEFAULT_PATHS, seededRng(3));
    const n = 20_000;
    const endpoints: Record<string, number> = {};
    const keys = new Set<string>();
    for (let i = 0; i < n; i++) {
      const { spec, path } = mix.pick();
      const [file, query] = path.split('?');
      endpoints[file] = (endpoints[file] ?? 0) + 1;
      const q = new URLSearchParams(query);
      const r = Number(q.get('restaurant_id'));
      expect(r).toBeGreaterThanOrEqual(1);
      expect(r).toBeLessThanOrEqual(50);
      if (spec.method === 'POST') {
        // Every drawn order is valid on the seeded data: the restaurant's own table and available dishes.
        const table = Number(q.get('table_id'));
        expect(Math.ceil(table / SAMPLE_APP.tables)).toBe(r);
        for (const line of q.get('items')!.split(',')) {
          const [id, qty] = line.split(':').map(Number);
          expect(Math.ceil(id / SAMPLE_APP.menu)).toBe(r);
          expect((id - (r - 1) * SAMPLE_APP.menu) % 20).not.toBe(0);
          expect(qty).toBeGreaterThanOrEqual(1);
        }
      } else keys.add(path);
    }
    expect(endpoints['/create_order.php'] / n).toBeCloseTo(0.01, 2);
    expect(endpoints['/get_menu_items.php'] / n).toBeCloseTo(0.3, 1);
    expect(endpoints['/get_orders.php'] / n).toBeCloseTo(0.2, 1);
    // Far more distinct answers than 50 restaurants x 5 endpoints.
    expect(keys.size).toBeGreaterThan(2000);
  });

  it('draws orders on the seed layout', () => {
    const rng = seededRng(9);
    for (let i = 0; i < 200; i++) expect(drawOrder(rng)).toMatch(/^\/create_order\.php\?restaurant_id=\d+&table_id=\d+&items=\d+:[123](,\d+:[123]){0,3}$/);
  });

  it('reports every problem of a paths file with its line and column', () => {
    const text = '- {path: /ok, weight: 1}\n- {path: nope, weight: 0}\n- {path: /x, wieght: 2}\n';
    expect(problems(() => parsePaths(text, 'paths.yaml'))).toEqual([
      'paths.yaml:2:3 [1].path "nope" is not a path',
      'paths.yaml:2:3 [1].weight 0 is not a positive number',
      'paths.yaml:3:3 [2].wieght unknown key "wieght"',
    ]);
    expect(problems(() => parsePaths('- {path: "/a?x={b|c*0}&d={date:2..1}"}\n', 'p.yaml'))).toEqual([
      'p.yaml:1:3 [0].path choice {b|c*0} has a weight 0',
      'p.yaml:1:3 [0].path range {date:2..1} is empty',
    ]);
    expect(problems(() => parsePaths('path: /x\n', 'p.yaml'))[0]).toMatch(/^p\.yaml:1:1 expected a list/);
  });
});

describe('target check', () => {
  const site = {
    hosts: [
      { name: 'web1', address: '203.0.113.10', privateAddress: '10.0.0.10', roles: ['web'] },
      { name: 'db1', address: '203.0.113.20', privateAddress: '10.0.0.20', roles: ['db-primary'] },
    ],
  } as unknown as Site;

  it('loads the site web hosts by default, an lb host before them', () => {
    expect(resolveTargets({ site, allowAny: false })).toEqual(['http://203.0.113.10']);
    const withLb = { hosts: [...site.hosts, { name: 'lb1', address: '203.0.113.5', privateAddress: '203.0.113.5', roles: ['lb'] }] } as unknown as Site;
    expect(resolveTargets({ site: withLb, allowAny: false })).toEqual(['http://203.0.113.5']);
  });

  it('takes --url on loopback or on a host of the site, refuses any other unless --allow-any-target', () => {
    expect(isLoopback('127.0.0.1') && isLoopback('localhost') && isLoopback('[::1]')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(resolveTargets({ url: 'http://127.0.0.1:8080/', allowAny: false })).toEqual(['http://127.0.0.1:8080']);
    expect(resolveTargets({ url: 'http://10.0.0.10:8080/app/', site, allowAny: false })).toEqual(['http://10.0.0.10:8080/app']);
    expect(problems(() => resolveTargets({ url: 'http://198.51.100.7', site, allowAny: false }))[0]).toMatch(
      /^--url 198\.51\.100\.7 is neither loopback nor a host of the site \(hosts: web1 \(203\.0\.113\.10\), db1/,
    );
    expect(resolveTargets({ url: 'http://198.51.100.7', site, allowAny: true })).toEqual(['http://198.51.100.7']);
    expect(problems(() => resolveTargets({ url: 'https://127.0.0.1', allowAny: false }))[0]).toMatch(/only http:\/\//);
    expect(problems(() => resolveTargets({ allowAny: false }))[0]).toMatch(/no site file and no --url/);
  });
});

const sample = (t: number, o: { hits: number; misses: number; threads: number; conns: number; reached: number; busy: number; total: number; maxUsed?: number }): SiteSample => ({
  t,
  hosts: {
    web1: {
      cpu: { busy: o.busy, total: o.total },
      mem: { total: 8e9, available: 6e9 },
      fpm: { active: 3, listenQueue: 0, maxChildrenReached: o.reached, total: 10 },
      redis: { hits: o.hits, misses: o.misses },
      mysql: { threadsConnected: o.threads, connections: o.conns, maxUsed: o.maxUsed ?? 40 },
    },
  },
});

const run = (over: Partial<RunResult> = {}): RunResult => ({
  requests: 1000, ok: 1000, errors: 0, errors_by_kind: { timeout: 0, refused: 0, reset: 0, http_5xx: 0, http_429: 0, http_4xx: 0, other: 0 },
  status_codes: { 200: 1000 }, duration_s: 10, offered_rps: 100, throughput_rps: 100,
  latency_ms: { avg: 120, p50: 100, p95: 250, p99: 290, max: 400 }, stopped_by: 'duration', abandoned: 0, peak_connections: 20,
  intervals: [], client: { cpu_avg: 0.2, cpu_max: 0.3, loop_delay_p99_ms: 12, saturated: false, resent: 0 }, ...over,
});

describe('site figures and verdicts', () => {
  const samples = [
    sample(0, { hits: 1000, misses: 500, threads: 5, conns: 10_000, reached: 2, busy: 100, total: 1000 }),
    sample(5, { hits: 1600, misses: 700, threads: 31, conns: 10_101, reached: 2, busy: 400, total: 1500 }),
    sample(10, { hits: 2500, misses: 1000, threads: 12, conns: 10_202, reached: 2, busy: 500, total: 2000 }),
  ];

  it('counts what happened during the run: counter differences, peaks, the sampler\'s own connections left out', () => {
    const f = sampledFigures(samples);
    expect(f.cache_hit_ratio).toBe(0.75); // 1500 hits, 500 misses
    expect(f.cache_lookups).toBe(2000);
    expect(f.db_connections_max).toBe(30); // 31 less the sampler's own; Max_used_connections (40) did not move
    // When the server's high-water mark rose during the run, that is the exact peak (samples miss short ones).
    const rose = [samples[0], samples[1], sample(10, { hits: 2500, misses: 1000, threads: 12, conns: 10_202, reached: 2, busy: 500, total: 2000, maxUsed: 57 })];
    expect(sampledFigures(rose).db_connections_max).toBe(57);
    expect(f.connections_per_hour).toBe(Math.round(((202 - 2) / 10) * 3600));
    expect(f.fpm_max_children_reached).toBe(0);
    expect(f.hosts[0].cpu_max).toBe(0.6);
  });

  it('passes a run inside every target, and fails each target on its own', () => {
    const profile = loadProfile('1000', { baseDir: '.' });
    const pass = checksFor(run(), sampledFigures(samples), profile, 100_000);
    expect(pass.map((c) => [c.name, c.verdict])).toEqual([
      ['avg_latency', 'pass'], ['errors', 'pass'], ['cache_hit_ratio', 'pass'], ['db_connections', 'pass'], ['connections_per_hour', 'pass'], ['fpm_max_children_reached', 'pass'],
    ]);
    const bad = [...samples];
    bad[2] = sample(10, { hits: 1300, misses: 1500, threads: 150, conns: 12_000, reached: 9, busy: 500, total: 2000 });
    const fail = checksFor(run({ latency_ms: { avg: 250, p50: 200, p95: 600, p99: 900, max: 2000 }, errors: 5 }), sampledFigures(bad), profile, 500);
    expect(fail.map((c) => [c.name, c.verdict])).toEqual([
      ['avg_latency', 'fail'], ['errors', 'fail'], ['cache_hit_ratio', 'fail'], ['db_connections', 'fail'], ['connections_per_hour', 'fail'], ['fpm_max_children_reached', 'fail'],
    ]);
    expect(fail.find((c) => c.name === 'fpm_max_children_reached')?.value).toBe(7);
    // A hit ratio above the band is noted, not failed: the cache absorbing more than planned is no capacity problem.
    const high = [...samples];
    high[2] = sample(10, { hits: 5000, misses: 520, threads: 12, conns: 10_202, reached: 2, busy: 500, total: 2000 });
    const h = checksFor(run(), sampledFigures(high), profile, undefined).find((c) => c.name === 'cache_hit_ratio');
    expect(h).toMatchObject({ verdict: 'pass', note: expect.stringMatching(/above the band/) });
  });

  it('without samples judges latency and errors only; the report says when the client was saturated', () => {
    const profile = loadProfile('1000', { baseDir: '.' });
    const plan = { targets: ['http://127.0.0.1'], users: 1, thinkSeconds: 1, durationSeconds: 1, ramp: [], paths: [], maxRequests: 1, maxConnections: 1, timeoutMs: 1, intervalSeconds: 1 };
    const r = assembleLoadtest({ plan, run: run({ client: { cpu_avg: 0.95, cpu_max: 1, loop_delay_p99_ms: 80, saturated: true, resent: 0 } }), samples: undefined, profile, notes: [] });
    expect(r.checks.map((c) => c.name)).toEqual(['avg_latency', 'errors']);
    expect(r.verdict).toBe('pass');
    expect(r.notes.join('\n')).toMatch(/the load generator itself was busy/);
  });

  it('reads CPU and memory from /proc', () => {
    expect(parseHostStats('cpu  10 0 5 80 5 0 0 0 0 0\nMemTotal:       1000 kB\nMemAvailable:    250 kB\n')).toEqual({ cpu: { busy: 15, total: 100 }, mem: { total: 1024000, available: 256000 } });
  });
});

describe('progress line', () => {
  it('counts a tick a millisecond early as the whole second, and never shows more than the duration', () => {
    const p = { users: 5, rps: 28.4, p95: 3.6, errors: 0 };
    // An interval timer fired 2 ms before the first second by the monotonic clock (seen in CI as "0/2 s").
    expect(progressText({ ...p, elapsed: 0.998 }, 2)).toBe('1/2 s  users 5  28 req/s  p95 4 ms  errors 0');
    expect(progressText({ ...p, elapsed: 1.5 }, 2)).toMatch(/^1\/2 s /);
    expect(progressText({ ...p, elapsed: 2.7, users: 0 }, 2)).toMatch(/^2\/2 s  users 0 /);
    expect(progressText({ ...p, elapsed: 0.4, p95: null }, 2)).toBe('0/2 s  users 5  28 req/s  p95 -  errors 0');
  });
});

describe('HTML report', () => {
  it('draws inline SVG line charts, with no script and nothing fetched', () => {
    expect(niceMax(173)).toBe(200);
    expect(niceMax(0)).toBe(1);
    const svg = lineChart('x', 'T <1>', 'ms', [{ name: 'a', points: [[0, 1], [1, 3]] }]);
    expect(svg).toContain('<path d="M56.0,');
    expect(svg).toContain('T &lt;1&gt;');
    const profile = loadProfile('1000', { baseDir: '.' });
    const plan = { targets: ['http://127.0.0.1'], users: 1, thinkSeconds: 1, durationSeconds: 1, ramp: [], paths: [], maxRequests: 1, maxConnections: 1, timeoutMs: 1, intervalSeconds: 1 };
    const iv = [0, 1, 2].map((t) => ({ t, users: 1, sent: 10, done: 10, errors: 0, latency_ms: { avg: 1, p50: 1, p95: 2, p99: 3, max: 4 }, client_cpu: 0.1 }));
    const html = renderHtml(assembleLoadtest({ plan, run: run({ intervals: iv }), samples: [sample(0, { hits: 0, misses: 0, threads: 1, conns: 1, reached: 0, busy: 1, total: 10 }), sample(5, { hits: 10, misses: 5, threads: 3, conns: 3, reached: 0, busy: 5, total: 20 })], profile, notes: [] }));
    for (const id of ['latency', 'throughput', 'users', 'client-cpu', 'cache-hit-ratio', 'db-threads', 'fpm', 'host-cpu']) expect(html).toContain(`data-chart="${id}"`);
    expect(html).not.toMatch(/<script|\s(src|href)=|@import|url\(/);
  });
});
