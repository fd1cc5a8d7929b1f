// A host's memory budget: RAM less an OS reserve must hold every co-located role. When it cannot, the refusal says
// so with the numbers and the ways out (DESIGN section 3: never shrink silently, never deploy to swap to death).
import type { Problem } from '../errors.js';
import type { Profile } from '../config/types.js';
import { GiB, MiB } from '../config/size.js';
import { bytes } from './derive.js';
import type { HostSizing } from './types.js';

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
  const ways = ['use a smaller profile', `give ${host} at least ${bytes(ramFor(needed))} of RAM`];
  if (hs.fpm) ways.push(`add another web host to share the PHP workers (${opts.webHosts} now)`);
  const keep = hs.fpm ? 'web' : hs.host.roles[0];
  if (hs.host.roles.length > 1) ways.push(`move ${hs.host.roles.filter((r) => r !== keep).join(', ')} to another host`);
  return {
    where: host,
    path: 'memory',
    message:
      `the ${profile.name} profile needs ${bytes(needed)} on ${host} but ${bytes(total)} RAM (${hs.resources.source}) less the ` +
      `${bytes(reserve)} OS reserve leaves ${bytes(budget)}: ${shown.join(' + ')}`,
    fix: `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1]}`,
  };
}
