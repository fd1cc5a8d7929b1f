// The apply engine against a real host (its own, since every test here changes it): real php-fpm, redis-server and
// mariadbd under Debian's init scripts, driven over SSH. The files are written by hand here, so these tests prove
// the engine (checkers, swap, reload/runtime/restart, health, restore, lock, interruption) on the real daemons.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyHost } from '../../src/apply/host.js';
import { FCGI_CLIENT_PHP } from '../../src/apply/health.js';
import type { EngineOptions, HostJob, HostResult } from '../../src/apply/types.js';
import type { HostFacts, ManagedFileState } from '../../src/facts/types.js';
import { planHost } from '../../src/plan/build.js';
import type { RenderedFile } from '../../src/render/types.js';
import { connectSsh } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

const POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
const REDIS = '/etc/redis/redis.conf';
const CNF = '/etc/mysql/mariadb.conf.d/60-stackscale.cnf';
const PASSWORD = 'e2e s3cret "quoted"';

let host: TestHost;
beforeAll(async () => {
  [host] = await startHosts([{ name: 'apply1', services: ['php-fpm', 'redis', 'mariadb'] }]);
}, 120_000);
afterAll(async () => {
  if (host) await stopHosts([host]);
});

function pool(maxChildren: number, start: number, minSpare: number, maxSpare: number): string {
  return [
    '[www]', 'user = www-data', 'group = www-data', 'listen = /run/php/php8.2-fpm.sock', 'listen.owner = www-data',
    'listen.group = www-data', 'listen.mode = 0660', 'pm = dynamic', `pm.max_children = ${maxChildren}`,
    `pm.start_servers = ${start}`, `pm.min_spare_servers = ${minSpare}`, `pm.max_spare_servers = ${maxSpare}`,
    'pm.max_requests = 1000', 'pm.status_path = /fpm-status', 'ping.path = /fpm-ping', '',
  ].join('\n');
}

function redisConf(maxmemory: string, extra = ''): string {
  return [
    `bind 127.0.0.1 -::1 ${host.address}`, 'port 6379', 'protected-mode yes', 'tcp-backlog 511', 'timeout 0', 'tcp-keepalive 300',
    'daemonize yes', 'pidfile /run/redis/redis-server.pid', 'loglevel notice', 'logfile /var/log/redis/redis-server.log',
    'dir /var/lib/redis', `maxmemory ${maxmemory}`, 'maxmemory-policy allkeys-lru', 'maxclients 1000', 'save ""', 'appendonly no',
    `requirepass "${PASSWORD.replace(/"/g, '\\"')}"`, extra, '',
  ].join('\n');
}

function cnf(maxConnections: number): string {
  return `[mysqld]\nmax_connections = ${maxConnections}\nthread_cache_size = 64\n`;
}

function files(p: string, r: string, c: string): RenderedFile[] {
  const base = { host: 'apply1', secrets: [] as RenderedFile['secrets'] };
  return [
    { ...base, path: CNF, content: c, mode: 0o644, owner: 'root', group: 'root', service: 'mysql' },
    { ...base, path: REDIS, content: r, mode: 0o640, owner: 'redis', group: 'redis', service: 'redis', secrets: ['redis_password'] },
    { ...base, path: POOL, content: p, mode: 0o644, owner: 'root', group: 'root', service: 'php-fpm' },
  ];
}

async function connect(user: 'root' | 'deploy' = 'root'): Promise<Transport> {
  return connectSsh({
    name: 'apply1', address: host.address, port: host.port, user, identity: host.rootKey,
    knownHostsFile: host.knownHosts, sshConfigFile: null, env: { HOME: '/nonexistent' },
  });
}

/** The facts apply needs, read from the host (what src/facts gathers; kept small and local to this test). */
async function readFacts(t: Transport, paths: string[]): Promise<HostFacts> {
  const fileStates: Record<string, ManagedFileState> = {};
  for (const path of paths) {
    const content = await t.readFile(path);
    if (!content) {
      fileStates[path] = { path, exists: false };
      continue;
    }
    const st = (await t.run(['stat', '-c', '%a %U %G', '--', path])).stdout.trim().split(' ');
    fileStates[path] = {
      path, exists: true, content: content.toString('utf8'), mode: parseInt(st[0], 8), owner: st[1], group: st[2],
      sha256: createHash('sha256').update(content).digest('hex'),
    };
  }
  const running = async (name: string): Promise<boolean> => (await t.run(['pgrep', '-x', name])).code === 0;
  return {
    host: 'apply1', os: { id: 'debian', versionId: '12', prettyName: 'Debian 12' }, hostname: 'apply1', memory: 8 * 2 ** 30, cores: 4,
    somaxconn: 4096, initSystem: 'sysv',
    php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: await running('php-fpm8.2') },
    redis: { version: '7.0.15', service: 'redis-server', running: await running('redis-server') },
    db: { flavour: 'mariadb', version: '10.11', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: await running('mariadbd') },
    files: fileStates,
  };
}

