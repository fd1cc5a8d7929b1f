// The REAL facts script, run on this machine (Debian 12 with php8.2-fpm, mariadb-server and redis-server installed)
// through a minimal local runner: `sh -c` of the command, the script on stdin, exactly as a transport would.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { DEPLOYMENT_RECORD, factsScript, gatherFacts, PACKAGE_GLOBS, PACKAGES_QUERY, packageHelpers, PRELUDE, procsQuery, pathsToRead, resourcesFromFacts } from '../../src/facts/gather.js';
import { parseFacts } from '../../src/facts/parse.js';
import { parsePackages } from '../../src/facts/packages.js';
import type { HostFacts } from '../../src/facts/types.js';
import { shellQuote, toShell, type RunOptions, type RunResult, type Transport } from '../../src/transport/types.js';

/** Just enough of a transport to run the script here; records what it was asked to run. */
class ShRunner implements Transport {
  readonly host = 'localhost';
  readonly calls: { command: string; options: RunOptions }[] = [];
  async run(command: string | string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ command: toShell(command), options });
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', toShell(command)], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
      child.stdin.end(options.stdin ?? '');
    });
  }
  async readFile(): Promise<Buffer | null> {
    throw new Error('not used');
  }
  async writeFile(): Promise<void> {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

/** A transport that answers every command with the same result. */
const canned = (result: RunResult): Transport => ({
  host: 'web9',
  run: async () => result,
  readFile: async () => null,
  writeFile: async () => undefined,
  close: async () => undefined,
});

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const isRoot = process.getuid?.() === 0;

describe('gatherFacts on this machine (the real script)', () => {
  let dir: string;
  let managed: string;
  let odd: string;
  let missing: string;
  let runner: ShRunner;
  let facts: HostFacts;
  const bytes = Buffer.concat([Buffer.from('[www]\npm = dynamic\n# naïve\n'), Buffer.from([0x00, 0xff, 0x0a])]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stackscale-facts-'));
    managed = join(dir, 'www.conf');
    odd = join(dir, "it's a $file");
    missing = join(dir, 'missing.cnf');
    writeFileSync(managed, bytes);
    chmodSync(managed, 0o640);
    if (isRoot) chownSync(managed, 0, 33); // root:www-data, as a pool file may be
    writeFileSync(odd, '');
    runner = new ShRunner();
    facts = await gatherFacts(runner, [managed, odd, missing]);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is one round trip: `sh -s`, privileged, the script on stdin (no path on argv)', () => {
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0].command).toBe('sh -s');
    expect(runner.calls[0].options.privileged).toBe(true);
    expect(String(runner.calls[0].options.stdin)).toContain(managed);
  });

  it('finds the OS, memory, cores and somaxconn this machine has', () => {
    const osRelease = readFileSync('/etc/os-release', 'utf8');
    expect(facts.os.id).toBe(/^ID=(.*)$/m.exec(osRelease)?.[1]);
    expect(facts.os.versionId).toBe('12');
    const memKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    expect(facts.memory).toBe(memKb * 1024);
    expect(facts.cores).toBe(cpus().length);
    expect(facts.somaxconn).toBe(Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim()));
    expect(facts.hostname).toBe(spawnSync('uname', ['-n']).stdout.toString().trim());
    const systemd = existsSync('/run/systemd/system') && readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
    expect(facts.initSystem).toBe(systemd ? 'systemd' : 'sysv');
  });

  it('finds PHP 8.2, MariaDB 10.11, Redis 7.0 and ProxySQL 2.4.8 (installed; running or not depends on the machine)', () => {
    expect(facts.php).toMatchObject({ version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm' });
    expect(typeof facts.php?.running).toBe('boolean');
    expect(facts.db).toMatchObject({ flavour: 'mariadb', serverBinary: '/usr/sbin/mariadbd', service: 'mariadb' });
    expect(facts.db?.version).toMatch(/^10\.11\.\d+$/);
    expect(facts.redis).toMatchObject({ service: 'redis-server' });
    expect(facts.redis?.version).toMatch(/^7\.0\.\d+$/);
    // The ProxySQL package .ci/run installs; whether its database exists depends on the machine.
    expect(facts.proxysql?.version).toBe('2.4.8');
    expect(typeof facts.proxysql?.database).toBe('boolean');
  });

  it("sees apt and the roles' installed packages (.ci/run's), in the same round trip", () => {
    expect(facts.packageManager).toBe('apt');
    for (const p of ['nginx', 'php8.2-fpm', 'php8.2-mysql', 'php8.2-redis', 'php8.2-opcache', 'redis-server', 'mariadb-server', 'mariadb-client', 'proxysql']) {
      expect(facts.packages?.[p], p).toMatch(/^\S+$/);
    }
    expect(facts.os.codename).toBe('bookworm');
  });

  it("reads a managed file's mode, owner, group, sha256 and exact bytes", () => {
    const f = facts.files[managed];
    expect(f).toMatchObject({ path: managed, exists: true, mode: 0o640, owner: 'root', group: isRoot ? 'www-data' : expect.any(String) });
    expect(f.sha256).toBe(sha(bytes));
    expect(f.content).toBe(bytes.toString('utf8'));
    expect(facts.files[odd]).toMatchObject({ exists: true, content: '', sha256: sha('') });
  });

  it('reports a missing file as not existing, and only the paths asked for', () => {
    expect(facts.files[missing]).toEqual({ path: missing, exists: false });
    expect(Object.keys(facts.files).sort()).toEqual([managed, odd, missing].sort());
  });

  it('sees a running php-fpm and measures its workers, not the master', async () => {
    const conf = join(dir, 'fpm.conf');
    const pid = join(dir, 'fpm.pid');
    writeFileSync(
      conf,
      [`[global]`, `pid = ${pid}`, `error_log = ${join(dir, 'fpm.log')}`, `daemonize = no`, `[probe]`, `user = nobody`, `group = nogroup`,
        `listen = ${join(dir, 'fpm.sock')}`, `pm = static`, `pm.max_children = 3`, ''].join('\n'),
    );
    const master = spawn('/usr/sbin/php-fpm8.2', ['-y', conf, '-F'], { stdio: 'ignore' });
    try {
      await waitFor(() => childrenOf(master.pid!).length === 3);
      const workers = childrenOf(master.pid!).map((p) => rssKib(p));
      const live = await gatherFacts(new ShRunner(), []);
      expect(live.php?.running).toBe(true);
      // The master's RSS is not among them; the workers' RSS move a little between the two reads.
      expect(live.php?.workerRss).toBeGreaterThan(0);
      expect(live.php!.workerRss! / 1024).toBeGreaterThanOrEqual(Math.min(...workers) * 0.5);
      expect(live.php!.workerRss! / 1024).toBeLessThanOrEqual(Math.max(...workers) * 2);
    } finally {
      master.kill('SIGQUIT');
      await new Promise((r) => master.once('exit', r));
    }
  }, 20_000);
}, 30_000);

