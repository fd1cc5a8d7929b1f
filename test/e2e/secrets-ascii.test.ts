// The five secrets made of every printable ASCII character each daemon accepts, through plan, apply, status and
// rollback against real hosts: px (web without a web server, cache, proxysql), db1 (primary), db2 (replica). Each
// secret must work where it is used (Redis AUTH, the app's login through ProxySQL, the admin interface, replication,
// ProxySQL's monitor), be carried byte for byte into the app's config file, and appear in no output and no process
// list. Hosts of this file's own; the tests run in order.
//
// What a daemon refuses, and so stackscale refuses before any host is touched (src/config/secret-rules.ts):
// - control characters, for all five: every secret travels as one line (redis-cli's stdin, option files, SQL);
// - `"` and `'` in the app's, the monitor's and the admin's password on a site with ProxySQL: ProxySQL's cnf reader
//   pastes credentials into SQL without escaping them, so a quote ends the value early;
// - `:` and `;` in the admin password: ProxySQL's admin_credentials is `user:password;user:password`.
// Everything else printable, space, backslash, `#`, `$`, `` ` `` and `%` included, is carried.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientOptionFile } from '../../src/daemons/mysql-client.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { runCli, writeSite } from '../helpers/cli.js';
import { db, sh, waitFor, watchProcessLists } from './proxysql-helpers.js';

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
/** Every printable character but the refused ones, rotated so no two secrets are alike. */
const secret = (turn: number, refused = ''): string => {
  const chars = [...PRINTABLE].filter((c) => !refused.includes(c));
  return [...chars.slice(turn), ...chars.slice(0, turn)].join('');
};

const SECRETS = {
  REDIS_PASSWORD: secret(3),
  APP_DB_PASSWORD: secret(17, `"'`),
  REPL_PASSWORD: secret(31),
  PROXYSQL_ADMIN_PASSWORD: secret(47, `"':;`),
  PROXYSQL_MONITOR_PASSWORD: secret(61, `"'`),
};
const env = { HOME: '/nonexistent', ...SECRETS };

let hosts: TestHost[] = [];
let px: TestHost;
let db1: TestHost;
let db2: TestHost;
let dir: string;

/** Any 12 consecutive characters of a secret, anywhere in `text`: a secret leaked in part is leaked. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, v] of Object.entries(SECRETS)) {
    for (let i = 0; i + 12 <= v.length; i++) if (text.includes(v.slice(i, i + 12))) found.push(`${name}[${i}..${i + 12}]`);
  }
  return found;
}

async function cli(args: string[]) {
  const r = await runCli(args, { env });
  expect(leaks(r.stdout + r.stderr), `a secret in the output of ${args.join(' ')}`).toEqual([]);
  return r;
}

function site(name: string, profile: string): string {
  const roles: Record<string, string[]> = { px: ['web', 'cache', 'proxysql'], db1: ['db-primary'], db2: ['db-replica'] };
  const file = writeSite(path.join(dir, name), profile, hosts.map((h) => ({ name: h.name, address: h.address, identity: h.rootKey, hostKey: h.hostKeyFingerprint, roles: roles[h.name] })));
  return file;
}

/** A MySQL-protocol login on `h` with the password in an option file sent on stdin (never argv), one value out. */
async function mysqlAs(h: TestHost, login: { user: string; password: string; host: string; port: number }, sql: string, database = ''): Promise<string> {
  const cmd = `f=$(mktemp) && head -c ${Buffer.byteLength(clientOptionFile(login))} > "$f" && mysql --defaults-extra-file="$f" --batch --skip-column-names --connect-timeout=5 ${database}; rc=$?; rm -f "$f"; exit $rc`;
  return (await sh(h, cmd, clientOptionFile(login) + sql + '\n')).trim();
}

