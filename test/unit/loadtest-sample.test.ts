// The sampler against the test transport: what one sample of a host with every role reads (exactly the status probes'
// read-only commands plus /proc), the Redis password on stdin only (the site's, else the host's own when the site's is
// refused), a host whose daemons do not answer (left out, never thrown), and the sampler's first and last samples
// around a run.
import { describe, expect, it } from 'vitest';
import { FCGI_CLIENT_PHP } from '../../src/daemons/fastcgi.js';
import type { HostSpec, Role } from '../../src/config/types.js';
import type { HostFacts } from '../../src/facts/types.js';
import { SiteSampler, sampleHost } from '../../src/loadtest/sample.js';
import { POOL_QUERY } from '../../src/status/probes.js';
import { FakeTransport } from '../../src/transport/double.js';

const POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
const FPM_JSON =
  '{"pool":"www","process manager":"dynamic","start time":1795749518,"start since":3,"accepted conn":1,"listen queue":3,' +
  '"max listen queue":5,"listen queue len":0,"idle processes":0,"active processes":4,"total processes":4,"max active processes":4,' +
  '"max children reached":2,"slow requests":0}';
const INFO = ['# Stats', 'keyspace_hits:900', 'keyspace_misses:100', ''].join('\r\n');
const STATUS = 'Connections\t8\nMax_used_connections\t17\nThreads_connected\t6\nThreads_running\t1\nUptime\t7211\nmax_connections\t151\n';
const POOL_BATCH = 'hostgroup\tsrv_host\tsrv_port\tstatus\tConnUsed\tConnFree\tConnOK\tConnERR\tMaxConnUsed\tQueries\n10\t10.0.0.31\t3306\tONLINE\t42\t8\t50\t0\t61\t1\n20\t10.0.0.32\t3306\tONLINE\t7\t3\t10\t0\t9\t1\n';
const PROC = 'cpu  100 0 50 800 50 0 0 0 0 0\nMemTotal:       2048 kB\nMemAvailable:   1024 kB\n';

function facts(files: Record<string, string>): HostFacts {
  return {
    host: 'web1', os: { id: 'debian', versionId: '12', prettyName: 'Debian 12' }, hostname: 'web1', memory: 8 * 2 ** 30, cores: 4, somaxconn: 4096, initSystem: 'sysv',
    php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: true },
    redis: { version: '7.0.15', service: 'redis-server', running: true },
    db: { flavour: 'mariadb', version: '10.11.19', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: true },
    proxysql: { version: '2.4.8', running: true },
    files: Object.fromEntries(Object.entries(files).map(([path, content]) => [path, { path, exists: true, content }])),
  };
}

const host = (roles: Role[]): HostSpec => ({ name: 'web1', address: '203.0.113.10', privateAddress: '10.0.0.10', port: 22, user: 'root', roles });
const files = { [POOL]: '[www]\nlisten = /run/php/php8.2-fpm.sock\npm.max_children = 4\npm.status_path = /fpm-status\n', '/etc/redis/redis.conf': 'port 6379\nrequirepass "conf-pw"\n' };

function fake(redisPassword: string): FakeTransport {
  return new FakeTransport('web1')
    .on(/\/proc\/stat/, { stdout: PROC })
    .on('php -- /run/php/php8.2-fpm.sock /fpm-status json', (_, o) => ({ code: String(o.stdin) === FCGI_CLIENT_PHP ? 0 : 2, stdout: FPM_JSON }))
    .on('redis-cli -h 127.0.0.1 -p 6379', (_, o) => {
      const auth = /^AUTH "(.*)"$/.exec(String(o.stdin).split('\n')[0])?.[1];
      return { stdout: auth === redisPassword ? `OK\n${INFO}` : 'WRONGPASS invalid username-password pair or user is disabled.\n\nNOAUTH Authentication required.\n' };
    })
    .on('mariadb --batch --skip-column-names', { stdout: STATUS })
    .on(/--defaults-extra-file/, (_, o) => ({ stdout: String(o.stdin).includes(POOL_QUERY) ? POOL_BATCH : '' }));
}

describe('sampleHost', () => {
  it('reads every role\'s figures with the status probes and /proc, passwords on stdin only', async () => {
    const t = fake('site-pw');
    const s = await sampleHost({ host: host(['web', 'cache', 'proxysql', 'db-primary']), transport: t, facts: facts(files) }, { redisPassword: 'site-pw', proxysqlAdminPassword: 'adm-pw' });
    expect(s).toEqual({
      cpu: { busy: 150, total: 1000 },
      mem: { total: 2048 * 1024, available: 1024 * 1024 },
      fpm: { active: 4, listenQueue: 3, maxChildrenReached: 2, total: 4 },
      redis: { hits: 900, misses: 100 },
      mysql: { threadsConnected: 6, connections: 8, maxUsed: 17 },
      proxysql: { used: 49 },
    });
    expect(t.log.filter((c) => c.kind !== 'run')).toEqual([]);
    for (const c of t.log) expect(c.command).not.toMatch(/site-pw|adm-pw|conf-pw/);
    expect(t.log.find((c) => c.command.startsWith('redis-cli'))?.stdin).toBe('AUTH "site-pw"\nINFO stats\n');
  });

  it('falls back to the password in the host\'s redis.conf when the site\'s is refused', async () => {
    const t = fake('conf-pw');
    const s = await sampleHost({ host: host(['cache']), transport: t, facts: facts(files) }, { redisPassword: 'stale-pw' });
    expect(s.redis).toEqual({ hits: 900, misses: 100 });
    expect(t.log.filter((c) => c.command.startsWith('redis-cli')).map((c) => c.stdin)).toEqual(['AUTH "stale-pw"\nINFO stats\n', 'AUTH "conf-pw"\nINFO stats\n']);
  });

  it('leaves out what does not answer, and never throws', async () => {
    const t = new FakeTransport('web1').on(/./, { code: 1, stderr: 'Connection refused' });
    const s = await sampleHost({ host: host(['web', 'cache', 'db-primary']), transport: t, facts: facts(files) }, {});
    expect(s).toEqual({});
  });
});

describe('SiteSampler', () => {
  it('takes a sample before the load and one after it, and samples in between until stopped', async () => {
    const sampler = new SiteSampler([{ host: host(['db-primary']), transport: fake('x'), facts: facts(files) }], {}, 50);
    const t0 = performance.now();
    await sampler.start(t0);
    expect(sampler.samples).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 180));
    await sampler.stop(t0);
    const n = sampler.samples.length;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(sampler.samples.map((s) => s.t)).toEqual([...sampler.samples.map((s) => s.t)].sort((a, b) => a - b));
    expect(sampler.samples[n - 1].hosts.web1.mysql).toEqual({ threadsConnected: 6, connections: 8, maxUsed: 17 });
    await new Promise((r) => setTimeout(r, 120));
    expect(sampler.samples).toHaveLength(n); // stopped means stopped
  });
});
