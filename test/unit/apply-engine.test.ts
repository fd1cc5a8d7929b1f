import { describe, expect, test } from 'vitest';
import { applyHost } from '../../src/apply/host.js';
import { runStages, stagesOf } from '../../src/apply/stages.js';
import { newDeployId, nextState, parseState, KEEP_DEPLOYMENTS, type Deployment } from '../../src/apply/record.js';
import { configSetCommands, setGlobalValue, setGlobalSql, redisEndpoint } from '../../src/daemons/health.js';
import { replicaHealth } from '../../src/apply/services.js';
import { parseReplicaStatus, parseVertical } from '../../src/replication/status.js';
import { dialectFor } from '../../src/replication/flavour.js';
import type { EngineOptions, HostJob } from '../../src/apply/types.js';
import { planHost } from '../../src/plan/build.js';
import type { RenderedFile } from '../../src/render/types.js';
import type { FakeTransport } from '../../src/transport/double.js';
import { actingCommands, facts, fakeHost, splitShell } from './apply-fake-host.js';

const POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
const REDIS = '/etc/redis/redis.conf';
const ID = '20250101T000000Z-abcd';
const OLD_POOL = '[www]\nlisten = /run/php/php8.2-fpm.sock\nping.path = /fpm-ping\npm.max_children = 5\n';
const NEW_POOL = '[www]\nlisten = /run/php/php8.2-fpm.sock\nping.path = /fpm-ping\npm.max_children = 200\n';
const OLD_REDIS = 'port 6379\nrequirepass "old-secret"\nmaxmemory 100mb\ntcp-backlog 511\n';

function file(path: string, content: string, service: RenderedFile['service'], extra: Partial<RenderedFile> = {}): RenderedFile {
  return { host: 'web1', path, content, mode: 0o644, owner: 'root', group: 'root', service, secrets: [], ...extra };
}

function job(fake: FakeTransport, live: Record<string, string>, files: RenderedFile[], roles = ['web', 'cache']): HostJob {
  const f = facts(live);
  return { host: 'web1', roles, transport: fake, facts: f, plan: planHost({ name: 'web1', roles }, files, f, {}), files, sql: [] };
}

const progress: string[] = [];
function options(over: Partial<EngineOptions> = {}): EngineOptions {
  return {
    deployId: ID, profile: '1000', toolVersion: '0.1.0',
    owner: { user: 'ci', machine: 'runner', pid: 42, time: '2025-01-01T00:00:00.000Z', deployId: ID },
    lockTimeoutMs: 0, breakLock: false,
    progress: (h, s) => progress.push(`[${h}] ${s}`),
    mask: (t) => t.split('new-secret').join('********').split('old-secret').join('********'),
    sleep: async () => undefined,
    now: () => new Date('2025-01-01T00:00:00Z'),
    healthTimeoutMs: 0,
    ...over,
  };
}

const LOCK = ['sh', '-c', expect.any(String), 'stackscale-lock', '/var/lib/stackscale/lock'];
const TMP_POOL = `/etc/php/8.2/fpm/pool.d/.www.conf.stackscale-${ID}`;

