// Secure and honest by default (issue 11): what listens where, errors that never echo a file, a validate that means it.
// Each block is one numbered item of the issue; every test here failed before the fix.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-helpers.js';
import { isPrivateAddress } from '../../src/config/listen.js';

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
