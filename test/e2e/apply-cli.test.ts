// `stackscale apply` / `plan` / `rollback` as a user runs them, in-process through main(), against a host of this
// file's own: the shipped profiles sized on the host's live facts, rendered, planned, confirmed and deployed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { FCGI_CLIENT_PHP } from '../../src/daemons/fastcgi.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

let host: TestHost;
let dir: string;
const env = {
  HOME: '/nonexistent', REDIS_PASSWORD: 'cli-redis-pw', APP_DB_PASSWORD: 'cli-app-pw', REPL_PASSWORD: 'cli-repl-pw',
  PROXYSQL_ADMIN_PASSWORD: 'cli-px-admin', PROXYSQL_MONITOR_PASSWORD: 'cli-px-mon',
};

beforeAll(async () => {
  [host] = await startHosts([{ name: 'cli1', services: ['php-fpm', 'redis', 'mariadb'] }]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-cli-'));
  writeFileSync(path.join(dir, 'stackscale.yaml'), [
    'profile: 700',
    'hosts:',
    '  cli1:',
    `    address: ${host.address}`,
    '    user: root',
    `    identity: ${host.rootKey}`,
    `    host_key: ${host.hostKeyFingerprint}`,
    '    roles: [web, cache, db-primary]',
    'app:',
    '  database: restro',
    '  db_user: restro',
    'secrets:',
    ...Object.entries({ redis_password: 'REDIS_PASSWORD', app_db_password: 'APP_DB_PASSWORD', replication_password: 'REPL_PASSWORD', proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD', proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD' }).map(([k, v]) => `  ${k}: env:${v}`),
    '',
  ].join('\n'));
}, 120_000);
afterAll(async () => {
  if (host) await stopHosts([host]);
});

async function cli(args: string[], isTTY = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY, env, cwd: dir };
  const code = await main([...args, '--site', path.join(dir, 'stackscale.yaml')], io);
  for (const secret of Object.values(env)) if (secret.startsWith('cli-')) expect(stdout + stderr).not.toContain(secret);
  return { code, stdout, stderr };
}

