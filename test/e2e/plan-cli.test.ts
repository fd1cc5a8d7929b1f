// `stackscale plan` against the real test hosts: what it shows, that it writes nothing, host keys, sudo, secrets,
// and hosts that do not answer.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { testHost, type TestHost } from '../hosts/context.js';
import { ssh } from '../hosts/ssh.js';
import { runCli, SECRET_ENV, writeSite } from '../helpers/cli.js';

let h1: TestHost;
let dir: string;
const env = { HOME: '/nonexistent', ...SECRET_ENV };
const ALL_ROLES = ['web', 'cache', 'proxysql', 'db-primary'];

beforeAll(() => {
  h1 = testHost('h1');
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-plan-e2e-'));
});

function site(name: string, over: Partial<Parameters<typeof writeSite>[2][number]> = {}, profile = '300'): string {
  return writeSite(path.join(dir, name), profile, [{ name: 'h1', address: h1.address, identity: h1.rootKey, roles: ALL_ROLES, ...over }]);
}

function plan(siteFile: string, ...extra: string[]) {
  return runCli(['plan', '--site', siteFile, '--known-hosts', h1.knownHosts, '--connect-timeout', '5', ...extra], { env });
}

const etcSums = async (): Promise<string> => {
  const r = await ssh(h1, 'find /etc /var/lib/stackscale -xdev -type f 2>/dev/null | sort | xargs -d "\\n" sha256sum 2>/dev/null; true', { timeoutMs: 60_000 });
  return r.stdout;
};

