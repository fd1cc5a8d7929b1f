// Provisioning above the transport: which packages a host lacks, the install decision and its refusals, the exact
// commands (MariaDB and MySQL flavours), key fingerprints, and the executor against the test transport.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Site } from '../../src/config/types.js';
import type { HostFacts } from '../../src/facts/types.js';
import { parsePackages } from '../../src/facts/parse.js';
import { installSteps, runInstall, type InstallStep } from '../../src/packages/install.js';
import type { KeyMaterial } from '../../src/packages/keys.js';
import { formatFingerprint, keyFingerprint } from '../../src/packages/openpgp.js';
import { planInstall, type PackageContext } from '../../src/packages/plan.js';
import { REPO_KEYS_FILE, repoSource, trustKey } from '../../src/packages/repository.js';
import { missingPackages, roleNeeds } from '../../src/packages/roles.js';
import { FakeTransport } from '../../src/transport/double.js';
import { installRefusals } from '../../src/apply/install-stage.js';
import type { Plan } from '../../src/plan/types.js';

const KEYS = path.join(__dirname, '../fixtures/keys');
const key = (f: string) => readFileSync(path.join(KEYS, f));
const fpr = (f: string) => readFileSync(path.join(KEYS, f), 'utf8').trim();

function fresh(over: Partial<HostFacts> = {}): HostFacts {
  return {
    host: 'vps1',
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm' },
    hostname: 'vps1',
    memory: 8 * 2 ** 30,
    cores: 4,
    somaxconn: 4096,
    initSystem: 'sysv',
    packageManager: 'apt',
    packages: {},
    files: {},
    ...over,
  };
}

const site = (over: Partial<Site> = {}): Site => ({
  profile: '300',
  hosts: [],
  app: { database: 'app', dbUser: 'app' },
  secrets: {},
  ...over,
});

const ed25519: KeyMaterial = { from: '/keys/proxysql.asc', data: key('ed25519.asc'), armoured: true, fingerprint: fpr('ed25519.fpr') };
const ctx = (over: Partial<PackageContext> = {}): PackageContext => ({ install: true, keys: new Map([['proxysql', ed25519]]), ...over });

describe('OpenPGP fingerprints', () => {
  test.each([
    ['ed25519.asc', 'ed25519.fpr'],
    ['rsa2048.asc', 'rsa2048.fpr'],
    ['rsa2048.gpg', 'rsa2048.fpr'],
  ])('%s has the fingerprint gpg printed', (k, f) => {
    expect(keyFingerprint(key(k))).toBe(fpr(f));
  });
  test('anything else is refused, saying why', () => {
    expect(() => keyFingerprint(Buffer.from('hello'))).toThrow(/not an OpenPGP public key/);
    expect(formatFingerprint('2B9A1F3CC700E342A78E530C39AE57CB9D72A1BC')).toBe('2B9A 1F3C C700 E342 A78E 530C 39AE 57CB 9D72 A1BC');
  });
});

