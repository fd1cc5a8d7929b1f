// Helpers for the end-to-end tests of apply and rollback on a host of the test file's own: hand-written config
// files, a small facts reader, and probes of the running daemons (FPM status page, Redis CONFIG GET, @@variables).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { applyHost } from '../../src/apply/host.js';
import { FCGI_CLIENT_PHP } from '../../src/daemons/fastcgi.js';
import { parseState } from '../../src/apply/record.js';
import type { EngineOptions, HostJob, HostResult } from '../../src/apply/types.js';
import type { HostFacts, ManagedFileState } from '../../src/facts/types.js';
import { planHost } from '../../src/plan/build.js';
import type { RenderedFile } from '../../src/render/types.js';
import { connectSsh } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

export const POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
export const REDIS = '/etc/redis/redis.conf';
export const CNF = '/etc/mysql/mariadb.conf.d/60-stackscale.cnf';
export const PASSWORD = 'e2e s3cret "quoted"';

export let host: TestHost;
let hostName = 'apply1';

/** Start a host of this test file's own (its tests change it), with all three services; stop it afterwards. */
export function useOwnHost(name: string): void {
  hostName = name;
  beforeAll(async () => {
    [host] = await startHosts([{ name, services: ['php-fpm', 'redis', 'mariadb'] }]);
  }, 120_000);
  afterAll(async () => {
    if (host) await stopHosts([host]);
  });
}

export function pool(maxChildren: number, start: number, minSpare: number, maxSpare: number): string {
  return [
    '[www]', 'user = www-data', 'group = www-data', 'listen = /run/php/php8.2-fpm.sock', 'listen.owner = www-data',
    'listen.group = www-data', 'listen.mode = 0660', 'pm = dynamic', `pm.max_children = ${maxChildren}`,
    `pm.start_servers = ${start}`, `pm.min_spare_servers = ${minSpare}`, `pm.max_spare_servers = ${maxSpare}`,
    'pm.max_requests = 1000', 'pm.status_path = /fpm-status', 'ping.path = /fpm-ping', '',
  ].join('\n');
}

export function redisConf(maxmemory: string, extra = ''): string {
  return [
    `bind 127.0.0.1 -::1 ${host.address}`, 'port 6379', 'protected-mode yes', 'tcp-backlog 511', 'timeout 0', 'tcp-keepalive 300',
    'daemonize yes', 'pidfile /run/redis/redis-server.pid', 'loglevel notice', 'logfile /var/log/redis/redis-server.log',
    'dir /var/lib/redis', `maxmemory ${maxmemory}`, 'maxmemory-policy allkeys-lru', 'maxclients 1000', 'save ""', 'appendonly no',
    `requirepass "${PASSWORD.replace(/"/g, '\\"')}"`, extra, '',
  ].join('\n');
}

export function cnf(maxConnections: number): string {
  return `[mysqld]\nmax_connections = ${maxConnections}\nthread_cache_size = 64\n`;
}

export function files(p: string, r: string, c: string): RenderedFile[] {
  const base = { host: hostName, secrets: [] as RenderedFile['secrets'] };
  return [
    { ...base, path: CNF, content: c, mode: 0o644, owner: 'root', group: 'root', service: 'mysql' },
    { ...base, path: REDIS, content: r, mode: 0o640, owner: 'redis', group: 'redis', service: 'redis', secrets: ['redis_password'] },
    { ...base, path: POOL, content: p, mode: 0o644, owner: 'root', group: 'root', service: 'php-fpm' },
  ];
}

export async function connect(user: 'root' | 'deploy' = 'root'): Promise<Transport> {
  return connectSsh({
    name: hostName, address: host.address, port: host.port, user, identity: host.rootKey,
    knownHostsFile: host.knownHosts, sshConfigFile: null, env: { HOME: '/nonexistent' },
  });
}

/** The facts apply needs, read from the host (what src/facts gathers; kept small and local to this test). */
export async function readFacts(t: Transport, paths: string[]): Promise<HostFacts> {
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
  const state = parseState((await t.readFile('/var/lib/stackscale/state.json'))?.toString('utf8'));
  const running = async (name: string): Promise<boolean> => (await t.run(['pgrep', '-x', name])).code === 0;
  return {
    host: hostName, os: { id: 'debian', versionId: '12', prettyName: 'Debian 12' }, hostname: hostName, memory: 8 * 2 ** 30, cores: 4,
    somaxconn: 4096, initSystem: 'sysv',
    php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: await running('php-fpm8.2') },
    redis: { version: '7.0.15', service: 'redis-server', running: await running('redis-server') },
    db: { flavour: 'mariadb', version: '10.11', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: await running('mariadbd') },
    files: fileStates,
    ...(state ? { lastDeployment: state } : {}),
  };
}

let seq = 0;
export function options(over: Partial<EngineOptions> = {}): EngineOptions & { lines: string[] } {
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

export async function job(t: Transport, wanted: RenderedFile[]): Promise<HostJob> {
  const facts = await readFacts(t, wanted.map((f) => f.path));
  const roles = ['db-primary', 'cache', 'web'];
  return { host: hostName, roles, transport: t, facts, plan: planHost({ name: hostName, roles }, wanted, facts, {}), files: wanted, sql: [] };
}

export async function deploy(wanted: RenderedFile[], over: Partial<EngineOptions> = {}, user: 'root' | 'deploy' = 'root'): Promise<HostResult & { lines: string[] }> {
  const t = await connect(user);
  try {
    const o = options(over);
    const r = await applyHost(await job(t, wanted), o);
    return { ...r, lines: o.lines };
  } finally {
    await t.close();
  }
}

export async function sh(cmd: string, input?: string): Promise<string> {
  const r = await ssh(host, cmd, { input });
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export const fpmStatus = async (): Promise<Record<string, unknown>> =>
  JSON.parse(await sh('php -- /run/php/php8.2-fpm.sock /fpm-status json', FCGI_CLIENT_PHP));
export const redisGet = async (key: string): Promise<string> =>
  (await sh('redis-cli -p 6379', `AUTH "${PASSWORD.replace(/"/g, '\\"')}"\nCONFIG GET ${key}\n`)).trim().split('\n').at(-1) ?? '';
export const mysqlVar = async (name: string): Promise<string> => (await sh('mariadb -N -B', `SELECT @@${name};\n`)).trim();
export const pids = async (): Promise<string> => sh('cat /run/php/php8.2-fpm.pid; echo; cat /run/redis/redis-server.pid');
export const leftovers = async (): Promise<string> =>
  sh(`find /etc/php/8.2/fpm/pool.d /etc/redis /etc/mysql/mariadb.conf.d -name '.*stackscale*'`);

