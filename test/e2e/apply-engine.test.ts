// The apply engine against a real host (its own, since every test here changes it): real php-fpm, redis-server and
// mariadbd under Debian's init scripts, driven over SSH. The files are written by hand (apply-helpers.ts), so these
// tests prove the engine (checkers, swap, reload/runtime/restart, health, restore, lock, interruption) on the real
// daemons; the CLI-level tests build on it.
import { describe, expect, it } from 'vitest';
import { applyHost } from '../../src/apply/host.js';
import {
  CNF, PASSWORD, POOL, REDIS, cnf, connect, deploy, files, fpmStatus, host, job, leftovers, mysqlVar, options, pids, pool,
  redisConf, redisGet, sh, useOwnHost,
} from './apply-helpers.js';

useOwnHost('apply1');

/** The two states the tests start from; each test puts the one it needs in force (a no-op when it already is). */
const initial = (): ReturnType<typeof files> => files(pool(20, 6, 4, 10), redisConf('64mb'), cnf(222));
const raised = (): ReturnType<typeof files> => files(pool(30, 8, 4, 12), redisConf('96mb'), cnf(250));
async function inForce(wanted: ReturnType<typeof files>): Promise<void> {
  const r = await deploy(wanted);
  expect(r.error).toBeUndefined();
  expect(r.status).toMatch(/applied|unchanged/);
}