describe('packages per role', () => {
  test('a fresh Debian 12 host with every role lacks them all, in install order', () => {
    const need = roleNeeds(['web', 'cache', 'proxysql', 'db-primary'], fresh(), site());
    expect(need.map((n) => `${n.role}:${n.name}:${n.source}`)).toEqual([
      'db-primary:mariadb-server:distro', 'proxysql:proxysql:proxysql', 'proxysql:mariadb-client:distro', 'cache:redis-server:distro',
      'web:nginx:distro', 'web:php8.2-fpm:distro', 'web:php8.2-mysql:distro', 'web:php8.2-redis:distro', 'web:php8.2-opcache:distro',
    ]);
  });
  test("the host's PHP wins over the site's php_version, which wins over the distribution's", () => {
    const ubuntu = fresh({ os: { id: 'ubuntu', versionId: '24.04', prettyName: 'Ubuntu 24.04', codename: 'noble' } });
    expect(roleNeeds(['web'], ubuntu, site()).map((n) => n.name)).toContain('php8.3-fpm');
    expect(roleNeeds(['web'], ubuntu, site({ phpVersion: '8.4' })).map((n) => n.name)).toContain('php8.4-fpm');
    const has81 = fresh({ php: { version: '8.1', poolDir: '/etc/php/8.1/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.1', service: 'php8.1-fpm', running: true } });
    expect(roleNeeds(['web'], has81, site({ phpVersion: '8.4' })).map((n) => n.name)).toContain('php8.1-redis');
  });
  test('what is installed, by package or by its daemon, is not installed again', () => {
    const facts = fresh({
      packages: parsePackages(['ii nginx-core 1.22.1', 'ii php8.2-mysql 8.2.7', 'iU php8.2-redis 5.3.7', 'rc php8.2-opcache 8.2.7', 'ii mariadb-client 10.11']),
      php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: true },
      redis: { version: '7.0.15', service: 'redis-server', running: true },
    });
    expect(missingPackages(['web', 'cache', 'proxysql'], facts, site()).map((n) => n.name)).toEqual(['proxysql', 'php8.2-redis', 'php8.2-opcache']);
  });
  test('a site that keeps its own web server (web_server: none, say Apache) gets no nginx; an lb always does', () => {
    const facts = fresh({ packages: parsePackages(['ii apache2 2.4.62', 'ii php8.2-fpm 8.2.7']) });
    expect(missingPackages(['web'], facts, site({ webServer: 'none' })).map((n) => n.name)).toEqual(['php8.2-mysql', 'php8.2-redis', 'php8.2-opcache']);
    expect(missingPackages(['web'], facts, site()).map((n) => n.name)).toEqual(['nginx', 'php8.2-mysql', 'php8.2-redis', 'php8.2-opcache']);
    expect(roleNeeds(['lb'], fresh(), site({ webServer: 'none' })).map((n) => `${n.role}:${n.name}`)).toEqual(['lb:nginx']);
  });
  test('database: {flavour: mysql} takes MySQL from its own repository', () => {
    expect(roleNeeds(['db-replica', 'proxysql'], fresh(), site({ database: { flavour: 'mysql' } })).map((n) => `${n.name}:${n.source}`)).toEqual([
      'mysql-server:mysql', 'proxysql:proxysql', 'mysql-client:mysql',
    ]);
  });
});

describe('the install decision', () => {
  test('nothing missing: no install action at all', () => {
    const facts = fresh({ packages: { 'redis-server': '5:7.0.15' } });
    expect(planInstall(['cache'], facts, site(), ctx())).toEqual({});
  });
  test('--no-install refuses with exit 3, naming the roles and packages', () => {
    const d = planInstall(['cache', 'db-primary'], fresh(), site(), ctx({ install: false, installOffBy: '--no-install' }));
    expect(d.refusal).toEqual({
      exitCode: 3,
      message: 'not installed: db-primary needs mariadb-server; cache needs redis-server; installing is off (--no-install): install them by hand, or let stackscale install them',
    });
  });
  test('an OS it does not install on: exit 1, the OS and the packages named', () => {
    const d = planInstall(['cache'], fresh({ os: { id: 'rocky', versionId: '9', prettyName: 'Rocky Linux 9' }, packageManager: undefined, packages: undefined }), site(), ctx());
    expect(d.refusal?.exitCode).toBe(1);
    expect(d.refusal?.message).toContain('cache needs redis-server; stackscale installs packages only on Debian 11/12/13 and Ubuntu 22.04/24.04');
    expect(d.refusal?.message).toContain('this host runs Rocky Linux 9');
  });
  test("ProxySQL's repository for the host's codename, and the key's trust", () => {
    const d = planInstall(['proxysql'], fresh(), site(), ctx());
    expect(d.install?.repositories).toEqual([
      { name: 'proxysql', url: 'https://repo.proxysql.com/ProxySQL/proxysql-2.7.x/bookworm/', suite: './', keyFrom: '/keys/proxysql.asc', keyFingerprint: ed25519.fingerprint, trust: 'new' },
    ]);
    const pinned = site({ repositories: { proxysql: { keyFingerprint: ed25519.fingerprint } } });
    expect(planInstall(['proxysql'], fresh(), pinned, ctx()).install?.repositories[0].trust).toBe('pinned');
    const recorded = fresh({ files: { [REPO_KEYS_FILE]: { path: REPO_KEYS_FILE, exists: true, content: JSON.stringify({ proxysql: { fingerprint: ed25519.fingerprint, url: 'x', accepted: '2026-01-01' } }) } } });
    expect(planInstall(['proxysql'], recorded, site(), ctx()).install?.repositories[0].trust).toBe('recorded');
  });
  test('a key that could not be downloaded: plan still shows the install, marked unavailable', () => {
    const d = planInstall(['proxysql'], fresh(), site(), ctx({ keys: new Map([['proxysql', { from: 'https://k', error: 'could not download the proxysql repository key from https://k: ENOTFOUND' }]]) }));
    expect(d.refusal).toBeUndefined();
    expect(d.install?.repositories[0]).toMatchObject({ trust: 'unavailable', keyFingerprint: '', keyError: expect.stringContaining('ENOTFOUND') });
  });
  test('a key that differs from the pinned or the recorded one is refused', () => {
    const src = repoSource('proxysql', site({ repositories: { proxysql: { keyFingerprint: 'A'.repeat(40) } } }), fresh().os);
    expect(trustKey(src, ed25519.fingerprint, undefined)).toEqual({ refused: expect.stringContaining(`has fingerprint ${ed25519.fingerprint}, not ${'A'.repeat(40)}`) });
    const unpinned = repoSource('proxysql', site(), fresh().os);
    expect(trustKey(unpinned, ed25519.fingerprint, { fingerprint: 'B'.repeat(40), url: 'x', accepted: '2026-01-01' })).toEqual({
      refused: expect.stringContaining('the proxysql repository key changed'),
    });
  });
});

