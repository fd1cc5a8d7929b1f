// Fresh-image test hosts (test/hosts/fresh.sh): new VPSes with only sshd, from the cached minimal Debian 12 image
// (test/hosts/image.sh), with the test distribution mirror and a signed ProxySQL repository served on their bridge.
// A test file starts its own set in beforeAll and stops it in afterAll. See test/hosts/README.md.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fingerprint, type TestHost } from './harness.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FRESH_SH = path.join(HERE, 'fresh.sh');
export const IMAGE_SH = path.join(HERE, 'image.sh');
const ROOT = process.env.STACKSCALE_FRESH_ROOT ?? '/srv/stackscale-fresh-hosts';
const NET = process.env.STACKSCALE_FRESH_NET ?? '10.78';
const SLOTS = 16;

export interface FreshRepos {
  /** The stand-in for the provider's Debian mirror, already in each host's sources. */
  debianUrl: string;
  /** A flat, signed repository holding ProxySQL 2.4.8 (`deb [signed-by=...] <url> ./`). */
  proxysqlUrl: string;
  /** The key that signed it (ASCII-armoured, on this machine) and its fingerprint (40 hex digits). */
  proxysqlKey: string;
  proxysqlFingerprint: string;
  /** A key that signed nothing, for key mismatch tests. */
  otherKey: string;
  otherFingerprint: string;
}

export type FreshHost = TestHost & { repos: FreshRepos };

interface Running {
  lock: ChildProcess;
}
const running = new Map<number, Running>();

/** The image directory, built when absent (minutes; `.ci/run` builds it before the tests). */
export function ensureImage(): string {
  return execFileSync('bash', [IMAGE_SH, 'ensure'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 }).trim();
}

export async function startFreshHosts(names: string[], opts: { timeoutMs?: number } = {}): Promise<FreshHost[]> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new Error('fresh test hosts need root, as .ci/run runs the tests');
  const image = ensureImage();
  const { slot, lock } = await takeSlot();
  const octets = names.map((_, i) => 11 + i);
  try {
    await run(['up', '--slot', String(slot), '--locked', ...names.map((n, i) => `${n}:${octets[i]}`)], opts.timeoutMs ?? 60_000);
  } catch (err) {
    await run(['down', '--slot', String(slot), '--locked'], 30_000).catch(() => undefined);
    lock.stdin?.end();
    throw err;
  }
  running.set(slot, { lock });
  const dir = path.join(ROOT, `slot${slot}`);
  const gateway = `${NET}.${slot}.1`;
  const repos: FreshRepos = {
    debianUrl: `http://${gateway}:8080/debian/`,
    proxysqlUrl: `http://${gateway}:8080/proxysql/`,
    proxysqlKey: path.join(image, 'proxysql-key.asc'),
    proxysqlFingerprint: readFileSync(path.join(image, 'proxysql-key.fpr'), 'utf8').trim(),
    otherKey: path.join(image, 'other-key.asc'),
    otherFingerprint: readFileSync(path.join(image, 'other-key.fpr'), 'utf8').trim(),
  };
  return names.map((name, i) => {
    const hostKey = readFileSync(path.join(dir, name, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    return {
      name,
      address: `${NET}.${slot}.${octets[i]}`,
      port: 22,
      services: [],
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
      bridge: `ssfb${slot}`,
      gateway,
      stateDir: dir,
      log: path.join(dir, name, 'log'),
      repos,
    };
  });
}

export async function stopFreshHosts(hosts: FreshHost[]): Promise<void> {
  for (const slot of new Set(hosts.map((h) => h.slot))) {
    const r = running.get(slot);
    if (!r) continue;
    running.delete(slot);
    try {
      await run(['down', '--slot', String(slot), '--locked'], 60_000);
    } finally {
      r.lock.stdin?.end();
    }
  }
}

process.once('exit', () => {
  for (const slot of running.keys()) {
    try {
      execFileSync('bash', [FRESH_SH, 'down', '--slot', String(slot), '--locked'], { stdio: 'ignore', timeout: 20_000 });
    } catch {
      /* the next start of the slot cleans up */
    }
  }
});

/** Holds flock on the slot's lock file until our end of its stdin closes; then tears the slot down (as harness.ts). */
async function takeSlot(): Promise<{ slot: number; lock: ChildProcess }> {
  mkdirSync(ROOT, { recursive: true });
  for (let slot = 0; slot < SLOTS; slot++) {
    if (running.has(slot)) continue;
    const lock = await tryLock(path.join(ROOT, `slot${slot}.lock`), slot);
    if (lock) return { slot, lock };
  }
  throw new Error(`fresh test hosts: all ${SLOTS} slots are in use`);
}

function tryLock(file: string, slot: number): Promise<ChildProcess | undefined> {
  return new Promise((resolve, reject) => {
    const script = 'echo locked; cat >/dev/null; exec bash "$0" down --slot "$1" --locked >/dev/null 2>&1';
    const child = spawn('flock', ['-n', '-E', '75', file, 'bash', '-c', script, FRESH_SH, String(slot)], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fresh test hosts: flock on ${file} did not answer`));
    }, 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) {
        clearTimeout(timer);
        child.stdout!.destroy();
        child.unref();
        (child.stdin as unknown as { unref?: () => void }).unref?.();
        resolve(child);
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      if (!out.includes('locked')) resolve(undefined);
    });
  });
}

function run(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [FRESH_SH, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`fresh.sh ${args.join(' ')}: ${err.killed ? 'timed out' : `exit ${err.code}`}\n${stderr.trim()}`));
      else resolve(stdout);
    });
  });
}
