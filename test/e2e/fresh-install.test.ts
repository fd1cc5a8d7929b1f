// From a fresh VPS (only sshd; test/hosts/fresh.sh) to the whole stack with one `stackscale apply`: packages from the
// distribution mirror and ProxySQL from its own signed repository, the key pinned; refusals that change nothing;
// broken sources and a held dpkg lock; a primary + replica pair replicating after one apply.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFreshHosts, stopFreshHosts, type FreshHost } from '../hosts/fresh.js';
import { ssh } from '../hosts/ssh.js';
import { runCli, SECRET_ENV } from '../helpers/cli.js';
import { check } from '../unit/cli-schema.js';

let hosts: FreshHost[] = [];
let dir: string;
const env = { HOME: '/nonexistent', ...SECRET_ENV };
const byName = (n: string): FreshHost => hosts.find((h) => h.name === n) as FreshHost;

async function sh(h: FreshHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(h, cmd, { input, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

interface SiteOpts {
  repo?: { url?: string; key_file?: string; key_fingerprint?: string };
  install?: boolean;
}

function site(file: string, members: { h: FreshHost; roles: string[] }[], opts: SiteOpts = {}): string {
  const lines = ['profile: 300', 'hosts:'];
  for (const { h, roles } of members) {
    lines.push(`  ${h.name}:`, `    address: ${h.address}`, `    identity: ${h.rootKey}`, `    host_key: ${h.hostKeyFingerprint}`, `    roles: [${roles.join(', ')}]`);
  }
  lines.push('app:', '  database: restro', '  db_user: restro');
  const repos = members[0].h.repos;
  const repo = { url: repos.proxysqlUrl, key_file: repos.proxysqlKey, ...opts.repo };
  lines.push('repositories:', '  proxysql:');
  for (const [k, v] of Object.entries(repo)) if (v !== undefined) lines.push(`    ${k}: ${v}`);
  if (opts.install !== undefined) lines.push('packages:', `  install: ${opts.install}`);
  lines.push('secrets:');
  for (const [k, v] of Object.entries({
    redis_password: 'REDIS_PASSWORD', app_db_password: 'APP_DB_PASSWORD', replication_password: 'REPL_PASSWORD',
    proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD', proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD',
  })) lines.push(`  ${k}: env:${v}`);
  const p = path.join(dir, file);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

const cli = async (args: string[]) => {
  const r = await runCli(args, { env });
  for (const v of Object.values(SECRET_ENV)) expect(r.stdout + r.stderr).not.toContain(v);
  return r;
};

/** What would show any change on a host: packages, config files, stackscale's own state, apt's history. */
async function footprint(h: FreshHost): Promise<string> {
  return sh(
    h,
    'dpkg-query -W -f "\\${Package}\\n" | wc -l; ls /etc/proxysql.cnf /etc/redis /etc/mysql /var/lib/stackscale /etc/apt/keyrings /etc/apt/sources.list.d 2>&1; ' +
      'cat /var/log/apt/history.log 2>/dev/null | grep -c Commandline; ls /usr/sbin/policy-rc.d 2>&1; true',
  );
}

const aptRuns = async (h: FreshHost): Promise<number> => Number((await sh(h, 'grep -c "^Commandline" /var/log/apt/history.log || true')).trim() || 0);

beforeAll(async () => {
  hosts = await startFreshHosts(['fa', 'fb', 'fp', 'fr']);
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-fresh-'));
}, 30 * 60_000);

afterAll(async () => {
  if (hosts.length) await stopFreshHosts(hosts);
});

const ALL = ['web', 'cache', 'proxysql', 'db-primary'];

describe('one fresh host with web, cache, proxysql and db-primary', () => {
  test('plan lists every package, where it comes from, and the repository key it would trust', async () => {
    const fa = byName('fa');
    const r = await cli(['plan', '--json', '--detailed-exitcode', '--site', site('one.yaml', [{ h: fa, roles: ALL }])]);
    expect(r.code, r.stderr).toBe(2);
    const plan = JSON.parse(r.stdout);
    expect(check(plan, 'plan.schema.json')).toEqual([]);
    const install = plan.hosts[0].install;
    expect(install.packages).toEqual([
      { name: 'mariadb-server', role: 'db-primary', source: 'distro' },
      { name: 'proxysql', role: 'proxysql', source: fa.repos.proxysqlUrl },
      { name: 'mariadb-client', role: 'proxysql', source: 'distro' },
      { name: 'redis-server', role: 'cache', source: 'distro' },
      { name: 'nginx', role: 'web', source: 'distro' },
      { name: 'php8.2-fpm', role: 'web', source: 'distro' },
      { name: 'php8.2-mysql', role: 'web', source: 'distro' },
      { name: 'php8.2-redis', role: 'web', source: 'distro' },
      { name: 'php8.2-opcache', role: 'web', source: 'distro' },
    ]);
    expect(install.repositories).toEqual([
      { name: 'proxysql', url: fa.repos.proxysqlUrl, suite: './', keyFrom: fa.repos.proxysqlKey, keyFingerprint: fa.repos.proxysqlFingerprint, trust: 'new' },
    ]);
    expect(plan.summary.installs).toBe(1);
    // ProxySQL is not installed yet: it is to be started on the new cnf, not driven through an admin interface.
    expect(plan.hosts[0].actions.find((a: { service: string }) => a.service === 'proxysql').kind).toBe('start');
    const human = await cli(['plan', '--site', site('one.yaml', [{ h: fa, roles: ALL }])]);
    expect(human.stdout).toMatch(/key 2B9A|key [0-9A-F]{4} [0-9A-F]{4}/);
    expect(human.stdout).toContain('install  php8.2-fpm (web, from distro)');
  });

  test('--no-install and packages.install: false refuse with exit 3, naming host, roles and packages; nothing changes', async () => {
    const fa = byName('fa');
    const before = await footprint(fa);
    const file = site('one.yaml', [{ h: fa, roles: ALL }]);
    const plan = await cli(['plan', '--no-install', '--site', file]);
    expect(plan.code).toBe(3);
    expect(plan.stderr).toContain('fa: not installed: db-primary needs mariadb-server; proxysql needs proxysql, mariadb-client; cache needs redis-server; web needs nginx, php8.2-fpm');
    expect(plan.stderr).toContain('--no-install');
    expect(plan.stdout).toMatch(/^plan: 1 host, 0 new, 0 changed, 0 unchanged files, 0 service actions, 1 host refused$/m);
    const apply = await cli(['apply', '--yes', '--no-install', '--accept-new-repo-key', '--site', file]);
    expect(apply.code).toBe(3);
    expect(apply.stderr).toContain('nothing was changed on any host');
    const off = await cli(['apply', '--yes', '--accept-new-repo-key', '--site', site('off.yaml', [{ h: fa, roles: ['cache'] }], { install: false })]);
    expect(off.code).toBe(3);
    expect(off.stderr).toContain('cache needs redis-server; installing is off (packages: {install: false} in the site file)');
    expect(await footprint(fa)).toBe(before);
  });

  test('an unknown repository key is refused without --accept-new-repo-key, a pinned one that differs always', async () => {
    const fa = byName('fa');
    const before = await footprint(fa);
    const r = await cli(['apply', '--yes', '--site', site('one.yaml', [{ h: fa, roles: ALL }])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the proxysql repository key ${fa.repos.proxysqlFingerprint}`);
    expect(r.stderr).toContain('--accept-new-repo-key');
    const pinned = site('pinned-other.yaml', [{ h: fa, roles: ALL }], { repo: { key_fingerprint: fa.repos.otherFingerprint } });
    const p = await cli(['apply', '--yes', '--accept-new-repo-key', '--site', pinned]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(`has fingerprint ${fa.repos.proxysqlFingerprint}, not ${fa.repos.otherFingerprint}`);
    expect(await footprint(fa)).toBe(before);
  });

  test('apply installs, configures, enables and starts everything; the app reaches MariaDB through ProxySQL', async () => {
    const fa = byName('fa');
    const file = site('one.yaml', [{ h: fa, roles: ALL }]);
    const r = await cli(['apply', '--yes', '--accept-new-repo-key', '--site', file]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(await aptRuns(fa)).toBe(1);
    expect(await sh(fa, 'cat /etc/apt/sources.list.d/stackscale-proxysql.list')).toBe(
      `deb [signed-by=/etc/apt/keyrings/stackscale-proxysql.asc] ${fa.repos.proxysqlUrl} ./\n`,
    );
    expect(JSON.parse(await sh(fa, 'cat /var/lib/stackscale/repo-keys.json')).proxysql.fingerprint).toBe(fa.repos.proxysqlFingerprint);
    // enabled at boot (no systemd running here: init-script links), and no policy-rc.d left behind
    expect(await sh(fa, 'ls /etc/rc2.d/ | sed "s/^S[0-9]*//" | sort | tr "\\n" " "')).toMatch(/mariadb .*nginx .*php8\.2-fpm .*proxysql .*redis-server/);
    expect((await ssh(fa, 'test -e /usr/sbin/policy-rc.d')).code).toBe(1);
    // running, on stackscale's files (the package's own kept as the backup)
    expect((await sh(fa, 'mysqladmin ping')).trim()).toBe('mysqld is alive');
    expect(await sh(fa, 'ls /var/backups/stackscale/[0-9]*/etc/redis/redis.conf /var/backups/stackscale/[0-9]*/etc/proxysql.cnf | wc -l')).toMatch(/^2/);
    // and kept as the originals `rollback --to original` puts back
    expect(await sh(fa, 'ls /var/backups/stackscale/original/etc/redis/redis.conf /var/backups/stackscale/original/etc/proxysql.cnf | wc -l')).toMatch(/^2/);
    expect(await sh(fa, 'pgrep -x nginx >/dev/null && pgrep -x proxysql >/dev/null && pgrep -f php-fpm >/dev/null && echo up')).toBe('up\n');
    const viaProxy = await sh(fa, `mariadb -h 127.0.0.1 -P 6033 -u restro --password='${SECRET_ENV.APP_DB_PASSWORD}' --batch --skip-column-names -e 'SELECT 40 + 2'`);
    expect(viaProxy.trim()).toBe('42');
  }, 300_000);

  test('a second apply runs no apt-get and changes nothing', async () => {
    const fa = byName('fa');
    const r = await cli(['apply', '--yes', '--json', '--site', site('one.yaml', [{ h: fa, roles: ALL }])]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(check(doc, 'apply.schema.json')).toEqual([]);
    expect(doc.hosts.map((h: { status: string }) => h.status)).toEqual(['unchanged']);
    expect(doc.summary.installs).toBe(0);
    expect(await aptRuns(fa)).toBe(1);
  }, 120_000);
});

describe('broken package sources and a held dpkg lock', () => {
  test('a repository that is down: exit 1 before any change, with apt\'s own words', async () => {
    const fb = byName('fb');
    const before = await footprint(fb);
    const down = site('down.yaml', [{ h: fb, roles: ['proxysql', 'db-primary'] }], { repo: { url: `http://${fb.gateway}:8099/proxysql/` } });
    const r = await cli(['apply', '--yes', '--accept-new-repo-key', '--site', down]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apt-get update could not read every package source: nothing was installed');
    expect(r.stderr).toMatch(/8099/);
    expect(await footprint(fb)).toBe(before);
    // status says what is missing and what installs it
    const st = await cli(['status', '--site', down]);
    expect(st.stdout + st.stderr).toContain('proxysql is not installed (stackscale apply installs it)');
  }, 120_000);

  test('a repository signed with another key: exit 1 before any change', async () => {
    const fb = byName('fb');
    const before = await footprint(fb);
    const other = site('other-key.yaml', [{ h: fb, roles: ['proxysql', 'db-primary'] }], { repo: { key_file: fb.repos.otherKey } });
    const r = await cli(['apply', '--yes', '--accept-new-repo-key', '--site', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apt-get update refused a repository whose signature does not match the key it is trusted with');
    expect(r.stderr).toMatch(/NO_PUBKEY|not signed|GPG error/);
    expect(await footprint(fb)).toBe(before);
  }, 120_000);

  test('a held dpkg lock: apply waits --lock-timeout, then fails naming it', async () => {
    const fb = byName('fb');
    // Hold dpkg's locks the way apt does (fcntl F_SETLK on x86_64's struct flock), for at most 60 s.
    const hold = ssh(
      fb,
      `perl -e 'use Fcntl; open(A, ">>", "/var/lib/dpkg/lock-frontend") or die; open(B, ">>", "/var/lib/dpkg/lock") or die; ` +
        `my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl(A, F_SETLK, $l) or die "$!"; fcntl(B, F_SETLK, $l) or die "$!"; sleep 60' & ` +
        `echo $! > /run/lock-holder; wait`,
      { timeoutMs: 90_000 },
    );
    await new Promise((res) => setTimeout(res, 1500));
    const t0 = Date.now();
    const r = await cli(['apply', '--yes', '--lock-timeout', '3', '--site', site('cache.yaml', [{ h: fb, roles: ['cache'] }])]);
    const took = Date.now() - t0;
    await sh(fb, 'kill $(cat /run/lock-holder)');
    await hold;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the dpkg lock is held by another process');
    expect(r.stderr).toContain('--lock-timeout');
    expect(took).toBeGreaterThanOrEqual(3000);
    expect((await ssh(fb, 'test -e /etc/redis/redis.conf')).code).toBe(1);
  }, 120_000);
});

describe('primary and replica from two fresh hosts', () => {
  test('one apply installs both and leaves replication running', async () => {
    const [fp, fr] = [byName('fp'), byName('fr')];
    const file = site('pair.yaml', [{ h: fp, roles: ['db-primary'] }, { h: fr, roles: ['db-replica'] }]);
    const r = await cli(['apply', '--yes', '--site', file]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const status = await sh(fr, 'mariadb --batch -e "SHOW SLAVE STATUS\\G"');
    expect(status).toMatch(/Slave_IO_Running: Yes/);
    expect(status).toMatch(/Slave_SQL_Running: Yes/);
    await sh(fp, 'mariadb', 'CREATE DATABASE IF NOT EXISTS restro; CREATE TABLE restro.fresh (id INT PRIMARY KEY); INSERT INTO restro.fresh VALUES (7);');
    let seen = '';
    for (let i = 0; i < 50 && seen.trim() !== '7'; i++) {
      seen = (await ssh(fr, 'mariadb --batch --skip-column-names -e "SELECT id FROM restro.fresh"')).stdout;
      if (seen.trim() !== '7') await new Promise((res) => setTimeout(res, 200));
    }
    expect(seen.trim()).toBe('7');
  }, 300_000);
});