describe('applyHost', () => {
  test('a pool change: candidate, check, backup, swap, graceful reload, ping, record — in that order', async () => {
    const fake = fakeHost({ [POOL]: OLD_POOL });
    const r = await applyHost(job(fake, { [POOL]: OLD_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]), options());
    expect(r.status).toBe('applied');
    expect(fake.text(POOL)).toBe(NEW_POOL);
    const acting = actingCommands(fake).map(splitShell);
    expect(acting[0]).toEqual(LOCK);
    expect(acting.slice(1, 9).map((a) => (a[0] === 'sh' ? `sh ${a[3]} ${a.slice(4).join(' ')}` : a.join(' ')))).toEqual([
      `WRITE ${TMP_POOL}`,
      `sh stackscale-check /etc/php/8.2/fpm/php-fpm.conf /etc/php/8.2/fpm/pool.d ${POOL} ${TMP_POOL} /usr/sbin/php-fpm8.2`,
      'WRITE /var/lib/stackscale/pending.json',
      `sh stackscale-backup ${POOL} /var/backups/stackscale/${ID}/etc/php/8.2/fpm/pool.d/www.conf`,
      `mv -f -- ${TMP_POOL} ${POOL}`,
      'systemctl reload php8.2-fpm',
      'php -- /run/php/php8.2-fpm.sock /fpm-ping',
      `sh stackscale-backup ${POOL} /var/backups/stackscale/${ID}/.deployed/etc/php/8.2/fpm/pool.d/www.conf`,
    ]);
    expect(acting.at(-1)).toEqual(['rm', '-rf', '--', '/var/lib/stackscale/lock']);
    const state = parseState(fake.text('/var/lib/stackscale/state.json'));
    expect(state).toMatchObject({ deployId: ID, profile: '1000', toolVersion: '0.1.0', kind: 'apply' });
    expect(state?.files[0]).toMatchObject({ path: POOL, backup: `/var/backups/stackscale/${ID}${POOL}`, service: 'php-fpm' });
    expect(fake.files.has('/var/lib/stackscale/pending.json')).toBe(false);
    expect(fake.files.has('/var/lib/stackscale/lock/owner')).toBe(false);
  });

  test('on a host without systemd the init script reloads php-fpm', async () => {
    const fake = fakeHost({ [POOL]: OLD_POOL });
    const j = job(fake, { [POOL]: OLD_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]);
    j.facts.initSystem = 'sysv';
    await applyHost(j, options());
    expect(fake.commands()).toContain('service php8.2-fpm reload');
  });

  test('a runtime Redis change: CONFIG SET on stdin after AUTH with the password in force, no restart', async () => {
    const fake = fakeHost({ [REDIS]: OLD_REDIS });
    const next = OLD_REDIS.replace('maxmemory 100mb', 'maxmemory 2gb');
    const r = await applyHost(job(fake, { [REDIS]: OLD_REDIS }, [file(REDIS, next, 'redis', { secrets: ['redis_password'], mode: 0o640, group: 'redis' })]), options());
    expect(r.status).toBe('applied');
    const redisCalls = fake.log.filter((c) => c.command.startsWith('redis-cli'));
    expect(redisCalls.map((c) => [c.command, c.stdin])).toEqual([
      ['redis-cli -h 127.0.0.1 -p 6379', 'AUTH "old-secret"\nCONFIG SET maxmemory "2gb"\n'],
      ['redis-cli -h 127.0.0.1 -p 6379', 'AUTH "old-secret"\nPING\n'],
    ]);
    expect(fake.commands().some((c) => /systemctl|service /.test(c))).toBe(false);
    // the secret never reaches argv
    expect(fake.commands().some((c) => c.includes('old-secret'))).toBe(false);
    expect(fake.files.get(`/etc/redis/.redis.conf.stackscale-${ID}`)).toBeUndefined();
    expect(fake.files.get(REDIS)).toMatchObject({ mode: 0o640, group: 'redis' });
  });

  test('a restart-only Redis change restarts the service', async () => {
    const fake = fakeHost({ [REDIS]: OLD_REDIS });
    const next = OLD_REDIS.replace('tcp-backlog 511', 'tcp-backlog 4096');
    const r = await applyHost(job(fake, { [REDIS]: OLD_REDIS }, [file(REDIS, next, 'redis')]), options());
    expect(r.actions).toEqual(['redis restart']);
    expect(fake.commands()).toContain('systemctl restart redis-server');
    expect(fake.commands().some((c) => c.startsWith('redis-cli') && false)).toBe(false);
  });

  test('a candidate the checker rejects: nothing swapped, nothing reloaded, the message shown, temp removed', async () => {
    const fake = fakeHost({ [POOL]: OLD_POOL }, {
      checker: () => ({ code: 78, stderr: "ERROR: [pool www] pm.min_spare_servers(0) must be a positive value\nERROR: FPM initialization failed\n" }),
    });
    const r = await applyHost(job(fake, { [POOL]: OLD_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]), options());
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ step: 'check' });
    expect(r.error?.message).toContain('exit 78');
    expect(r.error?.output).toContain('pm.min_spare_servers(0) must be a positive value');
    expect(fake.text(POOL)).toBe(OLD_POOL);
    expect(fake.commands().some((c) => /^(mv|systemctl|service) /.test(c))).toBe(false);
    expect(fake.commands()).toContain(`rm -f -- ${TMP_POOL}`);
    expect(fake.files.has(TMP_POOL)).toBe(false);
    expect(fake.files.has('/var/lib/stackscale/state.json')).toBe(false);
    expect(fake.files.has('/var/lib/stackscale/lock/owner')).toBe(false);
  });

  test('a health check failing after the swap: the old file restored, reloaded again, re-checked', async () => {
    let pings = 0;
    const fake = fakeHost({ [POOL]: OLD_POOL }, { fpmPing: () => (++pings === 1 ? { code: 2, stdout: '' } : { code: 0, stdout: 'pong' }) });
    const r = await applyHost(job(fake, { [POOL]: OLD_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]), options());
    expect(r.status).toBe('rolled-back');
    expect(r.error?.step).toBe('health');
    expect(r.restored).toBe(true);
    expect(fake.text(POOL)).toBe(OLD_POOL);
    const acting = actingCommands(fake).map((c) => splitShell(c.replace(/^WRITE /, 'WRITE ')));
    const tail = acting.slice(-5).map((a) => (a[0] === 'sh' ? `sh ${a[3]} ${a.slice(4).join(' ')}` : a.join(' ')));
    expect(tail).toEqual([
      `sh stackscale-restore /var/backups/stackscale/${ID}${POOL} ${POOL}`,
      'systemctl reload php8.2-fpm',
      'php -- /run/php/php8.2-fpm.sock /fpm-ping',
      'rm -f -- /var/lib/stackscale/pending.json',
      'rm -rf -- /var/lib/stackscale/lock',
    ]);
    expect(fake.files.has('/var/lib/stackscale/state.json')).toBe(false);
  });

  test('a new file that fails its health check is removed again', async () => {
    const fake = fakeHost({}, { fpmPing: () => ({ code: 2, stdout: '' }) });
    const r = await applyHost(job(fake, {}, [file(POOL, NEW_POOL, 'php-fpm')]), options());
    expect(r.status).toBe('rolled-back');
    expect(fake.files.has(POOL)).toBe(false);
    expect(fake.commands()).toContain(`rm -f -- ${POOL}`);
  });

  test('a held lock: refused naming the holder and since when; nothing written', async () => {
    const holder = { user: 'alice', machine: 'laptop', pid: 7, time: '2024-12-31T23:00:00.000Z', deployId: 'other' };
    const fake = fakeHost({ [POOL]: OLD_POOL, '/var/lib/stackscale/lock/owner': JSON.stringify(holder) });
    await expect(applyHost(job(fake, { [POOL]: OLD_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]), options())).rejects.toThrow(
      /locked by alice@laptop \(pid 7, deploy other\) since 2024-12-31T23:00:00.000Z/,
    );
    expect(fake.log.filter((c) => c.kind === 'write')).toEqual([]);
    expect(fake.text(POOL)).toBe(OLD_POOL);
    expect(fake.files.has('/var/lib/stackscale/lock/owner')).toBe(true);
  });

  test('--break-lock removes a stale lock and goes on', async () => {
    const fake = fakeHost({ [POOL]: OLD_POOL, '/var/lib/stackscale/lock/owner': '{"user":"dead"}' });
    const r = await applyHost(job(fake, { [POOL]: OLD_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]), options({ breakLock: true }));
    expect(r.status).toBe('applied');
  });

  test('nothing to change: no lock, no write, no reload, no record', async () => {
    const fake = fakeHost({ [POOL]: NEW_POOL });
    const r = await applyHost(job(fake, { [POOL]: NEW_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]), options());
    expect(r.status).toBe('unchanged');
    expect(fake.log.map((c) => `${c.kind} ${c.command}`)).toEqual([
      `run find /etc/php/8.2/fpm/pool.d -maxdepth 1 -type f '(' -name '.*.stackscale-*' -o -name '.stackscale.??????' ')' -print`,
      'read /var/lib/stackscale/pending.json',
    ]);
  });

  test('temp files left by an interrupted run are removed, and its services converge', async () => {
    const fake = fakeHost({
      [POOL]: NEW_POOL,
      [`/etc/php/8.2/fpm/pool.d/.www.conf.stackscale-older`]: 'half',
      '/var/lib/stackscale/pending.json': JSON.stringify({ deployId: 'older', actions: [{ service: 'php-fpm', kind: 'reload' }] }),
    });
    const r = await applyHost(job(fake, { [POOL]: NEW_POOL }, [file(POOL, NEW_POOL, 'php-fpm')]), options());
    expect(r.status).toBe('applied');
    expect(fake.files.has('/etc/php/8.2/fpm/pool.d/.www.conf.stackscale-older')).toBe(false);
    expect(fake.commands()).toContain('systemctl reload php8.2-fpm');
    expect(fake.files.has('/var/lib/stackscale/pending.json')).toBe(false);
  });
});