describe('versions from dpkg on this machine', () => {
  it('the package lines give the same facts as running the binaries', async () => {
    const script = factsScript([]);
    expect(script).toContain(PACKAGES_QUERY);
    const fromPackages = await new ShRunner().run(['sh', '-s'], { stdin: script });
    const fromBanners = await new ShRunner().run(['sh', '-s'], { stdin: script.replace(PACKAGES_QUERY, 'pkgs=') });
    // Debian 12 here: each daemon found in its package, none run for its version.
    expect(fromPackages.stdout).toMatch(/^package mariadb-server-core 1:10\.11\.\d+-/m);
    expect(fromPackages.stdout).toMatch(/^package php8\.2-fpm 8\.2\.\d+-/m);
    expect(fromPackages.stdout).toMatch(/^package redis-server 5:7\.0\.\d+-/m);
    expect(fromPackages.stdout).not.toMatch(/^version /m);
    expect(fromPackages.stderr).toBe('');
    expect(fromBanners.stdout).not.toMatch(/^package /m);
    const [a, b] = [fromPackages, fromBanners].map((r) => parseFacts('localhost', r.stdout, [], DEPLOYMENT_RECORD));
    expect(a.db).toEqual(b.db);
    expect(a.redis).toEqual(b.redis);
    expect({ ...a.php, workerRss: undefined }).toEqual({ ...b.php, workerRss: undefined }); // RSS moves between runs
  });
});

