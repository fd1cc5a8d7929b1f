// Profiles: the shipped three, a user's own file, pins (every key typed, unknown keys refused), sizes.
import { describe, expect, test } from 'vitest';
import { InvalidInputError, formatProblem } from '../../src/errors.js';
import { loadProfile, parseProfile, shippedProfiles, SHIPPED_PROFILES_DIR } from '../../src/config/profile.js';
import { formatBytes, parseSize } from '../../src/config/size.js';
import { PIN_KEYS } from '../../src/config/pins.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TTLS = { get_menu_items: 300, get_dashboard_stats: 30, get_tables: 120, get_orders: 10, get_reservations: 30 };

const WORKLOAD = `workload:
  concurrent_users: 1000
  peak_in_flight_ratio: 0.2
  requests_per_user_per_minute: 6
  php_time_ms: 120
  response_target_ms: 200
  cache_hit_ratio: 0.75
  db_connections: {min: 50, max: 100}
  worker_rss: 40M
  queries_per_request: 4
`;

function refusal(text: string): string[] {
  try {
    parseProfile(text, 'mine.yaml', 'mine');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).problems.map(formatProblem);
  }
  throw new Error('expected the profile to be refused');
}

describe('shipped profiles', () => {
  test('300, 700 and 1000 ship, found from the package root', () => {
    expect(shippedProfiles()).toEqual(['300', '700', '1000']);
    expect(SHIPPED_PROFILES_DIR.endsWith('/profiles')).toBe(true);
  });

  test.each([
    ['300', { users: 300, hit: 0.7, pool: { min: 15, max: 30 } }],
    ['700', { users: 700, hit: 0.7, pool: { min: 35, max: 70 } }],
    ['1000', { users: 1000, hit: 0.75, pool: { min: 50, max: 100 } }],
  ])('%s: workload, TTLs, nothing pinned', (name, want) => {
    const p = loadProfile(name, { baseDir: '/nowhere' });
    expect(p.name).toBe(name);
    expect(p.file).toBe(`profiles/${name}.yaml`);
    expect(p.workload).toEqual({
      concurrentUsers: want.users,
      peakInFlightRatio: 0.2,
      requestsPerUserPerMinute: 6,
      phpTimeMs: 120,
      responseTargetMs: 200,
      cacheHitRatio: want.hit,
      dbConnections: want.pool,
      workerRss: 40 * MiB,
      queriesPerRequest: 4,
    });
    expect(p.cacheTtls).toEqual(TTLS);
    expect(p.pins).toEqual({});
  });

  test('a path is read relative to baseDir and named after its file', () => {
    const p = loadProfile('test/fixtures/config/profile-pinned.yaml', { baseDir: process.cwd() });
    expect(p.name).toBe('profile-pinned');
    expect(p.pins).toEqual({ 'fpm.start_servers': 500, 'redis.maxmemory': 2 * GiB, 'redis.save': '3600 1', 'redis.appendonly': true });
  });

  test('neither a shipped name nor a file', () => {
    expect(() => loadProfile('1500', { baseDir: '/nowhere' })).toThrow('profile: "1500" is neither a shipped profile nor a readable file (no /nowhere/1500) (one of: 300, 700, 1000, or the path of a profile file)');
  });
});

describe('profile schema', () => {
  test('a minimal profile: TTLs and pins default to empty', () => {
    const p = parseProfile(`description: mine\n${WORKLOAD}`, 'mine.yaml', 'mine');
    expect(p.cacheTtls).toEqual({});
    expect(p.pins).toEqual({});
  });

  test.each([
    [
      'an unknown pin key',
      `description: x\n${WORKLOAD}pin:\n  fpm.max_childen: 200\n`,
      [`mine.yaml:13:3 pin.fpm.max_childen: unknown key "fpm.max_childen" (did you mean "fpm.max_children"? allowed here: ${PIN_KEYS.join(', ')})`],
    ],
    ['a pin of the wrong type', `description: x\n${WORKLOAD}pin:\n  fpm.pm: dynamc\n`, ['mine.yaml:13:11 pin.fpm.pm: "dynamc" is not a process manager (one of: static, dynamic, ondemand)']],
    ['a pinned size that is not one', `description: x\n${WORKLOAD}pin:\n  redis.maxmemory: lots\n`, ['mine.yaml:13:20 pin.redis.maxmemory: "lots" is not a memory size (a size from 16 MiB to 1 TiB, written like 40M, 16G, 512MiB or bytes)']],
    ['a pinned boolean as text', `description: x\n${WORKLOAD}pin:\n  redis.appendonly: "yes"\n`, ['mine.yaml:13:21 pin.redis.appendonly: "yes" is not appendonly (true or false)']],
    ['ProxySQL threads out of range', `description: x\n${WORKLOAD}pin:\n  proxysql.threads: 300\n`, ['mine.yaml:13:21 pin.proxysql.threads: 300 is not a thread count (a whole number from 1 to 255)']],
    ['a ratio above 1', `description: x\n${WORKLOAD.replace('0.75', '75')}`, ['mine.yaml:8:20 workload.cache_hit_ratio: 75 is not a ratio (a number from 0 to 1)']],
    ['no users in flight', `description: x\n${WORKLOAD.replace('ratio: 0.2', 'ratio: 0')}`, ['mine.yaml:4:25 workload.peak_in_flight_ratio: 0 is not a ratio (a number above 0 up to 1)']],
    ['a pool with min above max', `description: x\n${WORKLOAD.replace('min: 50', 'min: 150')}`, ['mine.yaml:9:25 workload.db_connections.min: min 150 is above max 100 (min is the pool kept open, max its ceiling: min <= max)']],
    ['a typo in the workload', `description: x\n${WORKLOAD.replace('php_time_ms', 'php_time')}`, [
      'mine.yaml:2:1 workload.php_time_ms: missing (add php_time_ms: a whole number from 1 to 600000)',
      'mine.yaml:6:3 workload.php_time: unknown key "php_time" (did you mean "php_time_ms"? allowed here: concurrent_users, peak_in_flight_ratio, requests_per_user_per_minute, php_time_ms, response_target_ms, cache_hit_ratio, db_connections, worker_rss, queries_per_request)',
    ]],
    ['a TTL of zero', `description: x\n${WORKLOAD}cache_ttls:\n  get_orders: 0\n`, ['mine.yaml:13:15 cache_ttls.get_orders: 0 is not a TTL in seconds (a whole number from 1 to 86400)']],
    ['no description', WORKLOAD, ['mine.yaml:1:1 description: missing (add description: one line saying what the profile is for)']],
  ])('%s', (_name, text, expected) => {
    expect(refusal(text)).toEqual(expected);
  });
});

describe('sizes', () => {
  test.each([
    ['40M', 40 * MiB],
    ['8G', 8 * GiB],
    ['512MiB', 512 * MiB],
    ['16GB', 16 * GiB],
    ['1.5G', 1.5 * GiB],
    ['64k', 64 * 1024],
    ['1048576', 1048576],
    ['2t', 2 * 2 ** 40],
    [4096, 4096],
  ])('%s -> %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  test.each(['', 'lots', '16 gigs', '-1G', '1.5', '8X'])('%j is not a size', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });

  test('formatBytes', () => {
    expect([40 * MiB, 7.8125 * GiB, 16 * GiB, 819.2 * MiB, 256 * 1024, 12].map(formatBytes)).toEqual(['40 MiB', '7.8 GiB', '16 GiB', '819.2 MiB', '256 KiB', '12 B']);
  });
});
