// A host's memory budget: RAM less an OS reserve must hold every co-located role. When it cannot, the refusal says
// so with the numbers and the ways out (never shrink silently, never deploy to swap to death).
import type { Problem } from '../errors.js';
import type { Profile } from '../config/types.js';
import { GiB, MiB } from '../config/size.js';
import { bytes } from './derive.js';
import type { HostSizing } from './types.js';

/** The users of the shipped profiles (profiles/*.yaml): a smaller one is suggested only where there is one. */
const SHIPPED_TIERS = [300, 700, 1000];

/** Kept for the kernel, page cache, sshd and the rest: 10% of RAM, within [512 MiB, 2 GiB]. */
export const OS_RESERVE = { share: 0.1, min: 512 * MiB, max: 2 * GiB } as const;

export function osReserve(memory: number): number {
  return Math.min(OS_RESERVE.max, Math.max(OS_RESERVE.min, Math.floor(memory * OS_RESERVE.share)));
}

/** The least RAM, in whole GiB, whose budget (RAM less the OS reserve) holds `needed`. */
export function ramFor(needed: number): number {
  let gib = Math.max(1, Math.ceil(needed / GiB));
  while (gib * GiB - osReserve(gib * GiB) < needed) gib++;
  return gib * GiB;
}

/** The refusal for a host whose roles do not fit its RAM, or undefined when they fit. */
export function memoryRefusal(hs: HostSizing, profile: Profile, opts: { bufferPoolFloor: number; webHosts: number }): Problem | undefined {
  const { total, reserve, budget, lines } = hs.memory;
  const pool = hs.mysql?.innodbBufferPoolSize;
  const starved = pool !== undefined && !pool.pinned && pool.value < opts.bufferPoolFloor;
  // A starved buffer pool counts at its floor: that is what the database needs at the least.
  const needed = lines.reduce((s, l) => s + l.bytes, 0) + (starved ? opts.bufferPoolFloor - pool.value : 0);
  if (!starved && needed <= budget) return undefined;
  const shown = lines.filter((l) => !(starved && l.what.startsWith('InnoDB buffer pool'))).map((l) => `${l.what} = ${bytes(l.bytes)}`);
  if (starved) shown.push(`InnoDB buffer pool at least ${bytes(opts.bufferPoolFloor)}`);
  const host = hs.host.name;
  const smaller = SHIPPED_TIERS.filter((u) => u < profile.workload.concurrentUsers);
  const ways = smaller.length > 0 ? [`use a smaller profile (${smaller.join(' or ')})`] : [];
  ways.push(`give ${host} at least ${bytes(ramFor(needed))} of RAM`);
  if (hs.fpm) ways.push(`add another web host to share the PHP workers (${opts.webHosts} now)`);
  const keep = hs.fpm ? 'web' : hs.host.roles[0];
  if (hs.host.roles.length > 1) ways.push(`move ${hs.host.roles.filter((r) => r !== keep).join(', ')} to another host`);
  const floorRule = starved ? ` (the buffer pool gets at least 1 MiB per user, ${bytes(opts.bufferPoolFloor)} for ${profile.workload.concurrentUsers} users, else every cache miss reads from disk)` : '';
  return {
    // `where: host` alone: a path after it read as a category ("stackscale memory: ..."), the host name as a word.
    where: host,
    message:
      `not enough memory: the ${profile.name} profile needs ${bytes(needed)} on host ${host} but its ${bytes(total)} RAM (${hs.resources.source}) less the ` +
      `${bytes(reserve)} OS reserve holds ${bytes(budget)}: ${shown.join(' + ')}${floorRule}`,
    fix: `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1]}`,
  };
}