/**
 * The dpkg helpers against a fake dpkg database and fake binaries (each prints a banner when run), with a stub
 * dpkg-query on PATH printing what a host's would.
 */
describe('versions from dpkg (the script helpers against a fake dpkg database)', () => {
  let dir: string;
  let bin: string;
  let dpkg: string;
  let stubs: string;
  const dpkgQueryOutput = [
    'ii  mariadb-server-core 1:10.11.6-0+deb12u1',
    'un  mariadb-server-core-10.6 ',
    'hi  php8.2-fpm 8.2.36-1~deb12u1', // held: still installed
    'rc  redis-server 5:7.0.15-1~deb12u10', // removed, config files left
    'ii  mysql-server-core-8.0 8.0.39-0ubuntu0.22.04.1',
    'ii  proxysql 2.7.1',
  ];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stackscale-dpkg-'));
    [bin, dpkg, stubs] = ['bin', 'dpkg', 'stubs'].map((d) => join(dir, d));
    for (const d of [bin, join(dpkg, 'info'), stubs]) mkdirSync(d, { recursive: true });
    const exe = (path: string, body: string): void => writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    for (const name of ['mariadbd', 'mysqld', 'php-fpm8.2', 'redis-server', 'proxysql', 'local-redis']) exe(join(bin, name), `echo "banner of ${name} $*"`);
    const list = (pkg: string, ...files: string[]): void => writeFileSync(join(dpkg, 'info', `${pkg}.list`), ['/.', bin, ...files, ''].join('\n'));
    list('mariadb-server-core', join(bin, 'mariadbd'));
    list('php8.2-fpm:amd64', join(bin, 'php-fpm8.2')); // Multi-Arch: same naming
    list('redis-server', join(bin, 'redis-server'));
    list('mysql-server-core-8.0', join(bin, 'mysqld'));
    list('proxysql', join(bin, 'proxysql'));
    writeFileSync(join(dpkg, 'diversions'), [join(bin, 'proxysql'), join(bin, 'proxysql.real'), 'local-tweaks', ''].join('\n'));
    exe(join(stubs, 'dpkg-query'), `printf '%s\\n' ${dpkgQueryOutput.map(shellQuote).join(' ')}`);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Run the helpers, the real dpkg-query line (stub first on PATH, or none at all), then `body`. */
  const sh = (body: string, path = `${stubs}:${process.env.PATH}`): { stdout: string; stderr: string } => {
    const script = [packageHelpers(dpkg), `PATH=${shellQuote(path)}`, PACKAGES_QUERY, `PATH=${shellQuote(process.env.PATH ?? '')}`, body].join('\n');
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    return { stdout: r.stdout, stderr: r.stderr };
  };
  const versionOf = (name: string, option: string, ...globs: string[]): string =>
    sh(`version_of ${shellQuote(join(bin, name))} ${option} ${globs.map(shellQuote).join(' ')}`).stdout;

  it('a binary an installed package ships: that package and its version, the binary not run', () => {
    expect(versionOf('mariadbd', '--version', 'mariadb-server-core*', 'mysql-server-core*', 'mysql-community-server-core')).toBe('package mariadb-server-core 1:10.11.6-0+deb12u1\n');
    expect(versionOf('mysqld', '--version', 'mariadb-server-core*', 'mysql-server-core*', 'mysql-community-server-core')).toBe('package mysql-server-core-8.0 8.0.39-0ubuntu0.22.04.1\n');
    expect(versionOf('php-fpm8.2', '-v', 'php*-fpm')).toBe('package php8.2-fpm 8.2.36-1~deb12u1\n'); // held, Multi-Arch list name
  });

  it('falls back to the banner: package not installed, name not asked for, binary diverted or in no package', () => {
    expect(versionOf('redis-server', '--version', 'redis-server')).toBe(`version banner of redis-server --version\n`); // status rc
    expect(versionOf('mysqld', '--version', 'mariadb-server-core*')).toBe(`version banner of mysqld --version\n`); // another package's name
    expect(versionOf('proxysql', '--version', 'proxysql')).toBe(`version banner of proxysql --version\n`); // diverted
    expect(versionOf('local-redis', '--version', 'redis-server')).toBe(`version banner of local-redis --version\n`); // /usr/local-style
  });

  it('without dpkg-query: nothing captured, nothing on stderr, every version from the banner', () => {
    const r = sh(`printf '[%s]\\n' "$pkgs"; version_of ${shellQuote(join(bin, 'mariadbd'))} --version 'mariadb-server-core*'`, join(dir, 'empty'));
    expect(r).toEqual({ stdout: `[]\nversion banner of mariadbd --version\n`, stderr: '' });
  });

  it('captures the stub dpkg-query output whole, for every section to read', () => {
    expect(sh(`printf '%s\\n' "$pkgs"`).stdout).toBe(`${dpkgQueryOutput.join('\n')}\n`);
  });

  it('the helpers and the query are POSIX sh (dash -n)', () => {
    const r = spawnSync('dash', ['-n'], { input: [packageHelpers(), PACKAGES_QUERY, packageHelpers("/var/lib/it's dpkg")].join('\n') });
    expect(r.status).toBe(0);
  });
});