describe('apply engine on a real host', () => {
  it('a fresh host: every file deployed, the running services show the new values, the record is written', async () => {
    const r = await deploy(initial());
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('applied');
    expect(r.changed.sort()).toEqual([CNF, POOL, REDIS].sort());
    const status = await fpmStatus();
    expect(status['process manager']).toBe('dynamic');
    expect(status['total processes']).toBe(6);
    expect(await redisGet('maxmemory')).toBe(String(64 * 2 ** 20));
    expect(await mysqlVar('max_connections')).toBe('222');
    const state = JSON.parse(await sh('cat /var/lib/stackscale/state.json'));
    expect(state.files.map((f: { path: string }) => f.path).sort()).toEqual([CNF, POOL, REDIS].sort());
    expect(await sh(`stat -c '%a %U %G' ${REDIS}`)).toBe('640 redis redis\n');
    expect(r.lines.join('\n')).not.toContain(PASSWORD);
    // The deploy lock (a directory named lock) is gone; other files there are not this test's business.
    expect(await sh('test -e /var/lib/stackscale/lock && echo held || echo free')).toBe('free\n');
  });

  it('the same files again: nothing written, no reload, the master PIDs unchanged', async () => {
    await inForce(initial());
    const before = await pids();
    const r = await deploy(initial());
    expect(r.status).toBe('unchanged');
    expect(r.actions).toEqual([]);
    expect(await pids()).toBe(before);
  });

  it('runtime changes: Redis CONFIG SET and MariaDB SET GLOBAL, no restart; php-fpm reloads gracefully', async () => {
    await inForce(initial());
    const redisPid = (await pids()).split('\n')[1];
    const r = await deploy(raised());
    expect(r.error).toBeUndefined();
    expect(r.actions).toEqual(['mysql runtime', 'redis runtime', 'php-fpm reload']);
    expect(await redisGet('maxmemory')).toBe(String(96 * 2 ** 20));
    expect(await mysqlVar('max_connections')).toBe('250');
    expect((await pids()).split('\n')[1]).toBe(redisPid);
    expect((await fpmStatus())['total processes']).toBe(8);
  });

  it('a candidate php-fpm rejects: the live file untouched, nothing reloaded, the checker message shown', async () => {
    await inForce(raised());
    const live = await sh(`cat ${POOL}`);
    const before = await pids();
    const r = await deploy(files(pool(30, 8, 0, 12), redisConf('96mb'), cnf(250)));
    expect(r.status).toBe('failed');
    expect(r.error?.step).toBe('check');
    expect(r.error?.output).toMatch(/min_spare_servers\(0\) must be a positive value/);
    expect(await sh(`cat ${POOL}`)).toBe(live);
    expect(await pids()).toBe(before);
    expect(await leftovers()).toBe('');
  });

  it('a MariaDB candidate with an unknown variable is refused by mariadbd --help --verbose', async () => {
    await inForce(raised());
    const r = await deploy(files(pool(30, 8, 4, 12), redisConf('96mb'), cnf(250) + 'max_connectionz = 5\n'));
    expect(r.status).toBe('failed');
    expect(r.error?.output).toMatch(/unknown variable 'max_connectionz=5'/);
    expect(await mysqlVar('max_connections')).toBe('250');
  });

  it('a Redis file the server cannot start on: files restored, Redis running on the old file', async () => {
    await inForce(raised());
    const live = await sh(`cat ${REDIS}`);
    // 10.255.255.1 is not on the host: redis cannot bind it (no "-" prefix), so the restart fails after the swap.
    const bad = redisConf('96mb').replace(`bind 127.0.0.1 -::1 ${host.address}`, 'bind 127.0.0.1 10.255.255.1').replace('tcp-backlog 511', 'tcp-backlog 256');
    const r = await deploy(files(pool(30, 8, 4, 12), bad, cnf(250)));
    expect(r.status).toBe('rolled-back');
    expect(r.restored).toBe(true);
    expect(await sh(`cat ${REDIS}`)).toBe(live);
    expect(await redisGet('maxmemory')).toBe(String(96 * 2 ** 20));
    expect(await leftovers()).toBe('');
  });

  it('two applies at once: the second is refused on the lock, naming the holder', async () => {
    await inForce(raised());
    const a = deploy(files(pool(31, 8, 4, 12), redisConf('96mb'), cnf(250)));
    const b = deploy(files(pool(32, 8, 4, 12), redisConf('96mb'), cnf(250)), { owner: { user: 'second', machine: 'm2', pid: 2, time: 't', deployId: 'x' } });
    const settled = await Promise.allSettled([a, b]);
    const refused = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    expect(refused).toHaveLength(1);
    expect(String(refused[0].reason.message)).toMatch(/locked by (tester@ci|second@m2) \(pid \d+, deploy \S+\) since/);
    expect(settled.filter((s) => s.status === 'fulfilled' && s.value.status === 'applied')).toHaveLength(1);
  });

  it('the connection cut mid-apply: every file whole; the next run removes the temp files and converges', async () => {
    await inForce(raised());
    const wanted = files(pool(40, 9, 4, 12), redisConf('128mb'), cnf(260));
    const t = await connect();
    const o = options();
    const j = await job(t, wanted);
    // Cut the SSH connection right after the first file is swapped into place: the others' candidates are written.
    const real = t.run.bind(t);
    let swaps = 0;
    t.run = async (cmd, opts) => {
      const r = await real(cmd, opts);
      if (Array.isArray(cmd) && cmd[0] === 'mv' && ++swaps === 1) {
        await t.close();
        throw new Error('connection lost');
      }
      return r;
    };
    await expect(applyHost(j, o)).rejects.toThrow();
    expect(await sh(`cat ${CNF}`)).toBe(cnf(260));
    expect(await sh(`cat ${REDIS}`)).toBe(redisConf('96mb'));
    expect(await leftovers()).not.toBe('');
    // The next run finds the lock of the dead run: refused, then --break-lock converges.
    await expect(deploy(wanted)).rejects.toThrow(/locked by tester@ci/);
    const r = await deploy(wanted, { breakLock: true });
    expect(r.status).toBe('applied');
    expect(r.notes.join('\n')).toMatch(/removed \d+ temp file/);
    expect(await leftovers()).toBe('');
    expect(await mysqlVar('max_connections')).toBe('260');
    expect(await redisGet('maxmemory')).toBe(String(128 * 2 ** 20));
    expect((await fpmStatus())['total processes']).toBe(9);
    expect((await deploy(wanted)).status).toBe('unchanged');
  });

  it('a non-root user with sudo can apply', async () => {
    const r = await deploy(files(pool(41, 9, 4, 12), redisConf('128mb'), cnf(260)), {}, 'deploy');
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('applied');
    expect(await sh(`stat -c '%U %G' ${POOL}`)).toBe('root root\n');
  });
});

describe('drift', () => {
  it('a managed file edited by hand shows as drift in the plan; apply puts it right', async () => {
    const wanted = files(pool(41, 9, 4, 12), redisConf('128mb'), cnf(260));
    expect((await deploy(wanted)).status).toMatch(/applied|unchanged/);
    await sh(`sed -i 's/^pm.max_children = 41$/pm.max_children = 3/' ${POOL}`);
    const t = await connect();
    try {
      const j = await job(t, wanted);
      const pf = j.plan.files.find((f) => f.path === POOL);
      expect(pf).toMatchObject({ status: 'changed', drift: true });
      expect(pf?.diff).toContain('-pm.max_children = 3');
      const r = await applyHost(j, options());
      expect(r.status).toBe('applied');
      expect(r.actions).toEqual(['php-fpm reload']);
    } finally {
      await t.close();
    }
    expect(await sh(`grep max_children ${POOL}`)).toBe('pm.max_children = 41\n');
  });
});
