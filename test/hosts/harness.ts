// Real VPS-like test hosts for end-to-end tests: TypeScript side of test/hosts/hosts.sh.
// See test/hosts/README.md for what a host is and what tests get.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Service = 'mariadb' | 'redis' | 'php-fpm' | 'nginx' | 'proxysql';
/** What a host runs when its spec names no services. */
export const ALL_SERVICES: readonly Service[] = ['php-fpm', 'redis', 'mariadb'];
/**
 * Services a host may be given; nginx (Debian's default site, as the package installs it) and proxysql (on the
 * package's sample cnf) only when asked for.
 */
const KNOWN_SERVICES: readonly Service[] = [...ALL_SERVICES, 'nginx', 'proxysql'];

/** What to start. */
export interface HostSpec {
  /** Host name (also its hostname inside): lower case, digits, dashes. Unique within one startHosts call. */
  name: string;
  /** Last octet of its address in the set's /24 (10.77.<slot>.<octet>); default 11, 12, ... in order. */
  octet?: number;
  /**
   * Services started with their init scripts before sshd. Default: php-fpm, redis, mariadb. [] = sshd only.
   * `nginx` and `proxysql` are never defaults; `proxysql` starts ProxySQL on the package's sample cnf (every host has
   * it installed either way).
   */
  services?: readonly Service[];
}

/** What a test gets for one running host. Plain data (it crosses vitest's provide/inject). */
export interface TestHost {
  name: string;
  address: string;
  port: number;
  services: Service[];
  /** Root logs in with this private key (ed25519, no passphrase). */
  rootUser: 'root';
  rootKey: string;
  /** Non-root user with `deploy ALL=(ALL) NOPASSWD:ALL`; same key as root. */
  deployUser: 'deploy';
  deployKey: string;
  /** The client's public key file (what authorized_keys holds). */
  publicKey: string;
  /** known_hosts holding the host key of every host of this set (plain `<address> ssh-ed25519 ...` lines). */
  knownHosts: string;
  /** This host's own key: `ssh-ed25519 AAAA...`, and its OpenSSH fingerprint `SHA256:...`. */
  hostKey: string;
  hostKeyFingerprint: string;
  /** An ssh_config with a `Host <name>` entry for each host (for people: `ssh -F <sshConfig> h1`). */
  sshConfig: string;
  /** The set it belongs to: slot number, bridge, gateway (this machine's address on the bridge), state dir. */
  slot: number;
  bridge: string;
  gateway: string;
  stateDir: string;
  /** The host's start log (init scripts' output, sshd's stderr). */
  log: string;
}

export interface StartOptions {
  /** Bound on the whole start, ms (default 90 s). */
  timeoutMs?: number;
  /** Use this slot instead of the first free one. */
  slot?: number;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const HOSTS_SH = path.join(HERE, 'hosts.sh');
export const STATE_ROOT = process.env.STACKSCALE_HOSTS_ROOT ?? '/srv/stackscale-test-hosts';
const NET = process.env.STACKSCALE_HOSTS_NET ?? '10.77';
const SLOTS = Number(process.env.STACKSCALE_HOSTS_SLOTS ?? 16);

/** The default set the vitest globalSetup starts. */
export const DEFAULT_HOSTS: HostSpec[] = [
  { name: 'h1', octet: 11, services: ['php-fpm', 'redis', 'mariadb'] },
  { name: 'h2', octet: 12, services: ['mariadb'] },
  { name: 'h3', octet: 13, services: ['mariadb'] },
];

interface RunningSet {
  slot: number;
  lock: ChildProcess;
  hosts: TestHost[];
}
const running = new Map<number, RunningSet>();

/** Start the hosts (all at once, on one new bridge) and resolve when every one is ready. */
export async function startHosts(specs: HostSpec[], opts: StartOptions = {}): Promise<TestHost[]> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  if (specs.length === 0) throw new Error('startHosts: no hosts asked for');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('test hosts need root (network namespaces, a bridge, overlays); run the tests as root, as .ci/run does');
  }
  const octets = assignOctets(specs);
  const { slot, lock } = await takeSlot(opts.slot);
  const args = ['up', '--slot', String(slot), '--locked'];
  specs.forEach((s, i) => args.push(`${s.name}:${octets[i]}:${servicesArg(s.services)}`));
  try {
    await run(HOSTS_SH, args, timeoutMs, { STACKSCALE_HOSTS_TIMEOUT: String(Math.max(5, Math.floor(timeoutMs / 1000) - 5)) });
  } catch (err) {
    try {
      await run(HOSTS_SH, ['down', '--slot', String(slot), '--locked'], 30_000);
    } finally {
      releaseLock(lock);
    }
    throw err;
  }
  const dir = path.join(STATE_ROOT, `slot${slot}`);
  const hosts = specs.map((s, i): TestHost => {
    const hostKey = readFileSync(path.join(dir, s.name, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    return {
      name: s.name,
      address: `${NET}.${slot}.${octets[i]}`,
      port: 22,
      services: [...(s.services ?? ALL_SERVICES)],
      rootUser: 'root',
      rootKey: path.join(dir, 'id_ed25519'),
      deployUser: 'deploy',
      deployKey: path.join(dir, 'id_ed25519'),
      publicKey: path.join(dir, 'id_ed25519.pub'),
      knownHosts: path.join(dir, 'known_hosts'),
      hostKey,
      hostKeyFingerprint: fingerprint(hostKey),
      sshConfig: path.join(dir, 'ssh_config'),
      slot,
      bridge: `ssbr${slot}`,
      gateway: `${NET}.${slot}.1`,
      stateDir: dir,
      log: path.join(dir, s.name, 'log'),
    };
  });
  running.set(slot, { slot, lock, hosts });
  return hosts;
}

/** Stop the sets the given hosts belong to, or every set this process started. Safe to call twice. */
export async function stopHosts(hosts?: TestHost[]): Promise<void> {
  const slots = hosts ? [...new Set(hosts.map((h) => h.slot))] : [...running.keys()];
  const errors: unknown[] = [];
  for (const slot of slots) {
    const set = running.get(slot);
    if (!set) continue;
    running.delete(slot);
    try {
      await run(HOSTS_SH, ['down', '--slot', String(slot), '--locked'], 60_000);
    } catch (err) {
      errors.push(err);
    } finally {
      releaseLock(set.lock);
    }
  }
  if (errors.length) throw new AggregateError(errors, `stopHosts: ${errors.map(String).join('; ')}`);
}

/** OpenSSH's `SHA256:` fingerprint of a public key line (`ssh-ed25519 AAAA...`). */
export function fingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

// A process that is killed without stopHosts (vitest worker torn down) still takes its hosts with it.
process.once('exit', () => {
  for (const slot of running.keys()) {
    try {
      execFileSync(HOSTS_SH, ['down', '--slot', String(slot), '--locked'], { stdio: 'ignore', timeout: 20_000 });
    } catch {
      /* the next run's start cleans up what is left */
    }
  }
});

function servicesArg(services: readonly Service[] | undefined): string {
  if (!services) return 'all';
  for (const s of services) if (!KNOWN_SERVICES.includes(s)) throw new Error(`startHosts: unknown service ${String(s)}`);
  return services.length ? services.join(',') : 'none';
}

function assignOctets(specs: HostSpec[]): number[] {
  const used = new Set(specs.flatMap((s) => (s.octet === undefined ? [] : [s.octet])));
  const names = new Set<string>();
  let next = 11;
  return specs.map((s) => {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(s.name)) throw new Error(`startHosts: bad host name '${s.name}'`);
    if (names.has(s.name)) throw new Error(`startHosts: host name ${s.name} given twice`);
    names.add(s.name);
    if (s.octet !== undefined) {
      if (!Number.isInteger(s.octet) || s.octet < 2 || s.octet > 254) throw new Error(`startHosts: bad octet ${s.octet}`);
      return s.octet;
    }
    while (used.has(next)) next++;
    used.add(next);
    return next;
  });
}