let seq = 0;
function options(over: Partial<EngineOptions> = {}): EngineOptions & { lines: string[] } {
  const deployId = `20250101T0000${String(10 + seq++).padStart(2, '0')}Z-e2e${seq}`;
  const lines: string[] = [];
  return {
    deployId, profile: 'e2e', toolVersion: '0.0.0-test',
    owner: { user: 'tester', machine: 'ci', pid: process.pid, time: new Date().toISOString(), deployId },
    lockTimeoutMs: 0, breakLock: false,
    progress: (h, s) => lines.push(`[${h}] ${s}`),
    mask: (text) => text.split(PASSWORD).join('********'),
    healthTimeoutMs: 15_000,
    lines,
    ...over,
  };
}

async function job(t: Transport, wanted: RenderedFile[]): Promise<HostJob> {
  const facts = await readFacts(t, wanted.map((f) => f.path));
  const roles = ['db-primary', 'cache', 'web'];
  return { host: 'apply1', roles, transport: t, facts, plan: planHost({ name: 'apply1', roles }, wanted, facts, {}), files: wanted, sql: [] };
}

async function deploy(wanted: RenderedFile[], over: Partial<EngineOptions> = {}, user: 'root' | 'deploy' = 'root'): Promise<HostResult & { lines: string[] }> {
  const t = await connect(user);
  try {
    const o = options(over);
    const r = await applyHost(await job(t, wanted), o);
    return { ...r, lines: o.lines };
  } finally {
    await t.close();
  }
}

async function sh(cmd: string, input?: string): Promise<string> {
  const r = await ssh(host, cmd, { input });
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const fpmStatus = async (): Promise<Record<string, unknown>> =>
  JSON.parse(await sh('php -- /run/php/php8.2-fpm.sock /fpm-status json', FCGI_CLIENT_PHP));
const redisGet = async (key: string): Promise<string> =>
  (await sh('redis-cli -p 6379', `AUTH "${PASSWORD.replace(/"/g, '\\"')}"\nCONFIG GET ${key}\n`)).trim().split('\n').at(-1) ?? '';
const mysqlVar = async (name: string): Promise<string> => (await sh('mariadb -N -B', `SELECT @@${name};\n`)).trim();
const pids = async (): Promise<string> => sh('cat /run/php/php8.2-fpm.pid; echo; cat /run/redis/redis-server.pid');
const leftovers = async (): Promise<string> =>
  sh(`find /etc/php/8.2/fpm/pool.d /etc/redis /etc/mysql/mariadb.conf.d -name '.*stackscale*'`);

describe('apply engine on a real host', () => {
  it('a fresh host: every file deployed, the running services show the new values, the record is written', async () => {
    const r = await deploy(files(pool(20, 6, 4, 10), redisConf('64mb'), cnf(222)));
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
    expect(await sh('ls /var/lib/stackscale')).not.toContain('lock');
  });

  it('the same files again: nothing written, no reload, the master PIDs unchanged', async () => {
    const before = await pids();
    const r = await deploy(files(pool(20, 6, 4, 10), redisConf('64mb'), cnf(222)));
    expect(r.status).toBe('unchanged');
    expect(r.actions).toEqual([]);
    expect(await pids()).toBe(before);
  });

  it('runtime changes: Redis CONFIG SET and MariaDB SET GLOBAL, no restart; php-fpm reloads gracefully', async () => {
    const redisPid = (await pids()).split('\n')[1];
    const r = await deploy(files(pool(30, 8, 4, 12), redisConf('96mb'), cnf(250)));
    expect(r.error).toBeUndefined();
    expect(r.actions).toEqual(['mysql runtime', 'redis runtime', 'php-fpm reload']);
    expect(await redisGet('maxmemory')).toBe(String(96 * 2 ** 20));
    expect(await mysqlVar('max_connections')).toBe('250');
    expect((await pids()).split('\n')[1]).toBe(redisPid);
    expect((await fpmStatus())['total processes']).toBe(8);
  });

  it('a candidate php-fpm rejects: the live file untouched, nothing reloaded, the checker message shown', async () => {
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
    const r = await deploy(files(pool(30, 8, 4, 12), redisConf('96mb'), cnf(250) + 'max_connectionz = 5\n'));
    expect(r.status).toBe('failed');
    expect(r.error?.output).toMatch(/unknown variable 'max_connectionz=5'/);
    expect(await mysqlVar('max_connections')).toBe('250');
  });

  it('a Redis file the server cannot start on: files restored, Redis running on the old file', async () => {
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
    const a = deploy(files(pool(31, 8, 4, 12), redisConf('96mb'), cnf(250)));
    const b = deploy(files(pool(32, 8, 4, 12), redisConf('96mb'), cnf(250)), { owner: { user: 'second', machine: 'm2', pid: 2, time: 't', deployId: 'x' } });
    const settled = await Promise.allSettled([a, b]);
    const refused = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    expect(refused).toHaveLength(1);
    expect(String(refused[0].reason.message)).toMatch(/locked by (tester@ci|second@m2) \(pid \d+, deploy \S+\) since/);
    expect(settled.filter((s) => s.status === 'fulfilled' && s.value.status === 'applied')).toHaveLength(1);
  });

  it('the connection cut mid-apply: every file whole; the next run removes the temp files and converges', async () => {
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
