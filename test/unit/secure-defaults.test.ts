// Secure and honest by default (issue 11): what listens where, errors that never echo a file, a validate that means it.
// Each block is one numbered item of the issue; every test here failed before the fix.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-helpers.js';
import { isPrivateAddress } from '../../src/config/listen.js';
import { writeOutDir } from '../../src/render/out-dir.js';
import { connectSsh } from '../../src/transport/ssh.js';
import { UserError } from '../../src/errors.js';
import type { RenderedFile } from '../../src/render/types.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackscale-secure-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const APP = 'app: {database: restro, db_user: restro}\n';

describe('1. binds: loopback unless another host must reach the service, then its private address', () => {
  it('a one-host site init writes for a public address renders loopback-only binds', async () => {
    const file = join(dir, 'one.yaml');
    const init = await cli(['init', '--non-interactive', '--out', file, '--profile', '1000', '--host', 'web1=203.0.113.10', '--role', 'web1=web,cache,proxysql,db-primary', '--size', 'web1=16G,8'], { cwd: dir });
    expect(init.code).toBe(0);
    const out = join(dir, 'out-one');
    const r = await cli(['render', '--site', file, '--out', out], { cwd: dir });
    expect(r.code).toBe(0);
    const redis = readFileSync(join(out, 'web1/etc/redis/redis.conf'), 'utf8');
    const mysql = readFileSync(join(out, 'web1/etc/mysql/mariadb.conf.d/60-stackscale.cnf'), 'utf8');
    const proxysql = readFileSync(join(out, 'web1/etc/proxysql.cnf'), 'utf8');
    expect(redis).toMatch(/^bind 127\.0\.0\.1 -::1$/m);
    expect(mysql).toMatch(/^bind_address = 127\.0\.0\.1$/m);
    expect(proxysql).toMatch(/interfaces = "127\.0\.0\.1:6033"/);
    for (const text of [redis, mysql, proxysql]) expect(text).not.toContain('203.0.113.10');
  });

  const split = (extra: string): string =>
    `profile: 1000
hosts:
  web1:
    address: 10.0.0.10
    roles: [web]
    size: {memory: 16G, cores: 8}
  db1:
    address: 203.0.113.31
${extra}    roles: [db-primary, cache]
    size: {memory: 16G, cores: 8}
${APP}`;

  it('a public address other hosts must reach is refused (exit 3): host, service, who needs it, both ways out', async () => {
    const r = await cli(['validate', '--site', write('public.yaml', split(''))], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('public.yaml:8:14 hosts.db1.address: MySQL on db1 must be reached by web1, and 203.0.113.31 is not a private address');
    expect(r.stderr).toContain('Redis on db1 must be reached by web1');
    expect(r.stderr).toContain('add private_address: <its address on the private network> to db1, or expose_public: true');
  });

  it('private_address: the services bind to loopback and it, never the public address', async () => {
    const file = write('private.yaml', split('    private_address: 10.0.0.31\n'));
    const out = join(dir, 'out-private');
    const r = await cli(['render', '--site', file, '--out', out], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'db1/etc/redis/redis.conf'), 'utf8')).toMatch(/^bind 127\.0\.0\.1 -::1 10\.0\.0\.31$/m);
    expect(readFileSync(join(out, 'db1/etc/mysql/mariadb.conf.d/60-stackscale.cnf'), 'utf8')).toMatch(/^bind_address = 127\.0\.0\.1,10\.0\.0\.31$/m);
  });

  it('expose_public: true accepts it knowingly, and every run warns', async () => {
    const file = write('exposed.yaml', split('    expose_public: true\n'));
    const r = await cli(['validate', '--site', file, '--no-secrets'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: MySQL on db1 must be reached by web1, and 203.0.113.31 is not a private address');
    expect(r.stderr).toContain('accepted by expose_public: true on db1');
  });

  it('init --private-address NAME=IP writes it; without it a public multi-host site is refused, naming the flag', async () => {
    const base = ['init', '--non-interactive', '--profile', '1000', '--host', 'web1=203.0.113.10', '--host', 'db1=203.0.113.31', '--role', 'web1=web', '--role', 'db1=db-primary'];
    const refused = await cli([...base, '--out', join(dir, 'init-pub.yaml')], { cwd: dir });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('--private-address: MySQL on db1 must be reached by web1');
    expect(refused.stderr).toContain('--private-address db1=<its private IP>');
    const file = join(dir, 'init-priv.yaml');
    const ok = await cli([...base, '--private-address', 'db1=10.0.0.31', '--out', file], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^ {4}private_address: 10\.0\.0\.31 +# /m);
  });

  it.each([
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['127.0.0.1', true],
    ['fd12::1', true],
    ['::1', true],
    ['2001:db8::1', false],
    ['203.0.113.10', false],
    ['db1.example.com', false],
  ])('%s private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('4. validate reports missing secrets and identity files (exit 3); --no-secrets keeps the old lenience', () => {
  const site = (): string =>
    write(
      'secrets.yaml',
      `profile: 700
hosts:
  vps1:
    address: 10.0.0.5
    identity: ./keys/missing_ed25519
    roles: [web, cache, db-primary]
    size: {memory: 16G, cores: 8}
${APP}secrets:
  redis_password: env:SS_TEST_UNSET_REDIS
  app_db_password: file:./no-such-secret
`,
    );

  it('every unset variable, missing secret file and missing identity at once, exit 3, no value shown', async () => {
    const r = await cli(['validate', '--site', site()], { cwd: dir, env: { SS_TEST_UNSET_REDIS: undefined } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('secrets.redis_password: environment variable SS_TEST_UNSET_REDIS is not set');
    expect(r.stderr).toMatch(/secrets\.app_db_password: cannot read secret file .*no-such-secret \(ENOENT\)/);
    expect(r.stderr).toMatch(/hosts\.vps1\.identity: SSH identity .*keys\/missing_ed25519 does not exist/);
  });

  it('--no-secrets: exit 0, and it says what it did not check', async () => {
    const r = await cli(['validate', '--no-secrets', '--site', site()], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: --no-secrets: secrets and SSH identity files were not checked');
  });

  it('plan refuses the same before any connection (exit 3, not 4)', async () => {
    const r = await cli(['plan', '--site', site()], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/hosts\.vps1\.identity: SSH identity .* does not exist/);
  });
});

describe('2. errors never echo a file: short, printable excerpts only', () => {
  it('--site .env: not a YAML mapping, and not one character of it repeated (text or JSON)', async () => {
    const file = write('.env', 'DB_PASSWORD=hunter2-secret-value\nAPI_KEY=abc\n');
    for (const args of [['validate', '--site', file], ['validate', '--json', '--site', file]]) {
      const r = await cli(args, { cwd: dir });
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).not.toContain('hunter2');
      expect(r.stderr).toMatch(/\.env:1:1: the file is not a YAML mapping \(it reads as one text of \d+ characters\)/);
    }
  });

  it('a 10 MB binary file: refused in one short line', async () => {
    const file = join(dir, 'big.bin');
    const data = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 7) data[i] = (i * 31) & 0xff;
    writeFileSync(file, data);
    const r = await cli(['validate', '--site', file], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr.length).toBeLessThan(300);
    expect(r.stderr).toMatch(/big\.bin: is 10\.0 MiB, not a site file/);
  });

  it('a binary file under the size limit: "not UTF-8 text" or "NUL bytes", never its bytes', async () => {
    const file = join(dir, 'small.bin');
    writeFileSync(file, Buffer.from([0x68, 0x6f, 0x73, 0x74, 0x73, 0x3a, 0x00, 0xff, 0xfe, 0x01]));
    const r = await cli(['validate', '--site', file], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/small\.bin: is not UTF-8 text, so not a site file/);
    const nul = write('nul.yaml', 'hosts: a\0b\n');
    expect((await cli(['validate', '--site', nul], { cwd: dir })).stderr).toContain('holds NUL bytes');
  });

  it('a text that is not YAML at all: at most 10 YAML errors and a count of the rest', async () => {
    const file = write('junk.yaml', Array.from({ length: 200 }, (_, i) => `key${i}: [unclosed ${i}\n  : :`).join('\n'));
    const r = await cli(['validate', '--site', file], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length).toBeLessThanOrEqual(11);
    expect(r.stderr).toMatch(/and \d+ more YAML errors/);
  });

  it('a long value is cut to 60 characters, control characters escaped', async () => {
    const long = 'x'.repeat(3000);
    const file = write('long.yaml', `profile: 1000\nhosts:\n  web2:\n    address: "a\\u0007b\\nc"\n    roles: [web]\napp: {database: "${long}", db_user: restro}\n`);
    const r = await cli(['validate', '--site', file], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`"${'x'.repeat(60)}..." (3000 characters)`);
    expect(r.stderr).not.toContain('x'.repeat(61));
    expect(r.stderr).toContain('"a\\u0007b\\nc"');
    expect(r.stderr).not.toContain('\u0007');
  });

  it('flags quote an excerpt too', async () => {
    const r = await cli(['profiles', 'show', '1000', '--memory', 'y'.repeat(500)], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('y'.repeat(61));
  });
});

describe('5. no silent defaults: a missing profile is an error, an assumed size is said per host', () => {
  it('a site file without profile: exit 3, naming the key', async () => {
    const r = await cli(['validate', '--no-secrets', '--site', write('noprofile.yaml', `hosts:\n  web1: {address: 10.0.0.1, roles: [web]}\n${APP}`)], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('noprofile.yaml:1:1 profile: missing (add profile: 300, 700, 1000 or the path of a profile file)');
  });

  it('validate and render say, per host, which were sized on the assumed 16 GiB / 8 cores', async () => {
    const file = write('nosize.yaml', `profile: 300\nhosts:\n  web1: {address: 10.0.0.1, roles: [web, cache]}\n  db1: {address: 10.0.0.2, roles: [db-primary], size: {memory: 8G, cores: 4}}\n${APP}`);
    const v = await cli(['validate', '--no-secrets', '--site', file], { cwd: dir });
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('note: web1: assumed 16 GiB / 8 cores: no size given; plan reads the real one');
    expect(v.stdout).not.toContain('db1: assumed');
    const r = await cli(['render', '--site', file, '--out', join(dir, 'out-nosize')], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: web1: assumed 16 GiB / 8 cores: no size given; plan reads the real one');
  });
});

describe('6. addresses: IPv4, IPv6 and DNS names only; duplicates and a web site without a database reported', () => {
  const one = (address: string): string => `profile: 300\nhosts:\n  web1:\n    address: ${JSON.stringify(address)}\n    roles: [web, cache, db-primary]\n${APP}`;

  it.each([
    ['1.2.3.4:22', 'an address without a port'],
    ['999.1.1.1', 'an IPv4 address: four numbers from 0 to 255'],
    ['a'.repeat(3000), 'at most 253 characters'],
    ['web_1.example.com', 'labels of letters, digits and -'],
    ['-web.example.com', 'labels of letters, digits and -'],
    ['fe80::1::2', 'an IPv6 address'],
  ])('%s is refused (exit 3): %s', async (address, why) => {
    const r = await cli(['validate', '--no-secrets', '--site', write('addr.yaml', one(address))], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hosts.web1.address:');
    expect(r.stderr).toContain(why);
    expect(r.stderr).not.toContain('a'.repeat(61));
  });

  it.each(['127.0.0.1', '::1', '10.0.0.5', 'fd00::5', 'db1.internal.example.com', 'localhost'])('%s is accepted', async (address) => {
    const r = await cli(['validate', '--no-secrets', '--site', write('addr-ok.yaml', one(address))], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('init checks with the same rule', async () => {
    const r = await cli(['init', '--non-interactive', '--out', join(dir, 'x.yaml'), '--profile', '300', '--host', 'web1=999.1.1.1', '--role', 'web1=web'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('an IPv4 address: four numbers from 0 to 255');
  });

  it('two hosts with the same address and port: an error naming both', async () => {
    const text = `profile: 300\nhosts:\n  web1: {address: 10.0.0.5, roles: [web]}\n  db1: {address: 10.0.0.5, roles: [db-primary]}\n${APP}`;
    const r = await cli(['validate', '--no-secrets', '--site', write('dup.yaml', text)], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('dup.yaml:4:18 hosts.db1.address: db1 has the same address and SSH port as web1: one machine listed twice');
  });

  it('the same address on two SSH ports, and web with no database: warnings with the reason', async () => {
    const text = `profile: 300\nhosts:\n  web1: {address: 10.0.0.5, roles: [web]}\n  web2: {address: 10.0.0.5, port: 2222, roles: [web]}\n${APP}`;
    const r = await cli(['validate', '--no-secrets', '--site', write('nat.yaml', text)], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: web1, web2 share the address 10.0.0.5 on different SSH ports');
    expect(r.stderr).toContain("warning: web1, web2 have the web role but the site has no db-primary: the app's database is outside the site");
  });
});

describe('11. render --out: one step through a temporary directory; a bad --out refused at once', () => {
  it('--out /proc/x: exit 3 at once (it used to spin forever)', async () => {
    const started = Date.now();
    const r = await cli(['render', '--out', '/proc/stackscale-x'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--out: cannot write in \/proc/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('--out naming a file: exit 3, naming it, before anything is rendered', async () => {
    const file = write('a-file', 'x');
    const r = await cli(['render', '--out', file], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`--out: ${file} is a file, not a directory`);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a directory with files stackscale did not write is refused, not replaced', async () => {
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep me');
    const r = await cli(['render', '--out', mine], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('already holds files stackscale did not render (notes.txt)');
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('another site rendered into the same directory: the old hosts\' files are removed, and it says which', async () => {
    const out = join(dir, 'out-two-sites');
    const a = write('site-a.yaml', `profile: 300\nhosts:\n  alpha: {address: 10.0.0.1, roles: [web], size: {memory: 8G, cores: 4}}\n${APP}`);
    const b = write('site-b.yaml', `profile: 300\nhosts:\n  beta: {address: 10.0.0.2, roles: [web], size: {memory: 8G, cores: 4}}\n${APP}`);
    expect((await cli(['render', '--site', a, '--out', out], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(out, 'alpha/etc/php/8.2/fpm/pool.d/www.conf'))).toBe(true);
    const r = await cli(['render', '--site', b, '--out', out], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.stackscale-render.json', 'beta']);
    expect(r.stdout).toContain(
      'removed 6 files of the previous render that this site no longer has: alpha/etc/php/8.2/fpm/pool.d/www.conf, ' +
        'alpha/etc/stackscale/app.php, alpha/etc/nginx/nginx.conf, alpha/etc/nginx/conf.d/stackscale-app.conf, ' +
        'alpha/etc/systemd/system/nginx.service.d/stackscale-limits.conf, alpha/etc/sysctl.d/60-stackscale.conf',
    );
    // and no temporary directory is left beside it
    expect(readdirSync(dir).filter((n) => n.includes('.render-'))).toEqual([]);
  });

  it('a render failing half-way leaves the directory as it was and no secret file anywhere', async () => {
    const out = join(dir, 'out-fail');
    const secretFile: RenderedFile = { host: 'h', path: '/etc/redis/redis.conf', content: 'requirepass s3cret-value\n', mode: 0o640, owner: 'redis', group: 'redis', service: 'redis', secrets: ['redis_password'] };
    const bad: RenderedFile = { ...secretFile, path: 'relative/path', secrets: [] };
    await expect(writeOutDir([secretFile, bad], out)).rejects.toThrow(/absolute/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.render-'))).toEqual([]);
  });
});

describe('10. exit codes as documented: a test per row', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
  const ok = (): string => write('ok10.yaml', `profile: 300\nhosts:\n  web1: {address: 127.0.0.1, port: 1, roles: [web]}\n${APP}`);

  it.each([
    ['0: success', () => ['validate', '--no-secrets', '--site', ok()], 0],
    ['3: --connect-timeout abc', () => ['plan', '--site', ok(), '--connect-timeout', 'abc'], 3],
    ['3: --connect-timeout -1', () => ['validate', '--site', ok(), '--connect-timeout', '-1'], 3],
    ['3: --lock-timeout soon', () => ['apply', '--site', ok(), '--lock-timeout', 'soon'], 3],
    ['3: --concurrency 0', () => ['plan', '--site', ok(), '--concurrency', '0'], 3],
    ['3: a YAML alias bomb', () => ['validate', '--site', write('bomb.yaml', bomb)], 3],
    ['3: --out pointing at a file', () => ['render', '--out', write('out-is-file', '')], 3],
    ['3: a missing identity file (plan, before connecting)', () => ['plan', '--site', write('id10.yaml', `profile: 300\nhosts:\n  web1: {address: 127.0.0.1, port: 1, identity: /nonexistent/key, roles: [web]}\n${APP}`)], 3],
  ] as const)('%s', async (_row, args, code) => {
    const r = await cli([...args()], { cwd: dir });
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).not.toMatch(/internal error|This is a bug|NaN/);
  });

  it('the flag messages name the flag and the value', async () => {
    const r = await cli(['plan', '--site', ok(), '--connect-timeout', 'abc'], { cwd: dir });
    expect(r.stderr).toContain('error: --connect-timeout: "abc" is not a number of seconds (a number from 0.1 to 86400, e.g. --connect-timeout 10)');
    const b = await cli(['validate', '--site', write('bomb.yaml', bomb)], { cwd: dir });
    expect(b.stderr).toMatch(/bomb\.yaml:1:1: YAML: .*alias/i);
  });

  it('4: no SSH key at all (no agent, no key files) is the connection; 3: a named identity that is missing or not a key', async () => {
    const base = { name: 'web1', address: '127.0.0.1', port: 1, user: 'root', sshConfigFile: null, env: { HOME: dir } };
    const none = await connectSsh({ ...base }).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(UserError);
    expect((none as UserError).exitCode).toBe(4);
    const missing = await connectSsh({ ...base, identity: join(dir, 'nope') }).catch((e: unknown) => e);
    expect((missing as UserError).exitCode).toBe(3);
    const notKey = await connectSsh({ ...base, identity: write('not-a-key', 'hello') }).catch((e: unknown) => e);
    expect((notKey as UserError).exitCode).toBe(3);
  });
});

describe('8. long_query_time is floored, and the derivation says so', () => {
  it('queries_per_request: 500 gives 0.05 s, not 0 (log every query)', async () => {
    const profile = write(
      'many-queries.yaml',
      readFileSync(join(process.cwd(), 'profiles', '300.yaml'), 'utf8').replace(/^ {2}queries_per_request: .*$/m, '  queries_per_request: 500'),
    );
    const r = await cli(['profiles', 'show', profile, '--memory', '16G', '--cores', '8'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/long_query_time = 0\.05\b/);
    expect(r.stdout).toContain('shared by the 500 queries of a request is 0 s, raised to the floor of 0.05 s');
  });
});

describe('15. a site file holds at most 1,000 hosts', () => {
  it('1,001 hosts: exit 3 at once, with the way out', async () => {
    const hosts = Array.from({ length: 1001 }, (_, i) => `  w${i}: {address: 10.1.${Math.floor(i / 250)}.${(i % 250) + 1}, roles: [web]}`).join('\n');
    const started = Date.now();
    const r = await cli(['validate', '--no-secrets', '--site', write('huge.yaml', `profile: 300\nhosts:\n${hosts}\n${APP}`)], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('huge.yaml:3:3 hosts: 1001 hosts, more than the 1000 one site file may hold (split the site into several site files');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('7. a sizing model that never reassures falsely: the pool and the CPU against the load', () => {
  const slow = (ms: number): string =>
    write(`slow-${ms}.yaml`, readFileSync(join(process.cwd(), 'profiles', '1000.yaml'), 'utf8').replace(/^ {2}php_time_ms: .*$/m, `  php_time_ms: ${ms}`));

  it("php_time_ms 5000: refused with Little's law's numbers (exit 3), not 'the pool covers the peak'", async () => {
    const r = await cli(['render', '--profile', slow(5000), '--out', join(dir, 'out-slow')], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Little's law: 100 requests/s x 5.000 s in PHP = 500.0 workers busy on average, above the 200-worker pool");
    expect(r.stdout + r.stderr).not.toContain('covers the');
  });

  it('the CPU the workers need against the web hosts\' cores', async () => {
    // 1000 PHP ms: 100 busy workers fit the 200-worker pool, but 100 x 1 s x 0.25 = 25 cores do not fit 8.
    const r = await cli(['validate', '--profile', slow(1000)], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the PHP workers need about 25.0 cores (100 requests/s x 1.000 s x 0.25 of it on a CPU), more than 2x the 8 cores of stackscale');
    expect(r.stderr).not.toContain("Little's law");
  });

  it('between 90% and 2x the cores: valid, with a note that requests will queue for a CPU', async () => {
    const file = write('two-cores.yaml', `profile: 1000\nhosts:\n  vps: {address: 10.0.0.1, roles: [web, cache, proxysql, db-primary], size: {memory: 16G, cores: 2}}\n${APP}`);
    const r = await cli(['validate', '--no-secrets', '--site', file], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('note: CPU: the PHP workers need about 3.0 cores (100 requests/s x 0.120 s x 0.25 of it on a CPU), above 90% of the 2 cores of vps: expect requests to queue for a CPU at the peak');
  });

  it('the shipped profiles on their reference hosts still pass', async () => {
    for (const [p, mem, cores] of [['300', '8G', '4'], ['700', '16G', '8'], ['1000', '16G', '8']]) {
      const file = write(`ref-${p}.yaml`, `profile: ${p}\nhosts:\n  vps: {address: 10.0.0.1, roles: [web, cache, proxysql, db-primary], size: {memory: ${mem}, cores: ${cores}}}\n${APP}`);
      const r = await cli(['validate', '--no-secrets', '--site', file], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    }
  });
});

describe('3. validate checks every secret against what its consumers accept, naming the rule, never the characters', () => {
  const site = (): string =>
    write(
      'chars.yaml',
      `profile: 300\nhosts:\n  vps1: {address: 10.0.0.5, roles: [web, cache, proxysql, db-primary], size: {memory: 16G, cores: 8}}\n${APP}` +
        'secrets:\n  redis_password: env:SS_R\n  app_db_password: env:SS_A\n  proxysql_admin_password: env:SS_PA\n  proxysql_monitor_password: env:SS_PM\n',
    );
  const good = { SS_R: 'redis-ok', SS_A: 'app-ok', SS_PA: 'admin-ok', SS_PM: 'monitor-ok' };

  it('a quote in a ProxySQL credential, ":" in the admin password, a newline in the Redis one: exit 3, each named with its rule', async () => {
    const env = { ...good, SS_A: `ab"cd`, SS_PA: 'ad:min', SS_R: 'two\nlines' };
    const r = await cli(['validate', '--site', site()], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('secrets.app_db_password: the secret breaks a rule: no quote characters');
    expect(r.stderr).toContain("secrets.proxysql_admin_password: the secret breaks a rule: no ':' or ';'");
    expect(r.stderr).toContain('secrets.redis_password: the secret breaks a rule: no control characters');
    for (const leak of ['ab"cd', 'ad:min', 'two', '(")', '(:)']) expect(r.stderr).not.toContain(leak);
  });

  it('the same secrets pass when they follow the rules; render --with-secrets refuses the bad ones too (exit 3)', async () => {
    expect((await cli(['validate', '--site', site()], { cwd: dir, env: good })).code).toBe(0);
    const r = await cli(['render', '--with-secrets', '--site', site(), '--out', join(dir, 'out-chars')], { cwd: dir, env: { ...good, SS_PM: "it's" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('secrets.proxysql_monitor_password: the secret breaks a rule: no quote characters');
    expect(existsSync(join(dir, 'out-chars'))).toBe(false);
  });
});

describe('12. init names the flag, the missing directory and a missing --identity', () => {
  const base = ['init', '--non-interactive', '--profile', '300'];

  it('a problem found in the written file cites the flag, never the temporary file', async () => {
    const r = await cli([...base, '--out', join(dir, 'dup-init.yaml'), '--host', 'web1=10.0.0.5', '--host', 'db1=10.0.0.5', '--role', 'web1=web', '--role', 'db1=db-primary'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: --host: db1 has the same address and SSH port as web1: one machine listed twice');
    expect(r.stderr).not.toMatch(/\.tmp|:\d+:\d+/);
  });

  it('--out nodir/x.yaml: says which directory is missing (exit 3), not ENOENT', async () => {
    const r = await cli([...base, '--out', 'nodir/x.yaml', '--host', 'web1=10.0.0.5', '--role', 'web1=web'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: --out: the directory nodir does not exist (create it first (mkdir -p nodir), or choose another --out)');
    expect(r.stderr).not.toContain('ENOENT');
  });

  it('an --identity that does not exist is refused, naming the host and the path', async () => {
    const r = await cli([...base, '--out', join(dir, 'id-init.yaml'), '--host', 'web1=10.0.0.5', '--role', 'web1=web', '--identity', 'web1=~/.ssh/no_such_key'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error: --identity: web1: ${join(dir, '.ssh/no_such_key')} does not exist`);
    expect(existsSync(join(dir, 'id-init.yaml'))).toBe(false);
  });
});

describe('9. the memory budget counts what runs on the host, and never starves InnoDB', () => {
  it('profiles show 1000 --memory 8G --cores 4: the derivations, then the refusal once (exit 3)', async () => {
    const r = await cli(['profiles', 'show', '1000', '--memory', '8G', '--cores', '4'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('    pm.max_children = 200: 1000 users x 0.20 in flight at peak = 200 workers');
    expect(r.stdout).toContain("    web: OPcache shared memory (PHP's default opcache.memory_consumption) = 128 MiB");
    expect(r.stdout).toContain('    web: web server in front of PHP-FPM (nginx) = 64 MiB');
    expect(r.stdout).toContain('    db-primary: MySQL fixed buffers (key buffer, Aria page cache, log buffer) = 272 MiB');
    expect(r.stderr.match(/not enough memory/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: stackscale: not enough memory: the 1000 profile needs [\d.]+ GiB on host stackscale/m);
    expect(r.stderr).not.toContain('stackscale memory:');
  });

  it('700 users on 8 GB: refused, stating the buffer pool rule, instead of InnoDB at 256 MiB', async () => {
    const r = await cli(['profiles', 'show', '700', '--memory', '8G', '--cores', '4'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('InnoDB buffer pool at least 768 MiB (the buffer pool gets at least 1 MiB per user, 768 MiB for 700 users, else every cache miss reads from disk)');
    expect(r.stderr).toContain('use a smaller profile (300)');
  });

  it('the smallest profile does not suggest a smaller one; --memory 0 is an error', async () => {
    const r = await cli(['profiles', 'show', '300', '--memory', '2G', '--cores', '2'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('smaller profile');
    const zero = await cli(['profiles', 'show', '300', '--memory', '0'], { cwd: dir });
    expect(zero.code).toBe(3);
    expect(zero.stderr).toContain('--memory: "0" is not a host\'s memory');
  });

  it('one meaning per word: the host\'s sum is "for the roles", the PHP share "left for PHP"; the per-server pool is labelled so', async () => {
    const r = await cli(['profiles', 'show', '1000'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(' budget');
    expect(r.stdout).toMatch(/OS reserve = [\d.]+ GiB for the roles/);
    expect(r.stdout).toMatch(/<= [\d.]+ GiB left for PHP on stackscale/);
    expect(r.stdout).not.toContain('mysql_servers.max_connections = 100');
    expect(r.stdout).toContain('backend connections per server (all its hostgroup entries together) = 100');
  });
});
