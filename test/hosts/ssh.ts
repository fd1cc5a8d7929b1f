// Plain OpenSSH client access to test hosts, with strict host-key checking against the set's known_hosts.
import { spawn } from 'node:child_process';
import type { TestHost } from './harness.js';

export interface SshOptions {
  /** 'root' (default) or the host's deployUser. */
  user?: string;
  /** Written to the remote command's stdin. */
  input?: string;
  /** Default 20 s; the ssh process is killed after it. */
  timeoutMs?: number;
  /** Override the known_hosts file (default: the host's). */
  knownHosts?: string;
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** argv for `ssh` (without the remote command): key only, no agent, no user config, strict known_hosts. */
export function sshArgs(host: TestHost, opts: SshOptions = {}): string[] {
  const user = opts.user ?? host.rootUser;
  return [
    '-F', '/dev/null',
    '-i', user === host.deployUser ? host.deployKey : host.rootKey,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', `UserKnownHostsFile=${opts.knownHosts ?? host.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'LogLevel=ERROR',
    '-p', String(host.port),
    '-l', user,
    host.address,
  ];
}

/** Run one command on a host over OpenSSH. Never rejects on a non-zero exit; check `code`. */
export function ssh(host: TestHost, command: string, opts: SshOptions = {}): Promise<SshResult> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...sshArgs(host, opts), '--', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n[ssh to ${host.name} killed after ${timeoutMs} ms]`;
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Watches `ps -eo args` on every host until the returned stop(), with a loop on the host itself (every 10 ms: an ssh
 * round trip per look would miss a command that lives a fraction of a second), bounded to 180 s. stop() returns
 * everything seen: the tests assert no secret was ever in a process list.
 */
export async function watchProcessLists(on: TestHost[]): Promise<() => Promise<string>> {
  const seen: string[] = [];
  const watchers = on.map((h) => {
    const child = spawn('ssh', [...sshArgs(h), 'touch /run/ps-watch; end=$(($(date +%s) + 180)); while [ -e /run/ps-watch ] && [ $(date +%s) -lt $end ]; do ps -eo args; sleep 0.01; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
    // The loop must be running before stop() removes its flag file: else a quick run ends first and the loop,
    // starting late, would never end.
    const started = new Promise<void>((res) => child.stdout.once('data', () => res()));
    child.stdout.on('data', (d: Buffer) => seen.push(d.toString('utf8')));
    return { started, exited: new Promise<void>((res) => child.on('close', () => res())) };
  });
  await Promise.race([
    Promise.all(watchers.map((w) => w.started)),
    new Promise((_, reject) => setTimeout(() => reject(new Error('the process-list watchers did not start within 20 s')), 20_000).unref()),
  ]);
  return async () => {
    await Promise.all(on.map((h) => ssh(h, 'rm -f /run/ps-watch')));
    await Promise.all(watchers.map((w) => w.exited));
    return seen.join('');
  };
}
