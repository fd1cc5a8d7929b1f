// The web tier above the transport: nginx sizing and its derivations, the site file's web keys, the actions a
// changed nginx, sysctl or app config file gets, and the checkers apply runs on them.
import { describe, expect, test } from 'vitest';
import { checkersFor } from '../../src/apply/checkers.js';
import { httpGet, parseHttp } from '../../src/daemons/health.js';
import { parseSite } from '../../src/config/site.js';
import { loadProfile } from '../../src/config/profile.js';
import { InvalidInputError } from '../../src/errors.js';
import type { HostFacts } from '../../src/facts/types.js';
import { decideAction } from '../../src/plan/actions.js';
import { candidatePaths } from '../../src/render/paths.js';
import { envValue, phpString } from '../../src/render/app.js';
import { redisSessionPath } from '../../src/render/fpm.js';
import type { RenderedFile } from '../../src/render/types.js';
import { describeSizing } from '../../src/sizing/describe.js';
import { sizeSite } from '../../src/sizing/model.js';

const profile1000 = loadProfile('1000', { baseDir: process.cwd() });

function site(hosts: string, app = '', top = ''): ReturnType<typeof parseSite> {
  return parseSite(`${top}hosts:\n${hosts}app:\n  database: restro\n  db_user: restro\n${app}profile: 1000\n`, 'site.yaml');
}
const oneHost = (size = '{memory: 16G, cores: 8}') => `  web1:\n    address: 10.0.0.11\n    roles: [web, cache, db-primary]\n    size: ${size}\n`;

describe('nginx sizing', () => {
  test('1000 users on one web host of 8 cores: 1000 x 2 + 200 FastCGI = 2200, + 25% margin, over 8 workers', () => {
    const n = sizeSite(site(oneHost()), profile1000).hosts[0].nginx!;
    expect(n.workerProcesses.value).toBe(8);
    expect(n.workerConnections.value).toBe(1024);
    expect(n.workerConnections.why).toContain('1000 users x 2 keep-alive connections = 2000, + 200 FastCGI connections (pm.max_children 200: each running request holds one) = 2200; + 25% margin = 2750');
    expect(n.workerProcesses.value * n.workerConnections.value).toBeGreaterThanOrEqual(2750);
    expect(n.workerRlimitNofile.value).toBe(2 * n.workerConnections.value);
    expect(n.keepaliveTimeout.value).toBe(15); // a request every 10 s + 5 s
    expect(n.listenBacklog.value).toBe(1024);
    expect(n.somaxconn.value).toBeGreaterThanOrEqual(n.listenBacklog.value);
    expect(n.fastcgiReadTimeout.value).toBe(65); // request_terminate_timeout 60 s + 5 s
    expect(n.upstreamKeepalive.value).toBe(3); // min spare 30 / 8 workers
    expect([n.rate.value, n.burst.value, n.connPerAddress.value, n.retryAfter]).toEqual([60, 20, 32, 1]);
    expect(n.allow).toEqual(['127.0.0.0/8', '::1', '10.0.0.11']);
    expect(n.memory.value).toBeLessThan(128 * 2 ** 20);
  });

  test('fewer cores: more connections per worker, the total still holds the need', () => {
    const n = sizeSite(site(oneHost('{memory: 16G, cores: 2}')), profile1000).hosts[0].nginx!;
    expect(n.workerProcesses.value).toBe(2);
    expect(n.workerConnections.value).toBe(1536); // 2750 / 2 = 1375, rounded up to 256
  });

  test('pins change each value and say what the model gives', () => {
    const pinned = { ...profile1000, pins: { 'nginx.worker_connections': 4096, 'nginx.rate_per_minute': 120, 'nginx.burst': 50 } };
    const n = sizeSite(site(oneHost()), pinned).hosts[0].nginx!;
    expect([n.workerConnections.value, n.rate.value, n.burst.value]).toEqual([4096, 120, 50]);
    expect(n.workerConnections.why).toMatch(/^pinned by profile 1000 \(nginx.worker_connections\); the model gives 1024/);
    expect(n.workerRlimitNofile.value).toBe(8192);
  });

  test('two web hosts and an lb: each web host sized for its half, the lb for every user; limits move to the lb', () => {
    const s = sizeSite(site(
      '  lb1:\n    address: 10.0.0.5\n    roles: [lb]\n    size: {memory: 2G, cores: 2}\n' +
      '  web1:\n    address: 10.0.0.11\n    roles: [web, cache, db-primary]\n    size: {memory: 16G, cores: 4}\n' +
      '  web2:\n    address: 10.0.0.12\n    roles: [web]\n    size: {memory: 16G, cores: 4}\n',
    ), profile1000);
    const [lb, web1] = s.hosts;
    expect(web1.nginx!.workerConnections.why).toContain('1000 users / 2 web hosts = 500 x 2 keep-alive connections = 1000, + 100 FastCGI');
    expect(web1.nginx!.rateLimited).toBe(false);
    expect(web1.nginx!.realIpFrom).toEqual(['10.0.0.5']);
    expect(lb.nginx!.kind).toBe('lb');
    expect(lb.nginx!.rateLimited).toBe(true);
    expect(lb.nginx!.backends).toEqual([{ name: 'web1', address: '10.0.0.11', port: 80 }, { name: 'web2', address: '10.0.0.12', port: 80 }]);
    expect(lb.nginx!.workerConnections.why).toContain('1000 users x 2 keep-alive connections = 2000, + 200 backend connections');
    expect(lb.fpm).toBeUndefined();
  });

  test('web_server: none: PHP-FPM sized, no nginx anywhere', () => {
    const s = sizeSite(site(oneHost(), '', 'web_server: none\n'), profile1000);
    expect(s.hosts[0].fpm).toBeDefined();
    expect(s.hosts[0].nginx).toBeUndefined();
  });

  test('profiles show explains every nginx number', () => {
    const text = describeSizing(sizeSite(site(oneHost()), profile1000)).join('\n');
    for (const name of ['worker_processes', 'worker_connections', 'worker_rlimit_nofile (and LimitNOFILE)', 'keepalive_timeout', 'keepalive_requests', 'listen backlog', 'net.core.somaxconn', 'net.ipv4.tcp_max_syn_backlog', 'fastcgi_read_timeout', 'upstream keepalive (FastCGI)', 'limit_req rate per address', 'limit_req burst (nodelay)', 'limit_conn per address', 'nginx memory']) {
      expect(text).toMatch(new RegExp(`\\n    ${name.replace(/[()]/g, '\\$&')} = [^:]+: .{20,}`));
    }
  });
});