describe('stages', () => {
  test('role order: db-primary, db-replica, proxysql, cache, web; a one-VPS host is the first stage', () => {
    const jobs = [
      { host: 'web1', roles: ['web'] }, { host: 'r1', roles: ['db-replica'] }, { host: 'db1', roles: ['db-primary'] },
      { host: 'cache1', roles: ['cache'] }, { host: 'px', roles: ['proxysql'] }, { host: 'web2', roles: ['web'] },
    ];
    expect(stagesOf(jobs).map((s) => s.map((j) => j.host))).toEqual([['db1'], ['r1'], ['px'], ['cache1'], ['web1', 'web2']]);
    expect(stagesOf([{ host: 'all', roles: ['web', 'cache', 'db-primary'] }]).map((s) => s.map((j) => j.host))).toEqual([['all']]);
  });

  test('a failed stage stops later stages: their hosts are not touched', async () => {
    const touched: string[] = [];
    const jobs = ['db1', 'web1'].map((h) => ({ host: h, roles: [h === 'db1' ? 'db-primary' : 'web'] }) as HostJob);
    const res = await runStages(jobs, options(), 4, async (j) => {
      touched.push(j.host);
      return { host: j.host, status: 'rolled-back', changed: [], actions: [], steps: [], notes: [] };
    });
    expect(touched).toEqual(['db1']);
    expect(res.ok).toBe(false);
    expect(res.hosts.map((h) => h.status)).toEqual(['rolled-back', 'skipped']);
  });
});