const argvs = (steps: InstallStep[]) => steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `write ${s.path} ${s.mode.toString(8)}`));

describe('the exact install commands', () => {
  const now = new Date('2026-11-29T10:00:00Z');
  test('MariaDB + ProxySQL on a host without systemd and without the CA bundle (https repository: ca-certificates first)', () => {
    const action = planInstall(['proxysql', 'db-primary'], fresh(), site(), ctx()).install!;
    expect(action.packages[0]).toEqual({ name: 'ca-certificates', role: 'proxysql', source: 'distro' });
    expect(argvs(installSteps(action, new Map([['proxysql', ed25519]]), fresh(), { lockTimeoutS: 120, now }))).toEqual([
      expect.stringMatching(/^sh -c \[ -e \/usr\/sbin\/policy-rc.d \] && exit 3; printf .*exit 101.* > \/usr\/sbin\/policy-rc.d && chmod 0755/),
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=120 update',
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=120 -y --no-install-recommends -o Dpkg::Options::=--force-confold install ca-certificates',
      'write /etc/apt/keyrings/stackscale-proxysql.asc 644',
      'write /etc/apt/sources.list.d/stackscale-proxysql.list 644',
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=120 update',
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=120 -y --no-install-recommends -o Dpkg::Options::=--force-confold install mariadb-server proxysql mariadb-client',
      'rm -f /usr/sbin/policy-rc.d',
      'write /var/lib/stackscale/repo-keys.json 644',
      'update-rc.d mariadb defaults',
      'update-rc.d proxysql defaults',
    ]);
  });
  test('MariaDB + ProxySQL on a host without systemd', () => {
    const facts = fresh({ packages: { 'ca-certificates': '20230311' } });
    const action = planInstall(['proxysql', 'db-primary'], facts, site(), ctx()).install!;
    expect(argvs(installSteps(action, new Map([['proxysql', ed25519]]), facts, { lockTimeoutS: 120, now }))).toEqual([
      'write /etc/apt/keyrings/stackscale-proxysql.asc 644',
      'write /etc/apt/sources.list.d/stackscale-proxysql.list 644',
      expect.stringMatching(/^sh -c \[ -e \/usr\/sbin\/policy-rc.d \] && exit 3; printf .*exit 101.* > \/usr\/sbin\/policy-rc.d && chmod 0755/),
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=120 update',
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=120 -y --no-install-recommends -o Dpkg::Options::=--force-confold install mariadb-server proxysql mariadb-client',
      'rm -f /usr/sbin/policy-rc.d',
      'write /var/lib/stackscale/repo-keys.json 644',
      'update-rc.d mariadb defaults',
      'update-rc.d proxysql defaults',
    ]);
  });
  test('MySQL 8 from Oracle\'s repository on a systemd Ubuntu 24.04 host, key pinned', () => {
    const facts = fresh({ os: { id: 'ubuntu', versionId: '24.04', prettyName: 'Ubuntu 24.04', codename: 'noble' }, initSystem: 'systemd' });
    const mysqlKey: KeyMaterial = { from: 'https://repo.mysql.com/RPM-GPG-KEY-mysql-2023', data: key('rsa2048.asc'), armoured: true, fingerprint: fpr('rsa2048.fpr') };
    const s = site({ database: { flavour: 'mysql' }, repositories: {} });
    const d = planInstall(['db-primary', 'web'], facts, s, { install: true, keys: new Map([['mysql', mysqlKey]]) });
    expect(d.install?.repositories).toEqual([
      { name: 'mysql', url: 'http://repo.mysql.com/apt/ubuntu/', suite: 'noble mysql-8.0', keyFrom: mysqlKey.from, keyFingerprint: mysqlKey.fingerprint, trust: 'new' },
    ]);
    const steps = installSteps(d.install!, new Map([['mysql', mysqlKey]]), facts, { lockTimeoutS: 0, now });
    const list = steps.find((x) => x.kind === 'write' && x.path.endsWith('.list'));
    expect(list?.kind === 'write' && list.content).toBe('deb [signed-by=/etc/apt/keyrings/stackscale-mysql.asc] http://repo.mysql.com/apt/ubuntu/ noble mysql-8.0\n');
    expect(argvs(steps).slice(3)).toEqual([
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=0 update',
      'env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -q -o DPkg::Lock::Timeout=0 -y --no-install-recommends -o Dpkg::Options::=--force-confold install mysql-server nginx php8.3-fpm php8.3-mysql php8.3-redis php8.3-opcache',
      'rm -f /usr/sbin/policy-rc.d',
      'write /var/lib/stackscale/repo-keys.json 644',
      'systemctl enable mysql nginx php8.3-fpm',
      'systemctl start nginx',
    ]);
  });
});

