// A real OpenSSH server for the transport tests: its own config, host key, authorized_keys and pid file in a temp
// directory, listening on 127.0.0.1 and a free port. No mocks: the transport must work against the real sshd.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';
export const sshdAvailable = existsSync(SSHD) && process.getuid?.() === 0;

export interface Sshd {
  port: number;
  dir: string;
  /** Client private key (ed25519, no passphrase) listed in authorized_keys. */
  clientKey: string;
  /** The host key's public line (`ssh-ed25519 AAAA...`). */
  hostKeyPub(): string;
  /** `SHA256:...` of the current host key, from ssh-keygen -lf. */
  hostFingerprint(): string;
  /** Add a public key line to authorized_keys. */
  authorize(pubLine: string): void;
  /** Stop, optionally replace the host key, and start again on the same port. */
  restart(opts?: { newHostKey?: boolean }): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

export function keygen(file: string, opts: { type?: string; passphrase?: string; comment?: string } = {}): void {
  execFileSync('ssh-keygen', ['-q', '-t', opts.type ?? 'ed25519', '-N', opts.passphrase ?? '', '-C', opts.comment ?? 'stackscale-test', '-f', file]);
}

export function fingerprintOf(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' }).split(' ')[1];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something on the port sends an SSH banner. */
async function waitForBanner(port: number, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.setTimeout(1000, () => {
        sock.destroy();
        resolve(false);
      });
      sock.once('data', (d) => {
        sock.destroy();
        resolve(d.toString('latin1').startsWith('SSH-'));
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd did not come up on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSshd(opts: { extraConfig?: string } = {}): Promise<Sshd> {
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'stackscale-sshd-'));
  // sshd reads authorized_keys as the logging-in user: non-root test users must be able to reach it.
  chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  keygen(hostKey, { comment: 'host' });
  keygen(clientKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o644 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'MaxSessions 10',
      'LogLevel ERROR',
      opts.extraConfig ?? '',
    ].join('\n') + '\n',
  );
  let child: ChildProcess | undefined;
  let log = '';
  const start = async () => {
    child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitForBanner(port);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    port,
    dir,
    clientKey,
    hostKeyPub: () => readFileSync(`${hostKey}.pub`, 'utf8').trim(),
    hostFingerprint: () => fingerprintOf(`${hostKey}.pub`),
    authorize: (line) => writeFileSync(join(dir, 'authorized_keys'), `${line.trim()}\n`, { flag: 'a' }),
    restart: async ({ newHostKey } = {}) => {
      await stop();
      if (newHostKey) {
        rmSync(hostKey);
        rmSync(`${hostKey}.pub`);
        keygen(hostKey, { comment: 'host' });
      }
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => log,
  };
}

/** The processes whose command line holds `pattern`, as pgrep lists them ('' when none). */
export function pgrep(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-af', pattern]).toString();
  } catch {
    return '';
  }
}

/** True once no process's command line holds `pattern`, polled for at most `ms`. */
export async function goneWithin(pattern: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pgrep(pattern) === '') return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
