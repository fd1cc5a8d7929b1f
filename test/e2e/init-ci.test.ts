// CI mode with the real binary and no terminal (pipes): init refuses at once naming the flags; init --non-interactive
// writes a file that validates and plans against a host of our own; plan/status --json follow their documented
// schemas; nothing carries colour; apply without --yes refuses and leaves the host as it was.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
import { loadSite } from '../../src/config/site.js';
import { check } from '../unit/cli-schema.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/stackscale.js');
const ANSI = /\x1b\[/;
const SECRETS = {
  REDIS_PASSWORD: 'redis-ci-Secret1',
  APP_DB_PASSWORD: 'app-ci-Secret2',
  PROXYSQL_ADMIN_PASSWORD: 'padmin-ci-Secret3',
  PROXYSQL_MONITOR_PASSWORD: 'pmon-ci-Secret4',
};

let dir: string;
let host: TestHost;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stackscale-ci-e2e-'));
  // A host of our own: this file checks that a refused apply leaves it exactly as it was.
  [host] = await startHosts([{ name: 'ci1', services: ['php-fpm', 'redis', 'mariadb'] }]);
});
afterAll(async () => {
  if (host) await stopHosts([host]);
  rmSync(dir, { recursive: true, force: true });
});

/** The bin with stdin, stdout and stderr all pipes: no terminal anywhere, as in a CI job. */
function run(args: string[], env: Record<string, string> = {}) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    input: '',
    timeout: 90_000,
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

describe('init without a terminal', () => {
  it('refuses within a second, naming the flags of a non-interactive run; writes nothing', () => {
    const r = run(['init']);
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(1000);
    expect(r.stdout).toBe('');
    for (const flag of ['--non-interactive', '--out FILE', '--profile P', '--host NAME=ADDRESS[:PORT]', '--role NAME=ROLE[,ROLE]', '--user NAME=USER', '--identity NAME=PATH', '--secret KEY=env:VAR']) {
      expect(r.stderr).toContain(flag);
    }
    expect(r.stderr).not.toMatch(ANSI);
    expect(existsSync(join(dir, 'stackscale.yaml'))).toBe(false);
  });

  it('--non-interactive with bad flags: exit 3, every problem named, nothing written', () => {
    const r = run(['init', '--non-interactive', '--host', 'web1', '--role', 'web1=webserver', '--secret', 'redis_password=hunter2']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--profile: is required/);
    expect(r.stderr).toMatch(/--host: "web1" is not NAME=ADDRESS\[:PORT\]/);
    expect(r.stderr).toMatch(/--role: "web1" is not a host given with --host/);
    expect(r.stderr).toMatch(/--secret: redis_password: write where the secret is/);
    expect(r.stderr).not.toContain('hunter2');
    expect(existsSync(join(dir, 'stackscale.yaml'))).toBe(false);
  });
});

describe('a CI run from a site file written by init --non-interactive', () => {
  let file: string;

  beforeAll(() => {
    file = join(dir, 'site.yaml');
    const r = run([
      'init', '--non-interactive', '--out', file, '--profile', '300',
      '--host', `ci1=${host.address}:${host.port}`, '--role', 'ci1=web,cache,proxysql,db-primary',
      '--identity', `ci1=${host.rootKey}`, '--host-key', `ci1=${host.hostKeyFingerprint}`,
      '--database', 'restro',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote site\.yaml: valid for profile 300 \(1 host\)$/m);
  });

  it('the file loads and validates, with the pinned key and no secret values', () => {
    const site = loadSite(file);
    expect(site.hosts[0]).toMatchObject({ name: 'ci1', address: host.address, hostKey: host.hostKeyFingerprint, roles: ['web', 'cache', 'proxysql', 'db-primary'] });
    const v = run(['validate', '--json', '--no-secrets', '--site', file]);
    expect(v.code).toBe(0);
    expect(check(JSON.parse(v.stdout), 'validate.schema.json')).toEqual([]);
  });

  it('is never overwritten without --force', () => {
    const before = readFileSync(file);
    const r = run(['init', '--non-interactive', '--out', file, '--profile', '700', '--host', 'x=10.0.0.1', '--role', 'x=web']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/already exists; not overwritten \(pass --force/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a missing secret variable: exit 3 naming it, before the host is contacted', () => {
    const { APP_DB_PASSWORD: _, ...partial } = SECRETS;
    const r = run(['plan', '--site', file], partial);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('APP_DB_PASSWORD');
    expect(r.stderr).not.toMatch(/\[ci1\] connecting/);
  });

  it('plan --json --detailed-exitcode: exit 2, one document on stdout following plan.schema.json, no colour, no secrets', () => {
    const r = run(['plan', '--json', '--detailed-exitcode', '--site', file], { ...SECRETS, CI: 'true' });
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout);
    expect(check(plan, 'plan.schema.json')).toEqual([]);
    expect(plan.hosts[0].host).toBe('ci1');
    expect(plan.summary.newFiles + plan.summary.changedFiles).toBeGreaterThan(0);
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
    for (const v of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(v);
  });

  it('plan without --json: plain per-host progress lines on stderr, no ANSI', () => {
    const r = run(['plan', '--site', file], SECRETS);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\[ci1\] connecting$/m);
    expect(r.stderr).toMatch(/^\[ci1\] reading facts$/m);
    expect(r.stdout).toMatch(/^plan: 1 host, /m);
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
  });

  it('apply without a terminal and without --yes: exit 1, told to pass --yes, the host unchanged', async () => {
    const snapshot = async () =>
      (await ssh(host, 'find /etc/php /etc/redis /etc/mysql /var/lib/stackscale /var/backups/stackscale -type f 2>/dev/null | sort | xargs -r sha256sum')).stdout;
    const before = await snapshot();
    const r = run(['apply', '--site', file], SECRETS);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
    expect(await snapshot()).toBe(before);
  });

  it('status --json follows status.schema.json', () => {
    const r = run(['status', '--json', '--site', file], SECRETS);
    expect([0, 1]).toContain(r.code);
    expect(check(JSON.parse(r.stdout), 'status.schema.json')).toEqual([]);
  });

  it('apply --yes --json and rollback --list --json follow apply.schema.json and rollback-list.schema.json', () => {
    const r = run(['apply', '--yes', '--json', '--site', file], { ...SECRETS, CI: 'true' });
    const doc = JSON.parse(r.stdout);
    expect(check(doc, 'apply.schema.json')).toEqual([]);
    expect(r.code).toBe(doc.ok ? 0 : 1);
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
    for (const v of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(v);
    const list = run(['rollback', '--list', '--json', '--site', file], SECRETS);
    expect(list.code).toBe(0);
    expect(check(JSON.parse(list.stdout), 'rollback-list.schema.json')).toEqual([]);
  }, 120_000);
});