/**
 * A slot (bridge + /24 + state dir) is ours while we hold flock on <root>/slot<N>.lock. The lock is held by a small
 * `flock ... cat` child whose stdin is a pipe from this process: when this process dies, however it dies, cat sees EOF,
 * the child runs `hosts.sh down` for the slot and exits, and the slot is free again. (A run that finds leftovers in
 * a free slot anyway, say after a reboot, cleans them up before it starts.)
 */
async function takeSlot(wanted?: number): Promise<{ slot: number; lock: ChildProcess }> {
  mkdirSync(STATE_ROOT, { recursive: true });
  const candidates = wanted !== undefined ? [wanted] : [...Array(SLOTS).keys()];
  for (const slot of candidates) {
    if (running.has(slot)) continue;
    const lock = await tryLock(path.join(STATE_ROOT, `slot${slot}.lock`), slot);
    if (lock) return { slot, lock };
  }
  throw new Error(
    wanted !== undefined
      ? `test hosts: slot ${wanted} is in use (test/hosts/hosts.sh status)`
      : `test hosts: all ${SLOTS} slots are in use (test/hosts/hosts.sh status; hosts.sh down --slot N)`,
  );
}

function tryLock(file: string, slot: number): Promise<ChildProcess | undefined> {
  return new Promise((resolve, reject) => {
    // Holds the lock until our end of its stdin closes (stopHosts, or this process dying however it dies), then, still
    // holding it, tears down whatever of the slot is left. Its own session: a Ctrl-C or a process-group kill of the test
    // run does not take it down before it has cleaned up.
    const script = 'echo locked; cat >/dev/null; exec bash "$0" down --slot "$1" --locked >/dev/null 2>&1';
    const child = spawn('flock', ['-n', '-E', '75', file, 'bash', '-c', script, HOSTS_SH, String(slot)], {
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`test hosts: flock on ${file} did not answer`));
    }, 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) {
        clearTimeout(timer);
        child.stdout!.destroy();
        // Do not keep this process alive for the lock's sake.
        child.unref();
        (child.stdin as unknown as { unref?: () => void }).unref?.();
        resolve(child);
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`test hosts: cannot run flock (util-linux): ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('locked')) resolve(undefined); // 75: held by another run
      void code;
    });
  });
}

function releaseLock(lock: ChildProcess): void {
  lock.stdin?.end();
}

function run(cmd: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!existsSync(cmd)) return reject(new Error(`missing ${cmd}`));
    execFile(
      'bash',
      [cmd, ...args],
      { timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 16 << 20, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (err) {
          const why = err.killed ? `timed out after ${timeoutMs} ms` : `exit ${err.code ?? err.signal}`;
          reject(new Error(`test hosts: hosts.sh ${args.join(' ')}: ${why}\n${stderr.trim()}`));
        } else resolve(stdout);
      },
    );
  });
}