describe('the site file', () => {
  const refusal = (text: string): string[] => {
    try {
      parseSite(text, 'site.yaml');
    } catch (err) {
      return (err as InvalidInputError).problems.map((p) => `${p.where} ${p.path ?? ''}: ${p.message}${p.fix ? ` (${p.fix})` : ''}`);
    }
    return [];
  };

  test('the web keys and their defaults', () => {
    const s = site(oneHost(), '  server_name: app.example.com\n  root: /srv/app/public\n  env_file: /srv/app/.env\n  sessions: redis\n  rate_limit_allow: [192.0.2.0/24, "2001:db8::/32"]\n', 'web_server: nginx\n');
    expect(s.app).toMatchObject({ serverName: 'app.example.com', root: '/srv/app/public', envFile: '/srv/app/.env', sessions: 'redis', rateLimitAllow: ['192.0.2.0/24', '2001:db8::/32'] });
    expect(s.webServer).toBe('nginx');
    expect(site(oneHost()).app).toEqual({ database: 'restro', dbUser: 'restro' });
  });

  test('bad values name file, line, key, value and the way out', () => {
    expect(refusal(`web_server: apache\nhosts:\n${oneHost()}app: {database: r, db_user: r}\nprofile: 1000\n`)).toEqual([
      'site.yaml:1:13 web_server: "apache" is not a web server (one of: nginx, none)',
    ]);
    expect(refusal(`hosts:\n${oneHost()}app: {database: r, db_user: r, sessions: memcached, rate_limit_allow: [not-a-cidr], config_file: relative.php}\nprofile: 1000\n`)).toEqual([
      'site.yaml:6:42 app.sessions: "memcached" is not a session store (one of: files, redis)',
      'site.yaml:6:72 app.rate_limit_allow[0]: "not-a-cidr" is not a CIDR (an IPv4 or IPv6 address or CIDR, like 10.0.0.0/24 or 192.0.2.7)',
      'site.yaml:6:98 app.config_file: "relative.php" is not a file path (an absolute path without spaces or quotes, like /etc/stackscale/app.php)',
    ]);
  });

  test('an lb needs web hosts, and cannot be a web host itself', () => {
    expect(refusal('hosts:\n  lb1: {address: 10.0.0.5, roles: [lb]}\napp: {database: r, db_user: r}\nprofile: 1000\n')).toEqual([
      'site.yaml:2:36 hosts.lb1.roles[0]: an lb needs web hosts to balance, and the site has none (give the app hosts the web role)',
    ]);
    expect(refusal('hosts:\n  x: {address: 10.0.0.5, roles: [web, lb]}\napp: {database: r, db_user: r}\nprofile: 1000\n')[0]).toContain('a host cannot be both web and lb');
    expect(refusal('web_server: none\nhosts:\n  w: {address: 10.0.0.4, roles: [web]}\n  lb1: {address: 10.0.0.5, roles: [lb]}\napp: {database: r, db_user: r}\nprofile: 1000\n')).toEqual([
      'site.yaml:4:36 hosts.lb1.roles[0]: an lb is nginx, and the site says web_server: none (remove web_server: none, or the lb role)',
    ]);
  });
});

