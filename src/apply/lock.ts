// The host lock (Kamal's lock.rb): an atomic `mkdir` of LOCK_DIR with an owner file. A second apply fails naming the
// holder and since when, or waits up to --lock-timeout; --break-lock removes a lock a killed run left behind.
import { UserError, EXIT } from '../errors.js';
import { LOCK_DIR } from '../plan/paths.js';
import type { Transport } from '../transport/types.js';
import { LOCK_HELD_EXIT, lockAcquire, lockOwner, lockRelease } from './commands.js';
import type { LockOwner } from './types.js';

export interface LockOptions {
  owner: LockOwner;
  timeoutMs: number;
  breakLock: boolean;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  progress: (step: string) => void;
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
    const holder = describeOwner(owner.code === 0 ? owner.stdout.trim() : undefined);
    if (opts.breakLock && !broken) {
      opts.progress(`breaking the lock held by ${holder}`);
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