describe('record and values', () => {
  test('keeps the last 10 deployments, newest first, and names the rest for pruning', () => {
    let state = undefined as ReturnType<typeof nextState>['state'] | undefined;
    let pruned: string[] = [];
    for (let i = 0; i < 12; i++) {
      const d: Deployment = { deployId: `d${String(i).padStart(2, '0')}`, time: '', profile: '1000', toolVersion: '0', kind: 'apply', files: [] };
      const next = nextState(state, d);
      state = next.state;
      pruned = pruned.concat(next.prune);
    }
    expect(state?.deployments).toHaveLength(KEEP_DEPLOYMENTS);
    expect(state?.deployments[0].deployId).toBe('d11');
    expect(pruned).toEqual(['d00', 'd01']);
  });

  test('deploy ids sort by time', () => {
    expect(newDeployId(new Date('2025-03-04T05:06:07.891Z'), () => 0.5)).toBe('20250304T050607Z-8000');
  });

  test('SET GLOBAL values: suffixes expanded, strings quoted', () => {
    expect(setGlobalValue('1G')).toBe(String(2 ** 30));
    expect(setGlobalValue('0.5')).toBe('0.5');
    expect(setGlobalValue('/var/log/mysql/slow.log')).toBe("'/var/log/mysql/slow.log'");
    expect(setGlobalSql(['max_connections', 'innodb_buffer_pool_size'], '[mysqld]\nmax_connections = 300\ninnodb_buffer_pool_size = 512M\n')).toBe(
      'SET GLOBAL max_connections = 300;\nSET GLOBAL innodb_buffer_pool_size = 536870912;\n',
    );
  });

  test('CONFIG SET: multi-word and repeated values become one argument', () => {
    expect(configSetCommands(['bind', 'save'], 'bind 127.0.0.1 -::1 10.0.0.5\nsave 3600 1\nsave 300 100\n')).toEqual([
      'CONFIG SET bind "127.0.0.1 -::1 10.0.0.5"',
      'CONFIG SET save "3600 1 300 100"',
    ]);
    expect(configSetCommands(['save'], 'save ""\n')).toEqual(['CONFIG SET save ""']);
    expect(redisEndpoint('port 6380\nrequirepass "a\\"b"\n')).toEqual({ port: 6380, password: 'a"b' });
  });

  test('replica status in both flavours', () => {
    const health = (out: string, d = dialectFor('mariadb', '10.11')) => replicaHealth(parseReplicaStatus(parseVertical(out)[0], d));
    expect(health('')).toBeUndefined();
    expect(health('*** 1. row ***\n  Slave_IO_Running: Yes\n Slave_SQL_Running: Yes\n')?.running).toBe(true);
    expect(health('*** 1. row ***\nReplica_IO_Running: Connecting\nReplica_SQL_Running: Yes\nLast_IO_Error: access denied\n', dialectFor('mysql', '8.4.0'))).toEqual({
      running: false, detail: 'IO thread Connecting, SQL thread Yes: access denied',
    });
  });
});
