// Opening one SSH connection: TCP connect, handshake, host-key check (before any credential is sent), authentication,
// all within one deadline; every way it can fail mapped to one UnreachableError (exit 4) that says what to check.
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthenticationType, Client as SshClient } from 'ssh2';
import { UnreachableError } from '../errors.js';
import { checkHostKey } from './known-hosts.js';
import type { AuthMethod } from './ssh-keys.js';

export interface Target {
  name: string;
  address: string;
  port: number;
  user: string;
}

export interface ConnectOptions {
  /** TCP connect + SSH handshake + authentication must finish within this. Default 10 s. */
  connectTimeoutMs?: number;
  /** SSH keepalive period; the connection is dropped after 3 unanswered. Default 15 s; 0 disables. */
  keepaliveIntervalMs?: number;
  pinnedHostKey?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  acceptNewHostKey?: boolean;
}

export function openConnection(target: Target, auth: AuthMethod[], options: ConnectOptions, home: string): Promise<SshClient> {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const where = `${target.address}:${target.port}`;
  const check = 'check the address and port, and that sshd runs there';
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let refusal: UnreachableError | undefined;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      client.removeAllListeners('ready');
      client.on('error', () => {});
      client.end();
      client.destroy();
      reject(error);
    };
    // ssh2's readyTimeout covers the handshake; this also bounds DNS and a TCP connect the kernel keeps retrying.
    const deadline = setTimeout(() => fail(new UnreachableError(target.name, `no answer from ${where} within ${timeoutMs} ms`, check)), timeoutMs + 1000);
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (refusal) return fail(refusal);
      if (err.level === 'client-authentication') {
        return fail(
          new UnreachableError(
            target.name,
            `${where} refused every key offered for user ${target.user} (${auth.map((a) => a.type).join(', ')})`,
            'check user and identity in the site file, load the key into ssh-agent, or set STACKSCALE_KEY_PASSPHRASE for an encrypted key',
          ),
        );
      }
      if (err.level === 'client-timeout') return fail(new UnreachableError(target.name, `no SSH handshake from ${where} within ${timeoutMs} ms`, check));
      fail(new UnreachableError(target.name, `cannot connect to ${where}: ${socketProblem(err)}`, check));
    });
    client.on('close', () => fail(refusal ?? new UnreachableError(target.name, `${where} closed the connection during the SSH handshake`)));

    let next = 0;
    client.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      // The full key blob, not a hash: known_hosts and pins need the blob and its SHA256.
      hostVerifier: (key: Buffer) => {
        try {
          const verdict = checkHostKey({
            host: target.address,
            port: target.port,
            key,
            knownHostsFile: options.knownHostsFile ?? join(home, '.ssh', 'known_hosts'),
            pinned: options.pinnedHostKey,
            acceptNew: Boolean(options.acceptNewHostKey),
            name: target.name,
          });
          if (!verdict.ok) refusal = verdict.error;
          return verdict.ok;
        } catch (err) {
          refusal = new UnreachableError(target.name, `host key check failed: ${(err as Error).message}`);
          return false;
        }
      },
      authHandler: (_left: AuthenticationType[] | null, _partial: boolean | null, cb: (next: AuthMethod | false) => void) => {
        cb(next < auth.length ? auth[next++] : false);
      },
    } as ssh2.ConnectConfig);
    // Without TCP_NODELAY every small SSH packet waits for the previous one's delayed ACK (40 ms on Linux): Nagle's
    // algorithm roughly doubled the handshake and added ~40 ms to every command's round trip.
    client.setNoDelay(true);
  });
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'no such host name',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'timed out',
};

function socketProblem(err: Error & { code?: string }): string {
  const known = err.code ? SOCKET_ERRORS[err.code] : undefined;
  return known ? `${known} (${err.code})` : err.message;
}
