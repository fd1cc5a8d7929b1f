// Reading a host for the wizard: first its host key alone (a handshake that stops before any credential is sent), so
// the user can compare the fingerprint with the one the host shows; then, once confirmed, a login pinned to exactly
// that key, and the facts script for memory and cores. Read only. The SSH library is imported here, lazily.
import { join } from 'node:path';
import { homedir } from 'node:os';
import { UnreachableError } from '../errors.js';
import { blobKeyType, checkHostKey, fingerprintSha256 } from '../transport/known-hosts.js';
import type { HostAnswer } from './answers.js';

export interface PresentedKey {
  type: string;
  fingerprint: string;
  /** What ~/.ssh/known_hosts says about it. */
  knownHosts: 'known' | 'unknown' | 'changed' | 'revoked' | 'unreadable';
  /** The message of a changed/revoked/unreadable verdict. */
  warning?: string;
}

export interface ProbeOptions {
  env: Record<string, string | undefined>;
  knownHostsFile?: string;
  timeoutMs?: number;
  askPassphrase?: (prompt: string) => Promise<string>;
}

/** The key the host presents, without logging in. */
export async function readHostKey(host: Pick<HostAnswer, 'name' | 'address' | 'port'>, options: ProbeOptions): Promise<PresentedKey> {
  const { default: ssh2 } = await import('ssh2');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const where = `${host.address}:${host.port}`;
  const blob = await new Promise<Buffer>((resolve, reject) => {
    const client = new ssh2.Client();
    let key: Buffer | undefined;
    const done = (err?: Error): void => {
      clearTimeout(timer);
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end();
      if (key) resolve(key);
      else reject(err ?? new UnreachableError(host.name, `${where} closed the connection before showing a host key`));
    };
    const timer = setTimeout(() => done(new UnreachableError(host.name, `no answer from ${where} within ${timeoutMs} ms`, 'check the address and port')), timeoutMs);
    client.on('error', (err: Error) => done(new UnreachableError(host.name, `cannot connect to ${where}: ${err.message}`, 'check the address and port')));
    client.on('close', () => done());
    client.connect({
      host: host.address,
      port: host.port,
      username: 'stackscale-init',
      readyTimeout: timeoutMs,
      // Refusing here ends the handshake before authentication: nothing is sent but the key exchange.
      hostVerifier: (k: Buffer) => {
        key = Buffer.from(k);
        setImmediate(() => done());
        return false;
      },
    });
  });
  const knownHostsFile = options.knownHostsFile ?? join(options.env.HOME ?? homedir(), '.ssh', 'known_hosts');
  const verdict = checkHostKey({ host: host.address, port: host.port, key: blob, knownHostsFile, acceptNew: false, name: host.name });
  const presented: PresentedKey = {
    type: blobKeyType(blob) ?? 'unknown-type',
    fingerprint: fingerprintSha256(blob),
    knownHosts: verdict.ok ? 'known' : verdict.reason === 'pin-mismatch' ? 'unknown' : verdict.reason,
  };
  if (!verdict.ok && verdict.reason !== 'unknown') presented.warning = verdict.error.message;
  return presented;
}

export interface ProbedSize {
  memory: number;
  cores: number;
  /** e.g. "Debian GNU/Linux 12 (bookworm)", for the wizard's line. */
  os: string;
}

/** Log in with the key pinned to `fingerprint` and read memory and cores (the facts script, no managed files). */
export async function probeSize(host: HostAnswer, fingerprint: string, options: ProbeOptions): Promise<ProbedSize> {
  const { connectSsh } = await import('../transport/ssh.js');
  const { gatherFacts } = await import('../facts/gather.js');
  const transport = await connectSsh({
    name: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    identity: host.identity,
    pinnedHostKey: fingerprint,
    connectTimeoutMs: options.timeoutMs ?? 10_000,
    env: options.env,
    askPassphrase: options.askPassphrase,
  });
  try {
    const facts = await gatherFacts(transport, []);
    return { memory: facts.memory, cores: facts.cores, os: facts.os.prettyName };
  } finally {
    await transport.close().catch(() => undefined);
  }
}