describe('the install executor (test transport)', () => {
  const now = new Date('2026-11-29T10:00:00Z');
  const action = () => planInstall(['proxysql'], fresh({ packages: { 'ca-certificates': '20230311' } }), site(), ctx()).install!;
  test('a failed install names the package and apt\'s last lines, and removes the repository files it added', async () => {
    const t = new FakeTransport('vps1')
      .on(/policy-rc.d \] && exit 3/, { code: 0 })
      .on(/ update$/, { code: 0, stdout: 'Hit:1 http://deb.debian.org bookworm InRelease\nReading package lists...' })
      .on(/ install /, { code: 100, stdout: 'Reading package lists...', stderr: 'E: Unable to locate package proxysql' })
      .on(/.*/, { code: 0 });
    const o = await runInstall(t, installSteps(action(), new Map([['proxysql', ed25519]]), fresh(), { lockTimeoutS: 0, now }), () => undefined);
    expect(o.ok).toBe(false);
    expect(o.error?.message).toBe('apt could not install proxysql: nothing was configured; the repository files it had added were removed');
    expect(o.error?.output).toBe('E: Unable to locate package proxysql');
    const runs = t.log.filter((c) => c.kind === 'run').map((c) => c.command);
    expect(runs.at(-2)).toBe('rm -f /etc/apt/keyrings/stackscale-proxysql.asc /etc/apt/sources.list.d/stackscale-proxysql.list');
    expect(runs.at(-1)).toBe('rm -f /usr/sbin/policy-rc.d');
    expect(runs.some((c) => c.startsWith('update-rc.d'))).toBe(false);
  });
  test('an update that could not fetch a source fails, though apt-get exits 0', async () => {
    const t = new FakeTransport('vps1')
      .on(/ update$/, { code: 0, stdout: 'W: Failed to fetch http://10.0.0.1:8099/proxysql/./InRelease  Could not connect\nW: Some index files failed to download.' })
      .on(/.*/, { code: 0 });
    const o = await runInstall(t, installSteps(action(), new Map([['proxysql', ed25519]]), fresh(), { lockTimeoutS: 0, now }), () => undefined);
    expect(o.error?.message).toMatch(/^apt-get update could not read every package source: nothing was installed/);
    expect(o.error?.output).toContain('W: Failed to fetch http://10.0.0.1:8099/proxysql/./InRelease');
    expect(t.log.some((c) => / install /.test(c.command))).toBe(false);
  });
  test('apt-get update waits for the package lists lock up to --lock-timeout, then fails naming the holder', async () => {
    let clock = 0;
    const held = { code: 100, stderr: 'E: Could not get lock /var/lib/apt/lists/lock. It is held by process 812 (apt-get)\nE: Unable to lock directory /var/lib/apt/lists/' };
    const t = new FakeTransport('vps1').on(/ update$/, held).on(/.*/, { code: 0 });
    const steps = installSteps(action(), new Map([['proxysql', ed25519]]), fresh(), { lockTimeoutS: 10, now });
    const o = await runInstall(t, steps, () => undefined, { sleep: async (ms) => void (clock += ms), now: () => clock });
    expect(t.log.filter((c) => / update$/.test(c.command)).length).toBe(6); // at 0, 2, 4, 6, 8 and 10 s
    expect(o.error?.message).toMatch(/^the dpkg lock is held by another process \(apt-get, pid 812\) and was not released within 10 s/);
    // and once it is released, the run goes on
    let n = 0;
    const t2 = new FakeTransport('vps1').on(/ update$/, () => (n++ < 2 ? held : { code: 0 })).on(/.*/, { code: 0 });
    expect((await runInstall(t2, steps, () => undefined, { sleep: async () => undefined, now: () => 0 })).ok).toBe(true);
  });
  test('a policy-rc.d the host already had is left alone', async () => {
    const t = new FakeTransport('vps1').on(/policy-rc.d \] && exit 3/, { code: 3 }).on(/.*/, { code: 0 });
    const o = await runInstall(t, installSteps(action(), new Map([['proxysql', ed25519]]), fresh(), { lockTimeoutS: 0, now }), () => undefined);
    expect(o.ok).toBe(true);
    expect(t.log.some((c) => c.command === 'rm -f /usr/sbin/policy-rc.d')).toBe(false);
  });
});

