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