function facts(extra: Partial<HostFacts> = {}): HostFacts {
  return {
    host: 'web1', os: { id: 'debian', versionId: '12', prettyName: 'Debian 12' }, hostname: 'web1', memory: 16 * 2 ** 30, cores: 8, somaxconn: 4096,
    initSystem: 'sysv', nginx: { running: true }, files: {}, ...extra,
  };
}
const file = (path: string, service: RenderedFile['service'], check?: RenderedFile['check']): RenderedFile => ({
  host: 'web1', path, content: 'x', mode: 0o644, owner: 'root', group: 'root', service, secrets: [], ...(check ? { check } : {}),
});

describe('actions and checkers', () => {
  test('nginx reloads; a changed LimitNOFILE drop-in restarts it on systemd only; a stopped nginx is started', () => {
    expect(decideAction('nginx', file('/etc/nginx/nginx.conf', 'nginx'), '', facts())?.kind).toBe('reload');
    const dropIn = file('/etc/systemd/system/nginx.service.d/stackscale-limits.conf', 'nginx');
    expect(decideAction('nginx', dropIn, undefined, facts())?.kind).toBe('reload');
    expect(decideAction('nginx', dropIn, undefined, facts({ initSystem: 'systemd' }))).toMatchObject({ kind: 'restart', why: expect.stringContaining('daemon-reload') });
    expect(decideAction('nginx', file('/etc/nginx/nginx.conf', 'nginx'), '', facts({ nginx: { running: false } }))?.kind).toBe('start');
    expect(decideAction('sysctl', file('/etc/sysctl.d/60-stackscale.conf', 'sysctl'), undefined, facts())).toMatchObject({ kind: 'runtime', why: expect.stringContaining('sysctl -p /etc/sysctl.d/60-stackscale.conf') });
  });

  test('nginx files are checked together once; app.php with php -l; the .env file and the drop-in not at all', () => {
    const c = checkersFor([
      { file: file('/etc/php/8.2/fpm/pool.d/www.conf', 'php-fpm'), temp: '/t/pool' },
      { file: file('/etc/stackscale/app.php', 'php-fpm', 'php-lint'), temp: '/t/app' },
      { file: file('/srv/app/.env', 'php-fpm', 'none'), temp: '/t/env' },
      { file: file('/etc/nginx/nginx.conf', 'nginx'), temp: '/t/main' },
      { file: file('/etc/nginx/conf.d/stackscale-app.conf', 'nginx'), temp: '/t/app.conf' },
      { file: file('/etc/systemd/system/nginx.service.d/stackscale-limits.conf', 'nginx'), temp: '/t/limits' },
    ], facts());
    expect(c.map((x) => x?.name)).toEqual(['php-fpm -t', 'php -l', undefined, 'nginx -t', undefined, undefined]);
    expect(c[1]!.argv).toEqual(['php', '-n', '-l', '/t/app']);
    expect(c[3]!.argv.slice(-4)).toEqual(['/etc/nginx/nginx.conf', '/t/main', '/etc/nginx/conf.d/stackscale-app.conf', '/t/app.conf']);
  });

  test('facts read the web files of web and lb hosts, the app config where the site puts it', () => {
    expect(candidatePaths(['web'], { database: 'd', dbUser: 'u', configFile: '/srv/app.php', envFile: '/srv/.env' })).toEqual(expect.arrayContaining(['/srv/app.php', '/srv/.env', '/etc/nginx/nginx.conf', '/etc/sysctl.d/60-stackscale.conf']));
    expect(candidatePaths(['web'])).toContain('/etc/stackscale/app.php');
    expect(candidatePaths(['lb'])).toEqual(expect.arrayContaining(['/etc/nginx/conf.d/stackscale-lb.conf']));
    expect(candidatePaths(['cache'])).not.toContain('/etc/nginx/nginx.conf');
  });

  test('the health request: bash only, path as an argument; the response parsed', () => {
    expect(httpGet('/fpm-ping').slice(0, 2)).toEqual(['bash', '-c']);
    expect(httpGet('/fpm-ping').at(-1)).toBe('/fpm-ping');
    expect(parseHttp('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npong')).toEqual({ status: 200, body: 'pong' });
    expect(parseHttp('garbage')).toBeUndefined();
  });
});