describe('what apply refuses before touching any host', () => {
  const planWith = (hosts: Plan['hosts']): Plan => ({ profile: '300', hosts, summary: { hosts: hosts.length, changedFiles: 0, newFiles: 0, unchangedFiles: 0, drifted: 0, actions: 0, failedHosts: 0 } });
  const install = planInstall(['proxysql'], fresh(), site(), ctx()).install!;
  test('a new key without --accept-new-repo-key; with it, nothing', () => {
    const plan = planWith([{ host: 'vps1', roles: ['proxysql'], install, files: [], actions: [], sql: [] }]);
    const r = installRefusals(plan, false);
    expect(r?.exitCode).toBe(1);
    expect(r?.problems[0]).toMatchObject({ where: 'vps1', message: `the proxysql repository key ${ed25519.fingerprint} (from /keys/proxysql.asc) is not trusted yet; nothing was changed on any host` });
    expect(installRefusals(plan, true)).toBeUndefined();
  });
  test('a host refused at plan time keeps its exit code (3 for --no-install)', () => {
    const plan = planWith([{ host: 'vps1', roles: ['cache'], error: { message: 'not installed: cache needs redis-server', exitCode: 3 }, files: [], actions: [], sql: [] }]);
    expect(installRefusals(plan, true)).toEqual({ exitCode: 3, problems: [{ where: 'vps1', message: 'not installed: cache needs redis-server; nothing was changed on any host' }] });
  });
});
