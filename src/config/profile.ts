// Capacity profiles: the shipped ones (profiles/300.yaml, 700.yaml, 1000.yaml) or a user's own file, same format.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { profileSchema } from './schema.js';
import { configText, excerpt, parseYaml, problemAt, shownPath, sorted, zodProblems, type Located } from './source.js';
import type { Profile } from './types.js';
import { packagePath } from '../util/package-root.js';

/** `<package root>/profiles/`. */
export const SHIPPED_PROFILES_DIR = packagePath('profiles');

/** Names of the shipped profiles, smallest first. */
export function shippedProfiles(): string[] {
  return readdirSync(SHIPPED_PROFILES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort((a, b) => Number(a) - Number(b));
}

/**
 * A shipped profile by name (`1000`), else a file path, relative to `baseDir` (the site file's folder for the site's
 * `profile:`, the working directory for --profile).
 */
export function loadProfile(nameOrPath: string, { baseDir }: { baseDir: string }): Profile {
  const shipped = resolve(SHIPPED_PROFILES_DIR, `${nameOrPath}.yaml`);
  if (/^[A-Za-z0-9_-]+$/.test(nameOrPath) && existsSync(shipped)) {
    // Named the same on every machine (derivation texts and golden files quote it).
    return { ...parseProfile(readFileSync(shipped, 'utf8'), shipped, nameOrPath), file: `profiles/${nameOrPath}.yaml` };
  }
  const file = resolve(baseDir, nameOrPath.replace(/^~(?=\/)/, homedir()));
  let text: string;
  try {
    text = configText(readFileSync(file), file, 'a profile');
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidInputError({
      path: 'profile',
      message: `${excerpt(nameOrPath)} is neither a shipped profile nor a readable file (${code === 'ENOENT' ? `no ${shownPath(file)}` : code})`,
      fix: `one of: ${shippedProfiles().join(', ')}, or the path of a profile file`,
    });
  }
  return parseProfile(text, file, basename(file, extname(file)));
}

export function parseProfile(text: string, file: string, name: string): Profile {
  const { source, problems } = parseYaml(text, file);
  if (problems.length > 0) throw new InvalidInputError(sorted(problems));
  if (source.data === null || source.data === undefined) {
    throw new InvalidInputError({ where: `${source.shown}:1:1`, message: 'the profile is empty', fix: 'start from a shipped profile: profiles/1000.yaml' });
  }
  const parsed = profileSchema.safeParse(source.data);
  const found: Located[] = parsed.success ? [] : zodProblems(source, parsed.error);
  const pool = (source.data as { workload?: { db_connections?: { min?: unknown; max?: unknown } } }).workload?.db_connections;
  if (pool && typeof pool.min === 'number' && typeof pool.max === 'number' && pool.min > pool.max) {
    found.push(problemAt(source, ['workload', 'db_connections', 'min'], `min ${pool.min} is above max ${pool.max}`, 'min is the pool kept open, max its ceiling: min <= max'));
  }
  if (found.length > 0 || !parsed.success) throw new InvalidInputError(sorted(found));
  const p = parsed.data;
  const w = p.workload;
  return {
    name,
    file: source.shown,
    description: p.description,
    workload: {
      concurrentUsers: w.concurrent_users,
      peakInFlightRatio: w.peak_in_flight_ratio,
      requestsPerUserPerMinute: w.requests_per_user_per_minute,
      phpTimeMs: w.php_time_ms,
      responseTargetMs: w.response_target_ms,
      cacheHitRatio: w.cache_hit_ratio,
      dbConnections: { min: w.db_connections.min, max: w.db_connections.max },
      workerRss: w.worker_rss,
      queriesPerRequest: w.queries_per_request,
    },
    cacheTtls: { ...p.cache_ttls },
    pins: Object.fromEntries(Object.entries(p.pin).filter(([, v]) => v !== undefined)) as Profile['pins'],
  };
}