/** Each secret works where it is used. */
async function everySecretWorks(): Promise<void> {
  // Redis: AUTH on redis-cli's stdin, quoted as redis-cli reads it.
  const quoted = `"${SECRETS.REDIS_PASSWORD.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  expect(await sh(px, 'redis-cli -h 127.0.0.1', `AUTH ${quoted}\nPING\n`)).toBe('OK\nPONG\n');
  // The app's login, through ProxySQL's client port to the primary.
  expect(await mysqlAs(px, { user: 'restro', password: SECRETS.APP_DB_PASSWORD, host: '127.0.0.1', port: 6033 }, 'SELECT 7*6;', 'restro')).toBe('42');
  // The admin interface.
  expect(await mysqlAs(px, { user: 'admin', password: SECRETS.PROXYSQL_ADMIN_PASSWORD, host: '127.0.0.1', port: 6032 }, 'SELECT 1;')).toBe('1');
  // The monitor's account on the primary, as ProxySQL's monitor logs in (from px's address).
  expect(await mysqlAs(px, { user: 'monitor', password: SECRETS.PROXYSQL_MONITOR_PASSWORD, host: db1.address, port: 3306 }, 'SELECT CURRENT_USER();')).toMatch(/^monitor@/);
  // Replication: the replica's IO thread logs in to the primary with the replication password.
  await waitFor('the replica connected to the primary', async () => /Slave_IO_Running: Yes/.test(await sh(db2, 'mariadb', 'SHOW SLAVE STATUS\\G')));
  // The app's config file (PHP) carries both of its secrets byte for byte.
  const php = "$c = include '/etc/stackscale/app.php'; echo base64_encode($c['db']['password']), ' ', base64_encode($c['redis']['password']);";
  const [dbPw, redisPw] = (await sh(px, 'php', `<?php ${php}`)).trim().split(' ').map((b) => Buffer.from(b, 'base64').toString('utf8'));
  expect(dbPw === SECRETS.APP_DB_PASSWORD, 'app.php db password').toBe(true);
  expect(redisPw === SECRETS.REDIS_PASSWORD, 'app.php redis password').toBe(true);
}

beforeAll(async () => {
  hosts = await startHosts([
    { name: 'px', services: ['redis', 'php-fpm'] }, // ProxySQL installed, not started: its first start is apply's
    { name: 'db1', services: ['mariadb'] },
    { name: 'db2', services: ['mariadb'] },
  ]);
  [px, db1, db2] = hosts;
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-secrets-ascii-'));
  await db(db1, 'CREATE DATABASE restro;');
}, 120_000);
afterAll(async () => {
  if (hosts.length) await stopHosts(hosts);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('secrets of every printable ASCII character', () => {
  let firstId: string;

  test('the secrets pass validate; each refused character is refused by name, its value not shown', async () => {
    const file = site('site.yaml', '300');
    expect((await cli(['validate', '--site', file])).code).toBe(0);
    const bad = await runCli(['validate', '--site', file], { env: { ...env, PROXYSQL_ADMIN_PASSWORD: 'with:colon' } });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/secrets\.proxysql_admin_password.*no ':' or ';'/);
    expect(bad.stderr).not.toContain('with:colon');
  });

  test('plan, then apply: every secret works where it is used, and none is in any process list', async () => {
    const file = site('site.yaml', '300');
    const plan = await cli(['plan', '--site', file]);
    expect(plan.code, plan.stderr).toBe(0);
    const stop = await watchProcessLists(hosts);
    const applied = await cli(['apply', '--yes', '--site', file]);
    const seen = await stop();
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(seen).toContain('ps -eo args');
    expect(leaks(seen), 'a secret in a process list').toEqual([]);
    await everySecretWorks();
    firstId = JSON.parse(await sh(px, 'cat /var/lib/stackscale/state.json')).deployId as string;
    expect(firstId).toBeTruthy();
    // What apply wrote is what plan wants: nothing left to change, ProxySQL's runtime users and passwords included.
    const again = await cli(['plan', '--site', file, '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  }, 240_000);

  test('status logs in to Redis and ProxySQL with them', async () => {
    const r = await cli(['status', '--json', '--site', site('site.yaml', '300')]);
    const doc = JSON.parse(r.stdout) as { hosts: { host: string; services: { service: string; answered: boolean; error?: string }[] }[] };
    const answered = doc.hosts.find((h) => h.host === 'px')?.services.map((s) => [s.service, s.answered, s.error]);
    expect(answered).toEqual(expect.arrayContaining([['redis', true, undefined], ['proxysql', true, undefined]]));
  });

  test('another deployment, then rollback to the first: the restored files bring the secrets back, and they work', async () => {
    const other = await cli(['apply', '--yes', '--site', site('site-1000.yaml', '1000')]);
    expect(other.code, other.stdout + other.stderr).toBe(0);
    const stop = await watchProcessLists(hosts);
    const rb = await cli(['rollback', '--yes', '--to', firstId, '--site', site('site.yaml', '300')]);
    const seen = await stop();
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(leaks(seen), 'a secret in a process list').toEqual([]);
    expect(JSON.parse(await sh(px, 'cat /var/lib/stackscale/state.json'))).toMatchObject({ kind: 'rollback', restoredFrom: firstId });
    // ProxySQL's runtime tables (the other deployment's) came back with the cnf: ProxySQL loaded the restored cnf
    // itself, passwords of every character included, so the first deployment's plan finds nothing to change.
    expect(rb.stdout + rb.stderr).toMatch(/\[px\] sql proxysql-admin: ProxySQL runs from its database, not from the restored \/etc\/proxysql\.cnf/);
    const again = await cli(['plan', '--site', site('site.yaml', '300'), '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
    await everySecretWorks();
  }, 240_000);
});