function childrenOf(pid: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).stdout.toString();
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
}

function rssKib(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the script', () => {
  it('reads the deployment record once, whether or not it is asked for', () => {
    expect(pathsToRead(['/a'])).toEqual(['/a', DEPLOYMENT_RECORD]);
    expect(pathsToRead([DEPLOYMENT_RECORD, '/a'])).toEqual([DEPLOYMENT_RECORD, '/a']);
    // Once in the existence loop, once on tar's command line.
    expect(factsScript([DEPLOYMENT_RECORD]).split(DEPLOYMENT_RECORD)).toHaveLength(3);
  });

  it('is valid POSIX sh (dash -n)', () => {
    const r = spawnSync('sh', ['-n'], { input: factsScript(['/etc/a b', "/etc/it's"]) });
    expect(r.status).toBe(0);
  });

  it('refuses a relative path or one with a newline', () => {
    expect(() => factsScript(['etc/x'])).toThrow(/absolute/);
    expect(() => factsScript(['/etc/x\ny'])).toThrow(/one line/);
  });
});

describe('gatherFacts errors', () => {
  it('turns a script cut short into a user error naming the host, the exit code and stderr', async () => {
    const t = canned({ code: 1, stdout: '@@stackscale:section os\nID=debian\n', stderr: 'sudo: a password is required\n' });
    const err = await gatherFacts(t, []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('web9: could not read facts: the facts script did not run to its end (exit 1: sudo: a password is required)');
  });
});

describe('resourcesFromFacts', () => {
  const base: HostFacts = {
    host: 'h', os: { id: 'debian', versionId: '12', prettyName: 'Debian 12' }, hostname: 'h',
    memory: 8 * 2 ** 30, cores: 4, somaxconn: 4096, initSystem: 'systemd', files: {},
  };

  it('takes the live numbers and versions', () => {
    const f: HostFacts = {
      ...base,
      php: { version: '8.1', poolDir: '/etc/php/8.1/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.1', service: 'php8.1-fpm', running: true, workerRss: 60 * 2 ** 20 },
      db: { flavour: 'mysql', version: '8.0.36', service: 'mysql', serverBinary: '/usr/sbin/mysqld', running: true },
    };
    expect(resourcesFromFacts(f)).toEqual({
      memory: 8 * 2 ** 30, cores: 4, somaxconn: 4096, phpVersion: '8.1', dbFlavour: 'mysql', dbVersion: '8.0', measuredWorkerRss: 60 * 2 ** 20, source: 'live facts',
    });
  });

  it('assumes PHP 8.2 and MariaDB 10.11 where the host has none yet, and no measured RSS', () => {
    expect(resourcesFromFacts(base)).toEqual({
      memory: 8 * 2 ** 30, cores: 4, somaxconn: 4096, phpVersion: '8.2', dbFlavour: 'mariadb', dbVersion: '10.11', source: 'live facts',
    });
  });
});

describe('the script arriving on stdin', () => {
  it('is parsed whole before it runs: a script cut short prints nothing', async () => {
    // A script cut off mid-way (stdin closed early) must print nothing rather than half the facts.
    const script = factsScript([]);
    const cut = await new ShRunner().run(['sh', '-s'], { stdin: script.slice(0, script.length - 40) });
    expect(cut.stdout).toBe('');
    expect(cut.code).not.toBe(0);
  });
});

describe('processes listed once (`named` reads $procs, filled by one pgrep)', () => {
  const sh = (script: string) => spawnSync('sh', ['-c', script], { encoding: 'utf8' });

  it('matches a whole process name only', () => {
    const r = sh(`${PRELUDE}
procs_read=1 procs='1 init
42 mariadbd
43 redis-server-x'
for n in mariadbd redis-server mysqld init maria; do if named "$n"; then echo "$n yes"; else echo "$n no"; fi; done`);
    expect(r.stdout).toBe('mariadbd yes\nredis-server no\nmysqld no\ninit yes\nmaria no\n');
  });

  it('sees a process of this PID namespace that runs, and not once it has ended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackscale-procs-'));
    const exe = join(dir, 'stackscale-zz');
    writeFileSync(exe, readFileSync('/bin/sleep'));
    chmodSync(exe, 0o755);
    const child = spawn(exe, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const probe = `${PRELUDE}\n${procsQuery(['mariadbd', 'stackscale-zz'])}\nif named stackscale-zz; then echo yes; else echo no; fi`;
      expect(sh(probe).stdout).toBe('yes\n');
      child.kill();
      await new Promise((r) => child.on('exit', r));
      expect(sh(probe).stdout).toBe('no\n');
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `$pkgs` comes from one awk pass over dpkg's status file; what it prints must be what dpkg-query prints of the same
 * database, in every state a package can be in, or the packages planned and the daemon versions would differ.
 */
describe('the package list read from the status file (awk), against the real dpkg-query', () => {
  const FORMAT = '${db:Status-Abbrev} ${Package} ${Version}\n';
  /** dpkg-query's lines of PACKAGE_GLOBS, without the packages that are not installed (the awk leaves them out). */
  const dpkgQuery = (admindir: string): string =>
    spawnSync('dpkg-query', [`--admindir=${admindir}`, '-W', '-f', FORMAT, ...PACKAGE_GLOBS], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l && !/^.n/.test(l))
      .map((l) => `${l}\n`)
      .join('');
  /** The script's own query, with `dpkg_dir` at `admindir`; `awk` false hides every awk (dpkg-query is then used). */
  const script = (admindir: string, awk = true): string => {
    const q = awk ? PACKAGES_QUERY : PACKAGES_QUERY.replace('/usr/bin/mawk /usr/bin/awk /bin/awk', '');
    return spawnSync('sh', ['-c', [packageHelpers(admindir), q, `printf '%s\\n' "$pkgs"`].join('\n')], { encoding: 'utf8' }).stdout;
  };

  it('this machine: the same lines as dpkg-query, and the same installed packages', () => {
    const ours = script('/var/lib/dpkg');
    expect(ours).toBe(dpkgQuery('/var/lib/dpkg'));
    expect(ours).toMatch(/^ii {2}php8\.2-fpm 8\.2\./m);
    expect(parsePackages(ours.split('\n'))).toEqual(parsePackages(script('/var/lib/dpkg', false).split('\n')));
  });

  describe('a database with a package in every state', () => {
    let dir: string;
    // In dpkg's own order (name, then architecture), as dpkg writes its status file.
    const stanzas: [string, string, string, string, string?][] = [
      ['cron', 'install ok installed', 'amd64', '3.0pl1-162'],
      ['libc6', 'install ok installed', 'amd64', '2.36-9', 'Multi-Arch: same'], // not asked for
      ['mariadb-server-core', 'install ok triggers-awaited', 'amd64', '1:10.11.19-0+deb12u1', 'Triggers-Awaited: cron'],
      ['mysql-client-core-8.0', 'purge ok not-installed', 'amd64', ''],
      ['nginx-common', 'deinstall ok config-files', 'all', '1.22.1-9+deb12u11', 'Conffiles:\n /etc/nginx/nginx.conf 0123456789abcdef0123456789abcdef'],
      // Not asked for, though a later line of its stanza ends as php*-fpm would: a glob matches the name only.
      ['php8.2-cli', 'install ok installed', 'amd64', '8.2.36-1~deb12u1', 'Replaces: php8.2-fpm'],
      ['php8.2-fpm', 'hold ok installed', 'amd64', '8.2.36-1~deb12u1'],
      ['php8.2-mysql', 'install ok half-configured', 'amd64', '8.2.36-1~deb12u1', 'Multi-Arch: same'],
      ['php8.2-mysql', 'install ok installed', 'i386', '8.2.36-1~deb12u1', 'Multi-Arch: same'],
      ['prometheus', 'install reinstreq half-installed', 'amd64', '2.42.0+ds-5'],
      ['prometheus-node-exporter', 'install ok unpacked', 'amd64', '1.5.0-1+b6'],
      ['redis-server', 'install ok triggers-pending', 'amd64', '5:7.0.15-1~deb12u10', 'Triggers-Pending: x'],
      ['redis-tools', 'install ok installed', 'amd64', '5:7.0.15-1~deb12u10'], // not asked for
    ];
    const stanza = ([pkg, status, arch, version, extra]: (typeof stanzas)[number]): string =>
      [`Package: ${pkg}`, `Status: ${status}`, 'Maintainer: T <t@example.org>', `Architecture: ${arch}`, ...(extra ? [extra] : []), ...(version ? [`Version: ${version}`] : []), 'Description: t'].join('\n');

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'stackscale-dpkgdb-'));
      mkdirSync(join(dir, 'updates'));
      mkdirSync(join(dir, 'info'));
      writeFileSync(join(dir, 'status'), `${stanzas.map(stanza).join('\n\n')}\n`);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('prints what dpkg-query prints: removed with its config files, held, half-installed, unpacked, triggers, Multi-Arch', () => {
      const ours = script(dir);
      expect(ours).toBe(dpkgQuery(dir));
      expect(ours).toBe(
        [
          'ii  cron 3.0pl1-162',
          'iW  mariadb-server-core 1:10.11.19-0+deb12u1',
          'rc  nginx-common 1.22.1-9+deb12u11',
          'hi  php8.2-fpm 8.2.36-1~deb12u1',
          'iF  php8.2-mysql 8.2.36-1~deb12u1',
          'ii  php8.2-mysql 8.2.36-1~deb12u1',
          'iHR prometheus 2.42.0+ds-5',
          'iU  prometheus-node-exporter 1.5.0-1+b6',
          'it  redis-server 5:7.0.15-1~deb12u10',
          '',
        ].join('\n'),
      );
      // Installed: held and triggers count, removed/half-installed/unpacked/half-configured do not.
      expect(parsePackages(ours.split('\n'))).toEqual({
        cron: '3.0pl1-162',
        'mariadb-server-core': '1:10.11.19-0+deb12u1',
        'php8.2-fpm': '8.2.36-1~deb12u1',
        'php8.2-mysql': '8.2.36-1~deb12u1',
        'redis-server': '5:7.0.15-1~deb12u10',
      });
    });

    it('with updates in dpkg’s journal (an interrupted run), asks dpkg-query, which reads them', () => {
      const update = join(dir, 'updates', '0000');
      writeFileSync(update, `${stanza(['cron', 'deinstall ok config-files', 'amd64', '3.0pl1-162'])}\n`);
      try {
        expect(script(dir)).toMatch(/^rc {2}cron 3\.0pl1-162$/m);
        expect(parsePackages(script(dir).split('\n'))).toEqual(parsePackages(dpkgQuery(dir).split('\n')));
      } finally {
        rmSync(update);
      }
      expect(script(dir)).toMatch(/^ii {2}cron 3\.0pl1-162$/m);
    });

    it('without awk, dpkg-query answers the same installed packages', () => {
      expect(parsePackages(script(dir, false).split('\n'))).toEqual(parsePackages(script(dir).split('\n')));
    });
  });
});
