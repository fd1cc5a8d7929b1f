// Rollback on a real host of its own: the files of an earlier deployment come back byte for byte from the copies that
// deployment kept, go through the same checks, swap and reload as apply, and the daemons run on them.
import { describe, expect, it } from 'vitest';
import { applyHost } from '../../src/apply/host.js';
import { pickTarget, readState, rollbackJob } from '../../src/apply/rollback.js';
import { KEEP_DEPLOYMENTS } from '../../src/apply/record.js';
import {
  CNF, POOL, REDIS, cnf, connect, deploy, files, fpmStatus, mysqlVar, options, pool, readFacts, redisConf, redisGet, sh, useOwnHost,
} from './apply-helpers.js';

useOwnHost('rollback1');

async function rollbackTo(to?: string): Promise<Awaited<ReturnType<typeof applyHost>> & { target: string }> {
  const t = await connect();
  try {
    const state = await readState(t);
    const target = pickTarget('rollback1', state, to);
    const facts = await readFacts(t, target.files.map((f) => f.path));
    const job = await rollbackJob(t, { name: 'rollback1', roles: ['db-primary', 'cache', 'web'] }, facts, target, {});
    const o = options();
    return { ...(await applyHost(job, { ...o, profile: target.profile }, { kind: 'rollback', restoredFrom: target.deployId })), target: target.deployId };
  } finally {
    await t.close();
  }
}

describe('rollback on a real host', () => {
  const first = (): ReturnType<typeof files> => files(pool(20, 6, 4, 10), redisConf('64mb'), cnf(222));
  const second = (): ReturnType<typeof files> => files(pool(30, 8, 4, 12), redisConf('96mb', 'tcp-backlog 256'), cnf(250));

  it('restores the exact bytes of the previous deployment, and the services run on them', async () => {
    const a = await deploy(first());
    expect(a.status).toBe('applied');
    const bytesA = await sh(`sha256sum ${POOL} ${REDIS} ${CNF}`);
    const b = await deploy(second());
    expect(b.status).toBe('applied');
    expect(await redisGet('tcp-backlog')).toBe('256');

    const r = await rollbackTo();
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('applied');
    expect(r.target).toBe(a.deployId);
    expect(await sh(`sha256sum ${POOL} ${REDIS} ${CNF}`)).toBe(bytesA);
    expect((await fpmStatus())['total processes']).toBe(6);
    expect(await redisGet('maxmemory')).toBe(String(64 * 2 ** 20));
    expect(await redisGet('tcp-backlog')).toBe('511');
    expect(await mysqlVar('max_connections')).toBe('222');
    const state = JSON.parse(await sh('cat /var/lib/stackscale/state.json'));
    expect(state).toMatchObject({ kind: 'rollback', restoredFrom: a.deployId });
    expect(state.deployments.map((d: { deployId: string }) => d.deployId)).toEqual([r.deployId, b.deployId, a.deployId]);
  });

  it('--to a named deployment goes forward again; a second rollback to the same state changes nothing', async () => {
    // Its own deployments, whatever an earlier test left: first (a no-op when in force), second, first again.
    await deploy(first());
    const b = await deploy(second());
    expect(b.status).toBe('applied');
    expect((await deploy(first())).status).toBe('applied');
    expect(await mysqlVar('max_connections')).toBe('222');
    const secondId = b.deployId as string;
    const r = await rollbackTo(secondId);
    expect(r.status).toBe('applied');
    expect(await mysqlVar('max_connections')).toBe('250');
    expect(await redisGet('tcp-backlog')).toBe('256');
    expect((await rollbackTo(secondId)).status).toBe('unchanged');
  });

  it('an unknown deployment id is refused, naming the ones kept', async () => {
    await expect(rollbackTo('no-such-id')).rejects.toThrow(/deployment no-such-id is not kept on this host \(one of: /);
  });

  it(`keeps the last ${KEEP_DEPLOYMENTS} deployments' backups and prunes older ones`, async () => {
    for (let i = 0; i < KEEP_DEPLOYMENTS + 1; i++) {
      const r = await deploy(files(pool(40 + i, 8, 4, 12), redisConf('96mb', 'tcp-backlog 256'), cnf(250)));
      expect(r.status).toBe('applied');
    }
    const state = JSON.parse(await sh('cat /var/lib/stackscale/state.json'));
    expect(state.deployments).toHaveLength(KEEP_DEPLOYMENTS);
    const dirs = (await sh('ls /var/backups/stackscale')).trim().split('\n').sort();
    // `original` holds the files as they were before stackscale (rollback --to original): never pruned.
    expect(dirs).toEqual([...state.deployments.map((d: { deployId: string }) => d.deployId), 'original'].sort());
    expect(await sh('stat -c %a /var/backups/stackscale')).toBe('700\n');
  }, 120_000);
});
