// The host lock (Kamal's lock.rb): an atomic `mkdir` of LOCK_DIR with an owner file. A second apply fails naming the
// holder and since when, or waits up to --lock-timeout; --break-lock removes a lock a killed run left behind.
// A lock this very machine took (same /etc/machine-id) for a process that no longer exists is stale for certain (a cut
// connection, a killed run): it is broken automatically, with a notice. Any other holder is refused as before.
import { readFileSync } from 'node:fs';
import { UserError, EXIT } from '../errors.js';
import { LOCK_DIR } from '../host-paths.js';
import type { Transport } from '../transport/types.js';
import { LOCK_HELD_EXIT, lockAcquire, lockOwner, lockRelease } from './file-steps.js';
import type { LockOwner } from './types.js';

export interface LockOptions {
  owner: LockOwner;
  timeoutMs: number;
  breakLock: boolean;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  progress: (step: string) => void;
  /** This machine's id and whether a pid runs here; tests replace them. */
  local?: { machineId?: string; pidAlive: (pid: number) => boolean };
}

/** The id that tells this machine from others of the same host name (systemd's /etc/machine-id), if it has one. */
export function thisMachine(): { machineId?: string } {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(f, 'utf8').trim();
      if (/^[0-9a-f]{32}$/.test(id)) return { machineId: id };
    } catch {
      // try the next
    }
  }
  return {};
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** The lock's holder is a process of this machine that has exited: nobody can be using the lock. */
export function staleHere(raw: string | undefined, local: { machineId?: string; pidAlive: (pid: number) => boolean }): boolean {
  if (!raw || !local.machineId) return false;
  try {
    const o = JSON.parse(raw) as Partial<LockOwner>;
    return o.machineId === local.machineId && typeof o.pid === 'number' && o.pid > 0 && o.pid !== process.pid && !local.pidAlive(o.pid);
  } catch {
    return false;
  }
}

const POLL_MS = 2000;

export function describeOwner(raw: string | undefined): string {
  if (!raw) return 'an unknown owner (the lock has no owner file yet)';
  try {
    const o = JSON.parse(raw) as Partial<LockOwner>;
    return `${o.user ?? '?'}@${o.machine ?? '?'} (pid ${o.pid ?? '?'}, deploy ${o.deployId ?? '?'}) since ${o.time ?? '?'}`;
  } catch {
    return `an unreadable owner file (${raw.slice(0, 80)})`;
  }
}

/** Take the lock or throw a UserError naming the holder. */
export async function acquireLock(t: Transport, opts: LockOptions): Promise<void> {
  const deadline = opts.now().getTime() + opts.timeoutMs;
  let broken = false;
  for (;;) {
    const res = await t.run(lockAcquire(), { stdin: JSON.stringify(opts.owner) + '\n' });
    if (res.code === 0) return;
    if (res.code !== LOCK_HELD_EXIT) {
      throw new UserError({ where: t.host, message: `could not take the lock ${LOCK_DIR}: ${res.stderr.trim() || `exit ${res.code}`}` });
    }
    const owner = await t.run(lockOwner());
    const raw = owner.code === 0 ? owner.stdout.trim() : undefined;
    const holder = describeOwner(raw);
    const stale = !broken && staleHere(raw, opts.local ?? { ...thisMachine(), pidAlive });
    if (stale) opts.progress(`notice: breaking a stale lock: held by ${holder}, a process of this machine that no longer runs`);
    else if (opts.breakLock && !broken) opts.progress(`breaking the lock held by ${holder}`);
    if (stale || (opts.breakLock && !broken)) {
      await t.run(lockRelease());
      broken = true;
      continue;
    }
    if (opts.now().getTime() >= deadline) {
      throw new UserError({
        where: t.host,
        message: `locked by ${holder}: another apply or rollback is running`,
        fix: opts.timeoutMs > 0
          ? 'still held after --lock-timeout; if that run is dead, pass --break-lock'
          : 'wait for it, pass --lock-timeout SECONDS to wait, or --break-lock if that run is dead',
      }, EXIT.error);
    }
    opts.progress(`waiting for the lock held by ${holder}`);
    await opts.sleep(Math.min(POLL_MS, Math.max(0, deadline - opts.now().getTime())));
  }
}

export async function releaseLock(t: Transport): Promise<void> {
  await t.run(lockRelease());
}