async function sh(cmd: string, input?: string): Promise<string> {
  const r = await ssh(host, cmd, { input });
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const pids = (): Promise<string> => sh('cat /run/php/php8.2-fpm.pid; echo; cat /run/redis/redis-server.pid');
const stateId = async (): Promise<string | undefined> => {
  const r = await ssh(host, 'cat /var/lib/stackscale/state.json');
  return r.code === 0 ? JSON.parse(r.stdout).deployId : undefined;
};
/**
 * Profile 700 in force, whatever an earlier test left (a no-op when it already is): a test that needs a deployed
 * host sets it up itself, so it can run alone (`-t`) or in any order. Returns the deployment that is in force.
 */
async function deployed700(): Promise<string> {
  const r = await cli(['apply', '--yes']);
  expect(r.code, r.stderr).toBe(0);
  const id = await stateId();
  expect(id).toBeDefined();
  return id as string;
}

describe('stackscale apply / plan / rollback', () => {
  it('without a terminal and without --yes: refused, nothing changed, told to pass --yes', async () => {
    const r = await cli(['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(await stateId()).toBeUndefined();
  });

  it('apply 700 on a fresh host: the running services show the planned values; the record is written', async () => {
    const plan = JSON.parse((await cli(['plan', '--json'])).stdout);
    const r = await cli(['apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.hosts[0].status).toBe('applied');
    expect(await stateId()).toBe(doc.deployId);
    const poolPath = plan.hosts[0].files.find((f: { service: string }) => f.service === 'php-fpm').path;
    const pool = await sh(`cat ${poolPath}`);
    const start = Number(/pm.start_servers = (\d+)/.exec(pool)?.[1]);
    const status = JSON.parse(await sh('php -- /run/php/php8.2-fpm.sock /fpm-status json', FCGI_CLIENT_PHP));
    expect(status['total processes']).toBe(start);
    const maxmemory = /^maxmemory (\S+)$/m.exec(await sh('cat /etc/redis/redis.conf'))?.[1];
    const got = (await sh('redis-cli', `AUTH ${env.REDIS_PASSWORD}\nCONFIG GET maxmemory\n`)).trim().split('\n').at(-1);
    // The running Redis holds what the file says (bytes in both), and that is the plan's figure.
    expect(maxmemory).toMatch(/^\d+$/);
    expect(got).toBe(maxmemory);
    const cnf = await sh('cat /etc/mysql/mariadb.conf.d/60-stackscale.cnf');
    const maxConn = /max_connections = (\d+)/.exec(cnf)?.[1];
    expect((await sh('mariadb -N -B', 'SELECT @@max_connections;\n')).trim()).toBe(maxConn);
  });

  it('a second apply changes nothing: PIDs unchanged, plan --detailed-exitcode gives 0', async () => {
    const id = await deployed700();
    const before = await pids();
    const r = await cli(['apply', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(await pids(), r.stderr).toBe(before);
    expect(await stateId()).toBe(id);
    expect((await cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('a hand edit shows as drift in plan; apply puts it right', async () => {
    await deployed700();
    await sh("sed -i 's/^pm.max_requests = .*/pm.max_requests = 7/' /etc/php/8.2/fpm/pool.d/www.conf");
    const plan = await cli(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/drift/);
    expect((await cli(['apply', '--yes'])).code).toBe(0);
    expect((await cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('a pinned value that breaks php-fpm\'s rules is refused before any host is touched (exit 3, named)', async () => {
    await deployed700();
    const before = await sh('sha256sum /etc/php/8.2/fpm/pool.d/www.conf /var/lib/stackscale/state.json');
    const profile = path.join(dir, 'bad-pin.yaml');
    writeFileSync(profile, readFileSync(path.join(process.cwd(), 'profiles', '700.yaml'), 'utf8').replace(/^pin: \{\}$/m, 'pin:\n  fpm.start_servers: 500'));
    const r = await cli(['apply', '--yes', '--profile', profile]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/start_servers/);
    expect(r.stderr).toMatch(/500/);
    expect(r.stderr).not.toMatch(/\[cli1\] connecting/);
    expect(await sh('sha256sum /etc/php/8.2/fpm/pool.d/www.conf /var/lib/stackscale/state.json')).toBe(before);
  });

  it('a candidate the daemon\'s own checker rejects: live file untouched, nothing reloaded, exit 1, the checker\'s message shown', async () => {
    await deployed700();
    // php-fpm -t (8.2.2+) checks that the pool's user exists: hide www-data on this host, then change the pool.
    await sh("sed -i 's/^www-data:/www-hidden:/' /etc/passwd");
    try {
      const before = await sh('sha256sum /etc/php/8.2/fpm/pool.d/www.conf; cat /run/php/php8.2-fpm.pid');
      const r = await cli(['apply', '--yes', '--profile', '300']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/php-fpm8\.2 -t rejected the candidate/);
      expect(r.stderr).toMatch(/www-data/);
      expect(r.stderr).toMatch(/nothing was swapped or reloaded/);
      expect(await sh('sha256sum /etc/php/8.2/fpm/pool.d/www.conf; cat /run/php/php8.2-fpm.pid')).toBe(before);
      expect(await sh('ls -a /etc/php/8.2/fpm/pool.d/')).not.toMatch(/stackscale-/);
    } finally {
      await sh("sed -i 's/^www-hidden:/www-data:/' /etc/passwd");
    }
  });

  it('apply 1000 over 700, then rollback --list and rollback --to the 700 deployment', async () => {
    const firstId = await deployed700();
    const r = await cli(['apply', '--yes', '--profile', '1000']);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse((await cli(['rollback', '--list', '--json'])).stdout);
    expect(list.deployments.cli1.map((d: { deployId: string }) => d.deployId)).toContain(firstId);
    expect((await cli(['rollback', '--to', firstId])).code).toBe(1); // no --yes, no TTY
    const rb = await cli(['rollback', '--yes', '--to', firstId]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toContain('rollback restores files; packages stackscale installed are not removed');
    const state = JSON.parse(await sh('cat /var/lib/stackscale/state.json'));
    expect(state).toMatchObject({ kind: 'rollback', restoredFrom: firstId });
  });
});