describe('quoting the app settings', () => {
  test('PHP strings, .env values and the phpredis save_path keep any password intact', () => {
    expect(phpString(`a'b\\c`)).toBe(`'a\\'b\\\\c'`);
    expect(envValue('plain $x')).toBe(`'plain $x'`);
    expect(envValue(`it's "$x"`)).toBe(`"it's \\"\\$x\\""`);
    expect(redisSessionPath('10.0.0.5', 6379, 'p#a/s?s&w+o,r d', 0)).toBe('tcp://10.0.0.5:6379?auth=p%23a%2Fs%3Fs%26w%2Bo%2Cr%20d&database=0&timeout=2.5');
  });
});

describe('status on the lb', () => {
  test("the lb's backends are read from its server file", async () => {
    const { lbBackends } = await import('../../src/status/probes.js');
    expect(lbBackends('upstream x {\n\tleast_conn;\n\tserver 10.0.0.11:80 max_fails=3 fail_timeout=10s; # web1\n\tserver 10.0.0.12:8080; \n\tkeepalive 32;\n}')).toEqual([
      { address: '10.0.0.11', port: 80, name: 'web1' },
      { address: '10.0.0.12', port: 8080, name: '10.0.0.12' },
    ]);
  });
});

describe('cross-checks over the nginx sizing', () => {
  test('a pinned worker_connections too small for the users is refused with the numbers and the way out', async () => {
    const { checkSizing } = await import('../../src/validate/rules.js');
    const pinned = { ...profile1000, pins: { 'nginx.worker_connections': 128 } };
    const problems = checkSizing(sizeSite(site(oneHost()), pinned));
    expect(problems).toEqual([
      expect.objectContaining({
        where: 'web1',
        path: 'worker_connections',
        message: 'nginx on web1 can hold 8 x 128 = 1024 connections, below the 2200 its users and requests in flight need',
        fix: 'the profile pins nginx.worker_connections: pin at least 275, or remove the pin',
      }),
    ]);
  });

  test('a PHP-FPM backlog above the current somaxconn passes when the sysctl file raises it', async () => {
    const { checkSizing } = await import('../../src/validate/rules.js');
    const pinned = { ...profile1000, pins: { 'fpm.listen_backlog': 8192 } };
    const s = sizeSite(site(oneHost()), pinned);
    expect(s.hosts[0].nginx!.somaxconn.value).toBe(8192);
    expect(checkSizing(s)).toEqual([]);
    expect(checkSizing(sizeSite(site(oneHost(), '', 'web_server: none\n'), pinned)).map((p) => p.path)).toEqual(['listen.backlog']);
  });
});
