// Issue 11, item 13: `rollback --to original` against a real host of this file's own: after two deployments, every
// file stackscale replaced gets its pre-stackscale content, mode and owner back, the files it created go, the
// services come back on their own configuration, and the run is recorded as a deployment. `--list` shows `original`
// as the oldest entry.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

let host: TestHost;
let dir: string;
const env = {
  HOME: '/nonexistent', REDIS_PASSWORD: 'orig-redis-pw', APP_DB_PASSWORD: 'orig-app-pw', REPL_PASSWORD: 'orig-repl-pw',
  PROXYSQL_ADMIN_PASSWORD: 'orig-px-admin', PROXYSQL_MONITOR_PASSWORD: 'orig-px-mon',
};
const REDIS = '/etc/redis/redis.conf';
const POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
const CNF = '/etc/mysql/mariadb.conf.d/60-stackscale.cnf';
const APP = '/etc/stackscale/app.php';

beforeAll(async () => {
  [host] = await startHosts([{ name: 'orig1', services: ['php-fpm', 'redis', 'mariadb'] }]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-orig-'));
  writeFileSync(path.join(dir, 'stackscale.yaml'), [
    'profile: 700',
    'web_server: none', // nginx is the web tier's own test (test/e2e/web.test.ts)
    'hosts:',
    '  orig1:',
    `    address: ${host.address}`,
    `    identity: ${host.rootKey}`,
    `    host_key: ${host.hostKeyFingerprint}`,
    '    roles: [web, cache, db-primary]',
    'app: {database: restro, db_user: restro}',
    'secrets:',
    '  redis_password: env:REDIS_PASSWORD',
    '  app_db_password: env:APP_DB_PASSWORD',
    '',
  ].join('\n'));
}, 120_000);
afterAll(async () => {
  if (host) await stopHosts([host]);
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, env, cwd: dir };
  const code = await main([...args, '--site', path.join(dir, 'stackscale.yaml')], io);
  for (const [k, secret] of Object.entries(env)) if (k !== 'HOME') expect(stdout + stderr).not.toContain(secret);
  return { code, stdout, stderr };
}

async function sh(cmd: string, input?: string): Promise<string> {
  const r = await ssh(host, cmd, { input });
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const fingerprint = (p: string): Promise<string> => sh(`sha256sum ${p} | cut -d' ' -f1; stat -c '%a %U %G' ${p}`);

describe('rollback --to original', () => {
  it('puts back every file as it was before stackscale, removes what it created, and records it', async () => {
    const before = { redis: await fingerprint(REDIS), pool: await fingerprint(POOL) };
    expect((await ssh(host, `test -e ${CNF}`)).code).not.toBe(0);

    const first = await cli(['apply', '--yes']);
    expect(first.code, first.stderr).toBe(0);
    const second = await cli(['apply', '--yes', '--profile', '300']);
    expect(second.code, second.stderr).toBe(0);
    expect(await fingerprint(REDIS)).not.toBe(before.redis);
    expect((await ssh(host, `test -e ${CNF}`)).code).toBe(0);

    // The oldest entry of the list is the host before stackscale.
    const list = await cli(['rollback', '--list']);
    expect(list.code).toBe(0);
    const entries = list.stdout.trim().split('\n').filter((l) => l.startsWith('  '));
    expect(entries[entries.length - 1]).toBe('  original  before stackscale: 2 file(s) to restore, 2 it created to remove (--to original)');
    const json = JSON.parse((await cli(['rollback', '--list', '--json'])).stdout);
    expect(json.deployments.orig1.map((d: { deployId: string }) => d.deployId).at(-1)).toBe('original');

    const back = await cli(['rollback', '--to', 'original', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain(`orig1: remove ${CNF} (stackscale created it)`);
    expect(back.stdout).toContain(`orig1: remove ${APP} (stackscale created it)`);
    expect(await fingerprint(REDIS)).toBe(before.redis);
    expect(await fingerprint(POOL)).toBe(before.pool);
    expect((await ssh(host, `test -e ${CNF}`)).code).not.toBe(0);
    expect((await ssh(host, `test -e ${APP}`)).code).not.toBe(0);

    // The services run on their own configuration again: Redis without a password, MariaDB's default 151 connections.
    expect((await sh('redis-cli -h 127.0.0.1 ping')).trim()).toBe('PONG');
    expect((await sh('mariadb -N -B', 'SELECT @@max_connections;\n')).trim()).toBe('151');
    expect((await ssh(host, 'pgrep -x php-fpm8.2')).code).toBe(0);

    const state = JSON.parse(await sh('cat /var/lib/stackscale/state.json'));
    expect(state).toMatchObject({ kind: 'rollback', restoredFrom: 'original' });
    expect(state.deployments).toHaveLength(3);
    // The deploy lock (a directory named lock) is gone; other files there are not this test's business.
    expect(await sh('test -e /var/lib/stackscale/lock && echo held || echo free')).toBe('free\n');

    // And forward again: a new apply deploys as on the first day.
    const again = await cli(['apply', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect((await ssh(host, `test -e ${CNF}`)).code).toBe(0);
  }, 240_000);
});