describe('plan on a fresh host', () => {
  test('shows the pool, Redis, MySQL and ProxySQL files and actions, exits 2 with --detailed-exitcode, writes nothing', async () => {
    const before = await etcSums();
    const r = await plan(site('fresh.yaml'), '--detailed-exitcode');
    const after = await etcSums();
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/changed\s+\/etc\/php\/8\.2\/fpm\/pool\.d\/www\.conf/);
    expect(r.stdout).toContain('+pm.max_children');
    expect(r.stdout).toMatch(/changed\s+\/etc\/redis\/redis\.conf/);
    expect(r.stdout).toMatch(/new\s+\/etc\/mysql\/mariadb\.conf\.d\/60-stackscale\.cnf/);
    // The ProxySQL package is installed (its sample cnf in place), never started: plan says its first start reads ours.
    expect(r.stdout).toMatch(/changed\s+\/etc\/proxysql\.cnf/);
    expect(r.stdout).toMatch(/start\s+proxysql: ProxySQL is not running and has no database yet: its first start reads the new cnf/);
    expect(r.stdout).toMatch(/(reload|restart)\s+php-fpm/);
    expect(r.stdout).toMatch(/restart\s+mysql/);
    expect(r.stdout).toMatch(/^plan: 1 host, \d+ new, \d+ changed/m);
    expect(after).toBe(before);
    expect(after.length).toBeGreaterThan(1000);
  });

  test('--json is one document with the same content and no secret', async () => {
    const r = await plan(site('json.yaml'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.profile).toBe('300');
    const host = doc.hosts[0];
    expect(host.host).toBe('h1');
    const redis = host.files.find((f: { path: string }) => f.path === '/etc/redis/redis.conf');
    expect(redis).toMatchObject({ status: 'changed', secrets: ['redis_password'] });
    expect(redis.diff).toBeUndefined();
    for (const v of Object.values(SECRET_ENV)) expect(r.stdout + r.stderr).not.toContain(v);
  });

  test('no colour when not on a terminal', async () => {
    const r = await plan(site('nocolour.yaml'));
    expect(r.stdout + r.stderr).not.toMatch(/\x1b\[/);
  });
});

describe('host keys', () => {
  test('unknown refused (exit 4), accepted with the flag and recorded, then accepted silently; a changed key is refused even with the flag', async () => {
    const known = path.join(dir, 'known_hosts_tofu');
    writeFileSync(known, '');
    const s = site('keys.yaml');
    const args = ['plan', '--site', s, '--known-hosts', known];
    const unknown = await runCli(args, { env });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(h1.hostKeyFingerprint);
    expect(unknown.stderr).toContain('--accept-new-host-key');
    expect(readFileSync(known, 'utf8')).toBe('');

    const accepted = await runCli([...args, '--accept-new-host-key'], { env });
    expect(accepted.code).toBe(0);
    expect(readFileSync(known, 'utf8')).toContain(h1.hostKey.split(' ')[1]);

    const silent = await runCli(args, { env });
    expect(silent.code).toBe(0);

    // Another host's key recorded for h1's address: as if h1's key had changed.
    const other = testHost('h2');
    writeFileSync(known, `${h1.address} ${other.hostKey}\n`);
    const changed = await runCli([...args, '--accept-new-host-key'], { env });
    expect(changed.code).toBe(4);
    expect(changed.stderr).toContain('HOST KEY CHANGED');
    expect(changed.stderr).toContain(h1.hostKeyFingerprint);
    expect(changed.stderr).toContain(other.hostKeyFingerprint);
    expect(readFileSync(known, 'utf8')).toBe(`${h1.address} ${other.hostKey}\n`);
  });

  test('a pinned fingerprint in the site file is enough, and a wrong pin is refused', async () => {
    const empty = path.join(dir, 'known_hosts_empty');
    writeFileSync(empty, '');
    const pinned = await runCli(['plan', '--site', site('pinned.yaml', { hostKey: h1.hostKeyFingerprint }), '--known-hosts', empty], { env });
    expect(pinned.code).toBe(0);
    const wrong = await runCli(['plan', '--site', site('wrongpin.yaml', { hostKey: testHost('h2').hostKeyFingerprint }), '--known-hosts', empty], { env });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('pinned');
  });
});

describe('sudo', () => {
  test('a non-root user with sudo gets the same plan as root', async () => {
    const root = await plan(site('root.yaml'), '--json');
    const deploy = await plan(site('deploy.yaml', { user: h1.deployUser, identity: h1.deployKey }), '--json');
    expect(root.code).toBe(0);
    expect(deploy.code).toBe(0);
    expect(JSON.parse(deploy.stdout)).toEqual(JSON.parse(root.stdout));
  });
});

describe('secrets', () => {
  test('never in the host process list while plan runs', async () => {
    // Watch every process's argv on the host for the whole plan.
    const watcher = ssh(h1, 'for i in $(seq 1 60); do ps -eo args; sleep 0.05; done', { timeoutMs: 30_000 });
    const r = await plan(site('ps.yaml'));
    const seen = (await watcher).stdout;
    expect(r.code).toBe(0);
    expect(seen).toContain('ps -eo args');
    for (const v of Object.values(SECRET_ENV)) {
      expect(seen).not.toContain(v);
      expect(r.stdout + r.stderr).not.toContain(v);
    }
  });

  test('a missing secret variable is exit 3, named, before any connection', async () => {
    const { REDIS_PASSWORD: _, ...without }: Record<string, string> = env;
    const r = await runCli(['plan', '--site', site('nosecret.yaml', { address: '10.255.255.1' })], { env: without });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('REDIS_PASSWORD');
  });
});

describe('hosts that do not answer', () => {
  test('a refused port and a silent address fail within the timeout while the other host still plans', async () => {
    const s = writeSite(path.join(dir, 'dead.yaml'), '300', [
      { name: 'h1', address: h1.address, identity: h1.rootKey, roles: ['web'] },
      { name: 'refused', address: h1.address, port: 2222, identity: h1.rootKey, roles: ['cache'] },
      // An address on the test bridge that no host holds: packets go nowhere.
      { name: 'silent', address: h1.address.replace(/\.\d+$/, '.250'), identity: h1.rootKey, roles: ['db-primary'] },
    ]);
    const known = path.join(dir, 'known_dead');
    copyFileSync(h1.knownHosts, known);
    const t0 = Date.now();
    const r = await runCli(['plan', '--site', s, '--known-hosts', known, '--connect-timeout', '3'], { env });
    const took = Date.now() - t0;
    expect(r.code).toBe(4);
    expect(took).toBeLessThan(10_000);
    expect(r.stdout).toMatch(/== h1[\s\S]*www\.conf/);
    expect(r.stdout).toMatch(/== refused[\s\S]*unreachable: .*refused/);
    expect(r.stdout).toMatch(/== silent[\s\S]*unreachable: /);
  });
});

describe('validate --remote', () => {
  test("runs each daemon's own checker on the candidates on the host, leaving nothing behind", async () => {
    const before = await etcSums();
    const r = await runCli(['validate', '--remote', '--json', '--site', site('remote.yaml'), '--known-hosts', h1.knownHosts], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    const byPath = Object.fromEntries(doc.checks.map((c: { path: string; checker: string; ok: boolean; skipped?: string }) => [c.path, c]));
    expect(byPath['/etc/php/8.2/fpm/pool.d/www.conf']).toMatchObject({ checker: 'php-fpm8.2 -t', ok: true });
    expect(byPath['/etc/redis/redis.conf']).toMatchObject({ ok: true });
    expect(byPath['/etc/mysql/mariadb.conf.d/60-stackscale.cnf']).toMatchObject({ checker: 'mariadbd --help --verbose', ok: true });
    // ProxySQL's own reading of the file: a throw-away ProxySQL on the candidate (the package is installed on the hosts).
    expect(byPath['/etc/proxysql.cnf']).toMatchObject({ checker: 'proxysql (throw-away start)', ok: true });
    expect(byPath['/etc/proxysql.cnf'].skipped).toBeUndefined();
    expect(await etcSums()).toBe(before);
    expect((await ssh(h1, 'ls -d /tmp/stackscale-validate.* /tmp/stackscale-proxysql.* 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
    expect((await ssh(h1, 'pgrep -x proxysql | wc -l')).stdout.trim()).toBe('0');
    for (const v of Object.values(SECRET_ENV)) expect(r.stdout + r.stderr).not.toContain(v);
  });
});

describe('~/.ssh/config', () => {
  test('sets the user where the site file does not, and the site file wins where it does', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'stackscale-home-'));
    mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(path.join(home, '.ssh', 'config'), `Host ${h1.address}\n  User nosuchuser\n`);
    const withHome = { ...env, HOME: home };
    const fromConfig = await runCli(['plan', '--site', site('cfg.yaml'), '--known-hosts', h1.knownHosts], { env: withHome });
    expect(fromConfig.code).toBe(4);
    expect(fromConfig.stderr).toMatch(/refused every key offered for user nosuchuser/);
    const siteWins = await runCli(['plan', '--site', site('cfg-root.yaml', { user: 'root' }), '--known-hosts', h1.knownHosts], { env: withHome });
    expect(siteWins.code, siteWins.stderr).toBe(0);
  });
});
