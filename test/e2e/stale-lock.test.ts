// Issue 11, item 14: a lock left on a real host by a run of this machine whose process is gone (a cut connection, a
// killed apply) is broken automatically, with a notice; a lock of a live process, or of another machine, is refused.
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { thisMachine } from '../../src/apply/lock.js';
import { cnf, deploy, files, pool, redisConf, sh, useOwnHost } from './apply-helpers.js';

useOwnHost('lock1');

const LOCK = '/var/lib/stackscale/lock';

async function leaveLock(owner: Record<string, unknown>): Promise<void> {
  await sh(`mkdir -p ${LOCK} && cat > ${LOCK}/owner`, JSON.stringify(owner) + '\n');
}

/** A pid that existed on this machine and has exited. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

describe('a stale lock from this machine', () => {
  const wanted = () => files(pool(12, 4, 2, 6), redisConf('64mb'), cnf(150));
  const me = thisMachine().machineId;

  it('this machine has an id to tell it from others of the same host name', () => {
    expect(me).toMatch(/^[0-9a-f]{32}$/);
  });

  it('held by a live process of this machine: refused, naming it', async () => {
    const live = spawn('sleep', ['30']);
    try {
      await leaveLock({ user: 'someone', machine: hostname(), machineId: me, pid: live.pid, time: new Date().toISOString(), deployId: 'live-run' });
      await expect(deploy(wanted())).rejects.toThrow(new RegExp(`locked by someone@${hostname()} \\(pid ${live.pid}, deploy live-run\\)`));
    } finally {
      live.kill();
    }
  });

  it('held by a dead pid of another machine (same host name, other machine id): refused as before', async () => {
    await leaveLock({ user: 'someone', machine: hostname(), machineId: 'f'.repeat(32), pid: deadPid(), time: new Date().toISOString(), deployId: 'other-machine' });
    await expect(deploy(wanted())).rejects.toThrow(/locked by .*deploy other-machine.*another apply or rollback is running/);
  });

  it('held by a dead pid of this machine: broken automatically with a notice, and the apply goes through', async () => {
    const pid = deadPid();
    await leaveLock({ user: 'someone', machine: hostname(), machineId: me, pid, time: new Date().toISOString(), deployId: 'dead-run' });
    const r = await deploy(wanted());
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('applied');
    expect(r.lines.join('\n')).toContain(`notice: breaking a stale lock: held by someone@${hostname()} (pid ${pid}, deploy dead-run)`);
    // The deploy lock (a directory named lock) is gone; other files there are not this test's business.
    expect(await sh('test -e /var/lib/stackscale/lock && echo held || echo free')).toBe('free\n');
  });
});
