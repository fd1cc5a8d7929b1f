// What both kinds of test host share on the TypeScript side: a set of hosts lives in a slot (bridge, /24, state dir)
// that is ours while we hold its flock; the kind's script (hosts.sh, fresh.sh; their shell side is lib.sh) starts and
// stops the set. harness.ts (the VPS-like hosts) and fresh.ts (hosts from the minimal image) describe their kind
// with a HostKind and use these.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One kind of test host: its script and where its slots live. */
export interface HostKind {
  /** For messages: `test hosts`, `fresh test hosts`. */
  label: string;
  /** The script with `up --slot N --locked SPEC...` and `down --slot N --locked`. */
  script: string;
  /** State root: slot<N>.lock and slot<N>/ under it. */
  root: string;
  /** The first two octets of the slots' networks: slot N is <net>.<N>.0/24, this machine <net>.<N>.1. */
  net: string;
  /** A slot's bridge is <bridgePrefix><N>. */
  bridgePrefix: string;
  /** How many slots to try. */
  slots: number;
  /** What to tell someone when no slot is free. */
  busyHint: string;
}

/** A running set: its slot, and the child holding the slot's lock. */
export interface RunningSet {
  slot: number;
  lock: ChildProcess;
}

/** The hosts of one kind this process started, by slot; torn down when the process exits without stopping them. */
const running = new Map<HostKind, Map<number, RunningSet>>();

function runningOf(kind: HostKind): Map<number, RunningSet> {
  let m = running.get(kind);
  if (!m) {
    running.set(kind, (m = new Map()));
    process.once('exit', () => {
      // A process that is killed without stopping its hosts (vitest worker torn down) still takes them with it.
      for (const slot of m!.keys()) {
        try {
          execFileSync('bash', [kind.script, 'down', '--slot', String(slot), '--locked'], { stdio: 'ignore', timeout: 20_000 });
        } catch {
          /* the next start of the slot cleans up what is left */
        }
      }
    });
  }
  return m;
}

/**
 * Takes a slot (the wanted one, else the first free), runs `script up --slot N --locked ...specArgs`, and returns the
 * slot once every host is ready. On failure the slot is torn down and released before the error is thrown.
 */
export async function startSet(kind: HostKind, specArgs: string[], opts: { timeoutMs: number; slot?: number; env?: Record<string, string> }): Promise<RunningSet> {
  const set = await takeSlot(kind, opts.slot);
  try {
    await runScript(kind, ['up', '--slot', String(set.slot), '--locked', ...specArgs], opts.timeoutMs, opts.env);
  } catch (err) {
    try {
      await runScript(kind, ['down', '--slot', String(set.slot), '--locked'], 30_000);
    } catch {
      /* the lock holder tears the slot down once released */
    } finally {
      set.lock.stdin?.end();
    }
    throw err;
  }
  runningOf(kind).set(set.slot, set);
  return set;
}

/** Stops the given slots of this kind (every slot this process started when none are given). Safe to call twice. */
export async function stopSets(kind: HostKind, slots?: number[]): Promise<void> {
  const mine = runningOf(kind);
  const errors: unknown[] = [];
  for (const slot of slots ?? [...mine.keys()]) {
    const set = mine.get(slot);
    if (!set) continue;
    mine.delete(slot);
    try {
      await runScript(kind, ['down', '--slot', String(slot), '--locked'], 60_000);
    } catch (err) {
      errors.push(err);
    } finally {
      set.lock.stdin?.end();
    }
  }
  if (errors.length) throw new AggregateError(errors, `${kind.label}: stop: ${errors.map(String).join('; ')}`);
}

/** The client side of one host of a set: what both kinds' TestHost has (services and the rest are the caller's). */
export function hostEntry(kind: HostKind, slot: number, name: string, octet: number) {
  const dir = path.join(kind.root, `slot${slot}`);
  const hostKey = readFileSync(path.join(dir, name, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    name,
    address: `${kind.net}.${slot}.${octet}`,
    port: 22,
    rootUser: 'root' as const,
    rootKey: path.join(dir, 'id_ed25519'),
    deployUser: 'deploy' as const,
    deployKey: path.join(dir, 'id_ed25519'),
    publicKey: path.join(dir, 'id_ed25519.pub'),
    knownHosts: path.join(dir, 'known_hosts'),
    hostKey,
    hostKeyFingerprint: fingerprint(hostKey),
    sshConfig: path.join(dir, 'ssh_config'),
    slot,
    bridge: `${kind.bridgePrefix}${slot}`,
    gateway: `${kind.net}.${slot}.1`,
    stateDir: dir,
    log: path.join(dir, name, 'log'),
  };
}

/** OpenSSH's `SHA256:` fingerprint of a public key line (`ssh-ed25519 AAAA...`). */
export function fingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/**
 * A slot (bridge + /24 + state dir) is ours while we hold flock on <root>/slot<N>.lock. The lock is held by a small
 * `flock ... cat` child whose stdin is a pipe from this process: when this process dies, however it dies, cat sees EOF,
 * the child runs `script down` for the slot and exits, and the slot is free again. (A run that finds leftovers in a
 * free slot anyway, say after a reboot, cleans them up before it starts.)
 */
async function takeSlot(kind: HostKind, wanted?: number): Promise<RunningSet> {
  mkdirSync(kind.root, { recursive: true });
  const mine = runningOf(kind);
  const candidates = wanted !== undefined ? [wanted] : [...Array(kind.slots).keys()];
  for (const slot of candidates) {
    if (mine.has(slot)) continue;
    const lock = await tryLock(kind, path.join(kind.root, `slot${slot}.lock`), slot);
    if (lock) return { slot, lock };
  }
  throw new Error(
    wanted !== undefined
      ? `${kind.label}: slot ${wanted} is in use (${kind.busyHint})`
      : `${kind.label}: all ${kind.slots} slots are in use (${kind.busyHint})`,
  );
}

function tryLock(kind: HostKind, file: string, slot: number): Promise<ChildProcess | undefined> {
  return new Promise((resolve, reject) => {
    // Holds the lock until our end of its stdin closes (stop, or this process dying however it dies), then, still
    // holding it, tears down whatever of the slot is left. Its own session: a Ctrl-C or a process-group kill of the test
    // run does not take it down before it has cleaned up.
    const script = 'echo locked; cat >/dev/null; exec bash "$0" down --slot "$1" --locked >/dev/null 2>&1';
    const child = spawn('flock', ['-n', '-E', '75', file, 'bash', '-c', script, kind.script, String(slot)], {
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind.label}: flock on ${file} did not answer`));
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
      reject(new Error(`${kind.label}: cannot run flock (util-linux): ${err.message}`));
    });
    child.on('exit', () => {
      clearTimeout(timer);
      if (!out.includes('locked')) resolve(undefined); // 75: held by another run
    });
  });
}

function runScript(kind: HostKind, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!existsSync(kind.script)) return reject(new Error(`missing ${kind.script}`));
    execFile(
      'bash',
      [kind.script, ...args],
      { timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 16 << 20, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (err) {
          const why = err.killed ? `timed out after ${timeoutMs} ms` : `exit ${err.code ?? err.signal}`;
          reject(new Error(`${kind.label}: ${path.basename(kind.script)} ${args.join(' ')}: ${why}\n${stderr.trim()}`));
        } else resolve(stdout);
      },
    );
  });
}
