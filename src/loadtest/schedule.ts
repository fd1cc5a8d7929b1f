// The open model's arithmetic, kept pure so it is tested without a clock: think times drawn from an exponential
// distribution, the ramp (how many virtual users are active at a time), and the flags that describe them.
import { InvalidInputError } from '../errors.js';

/** A random number in [0, 1); Math.random in a run, a seeded one in tests. */
export type Rng = () => number;

/**
 * An exponential think time with the given mean. Exponential gaps make each user's requests a Poisson process, so the
 * users together offer `users / think` requests a second with no lock-step between them.
 */
export function exponential(meanMs: number, rng: Rng): number {
  return -meanMs * Math.log(1 - rng());
}

/** A small seeded generator (mulberry32), so a test or a benchmark can repeat a run's schedule. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RampStage {
  /** Users active at the end of the stage. */
  users: number;
  /** How long the stage takes to get there, linearly from the previous stage's users (0 before the first). */
  seconds: number;
}

/** `90`, `90s`, `2m`, `1h` -> seconds. */
export function parseSeconds(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidInputError({ path: flag, message: `"${text}" is not a duration`, fix: 'a number of seconds, or with a unit: 90s, 2m, 1h' });
  }
  return n;
}

/** `500:60s,1000:120s`: reach 500 users over 60 s, then 1000 over the next 120 s. */
export function parseRamp(text: string): RampStage[] {
  const stages = text.split(',').map((part) => part.trim()).filter(Boolean);
  if (stages.length === 0) throw new InvalidInputError({ path: '--ramp', message: `"${text}" has no stage`, fix: 'USERS:DURATION[,USERS:DURATION...], e.g. 500:60s,1000:120s' });
  return stages.map((part) => {
    const m = /^(\d+):(.+)$/.exec(part);
    const users = m ? Number(m[1]) : NaN;
    if (!m || !Number.isInteger(users) || users < 0) {
      throw new InvalidInputError({ path: '--ramp', message: `"${part}" is not USERS:DURATION`, fix: 'e.g. 500:60s,1000:120s' });
    }
    return { users, seconds: parseSeconds(m[2], '--ramp') };
  });
}

/** Users active `t` seconds into the run: the ramp's line, then `users` held (all of it when there is no ramp). */
export function usersAt(t: number, ramp: readonly RampStage[], users: number): number {
  let from = 0;
  let start = 0;
  for (const s of ramp) {
    if (t < start + s.seconds) return Math.round(from + ((s.users - from) * (t - start)) / s.seconds);
    from = s.users;
    start += s.seconds;
  }
  return users;
}

export function rampSeconds(ramp: readonly RampStage[]): number {
  return ramp.reduce((n, s) => n + s.seconds, 0);
}

/** The most users the run will have at once. */
export function peakUsers(ramp: readonly RampStage[], users: number): number {
  return Math.max(users, ...ramp.map((s) => s.users));
}
