// The transport over SSH (ssh2). One connection per host, reused by every command; at most 8 channels open at once
// because OpenSSH's sshd refuses a session beyond MaxSessions (default 10). Host keys are checked before any
// credential is sent (known-hosts.ts); a host that does not answer fails within connectTimeoutMs with exit 4.
// Secrets only ever travel on a channel's stdin: argv is readable by every user of the remote host.
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthenticationType, Client as SshClient, ClientChannel, ParsedKey } from 'ssh2';
import { InvalidInputError, UnreachableError, UserError } from '../errors.js';
import { ExecTransport, type ExecResult } from './exec-transport.js';
import { describeCommand } from './file-scripts.js';
import { checkHostKey } from './known-hosts.js';
import { Semaphore } from './semaphore.js';
import { expandTilde, loadSshHostConfig } from './ssh-config.js';
import { shellQuote, toShell, type CommandStream, type RunOptions } from './types.js';

export const MAX_CHANNELS = 8;

export interface SshOptions {
  /** The host's name in the site file: used in every message. */
  name: string;
  /** What to connect to; also the `Host` looked up in ~/.ssh/config, whose HostName may replace it. */
  address: string;
  /** Explicit values win over ~/.ssh/config, which wins over the defaults (22, the local user). */
  port?: number;
  user?: string;
  /** Private key file; `~` is expanded. */
  identity?: string;
  /** `SHA256:...` from the site file; when set, known_hosts is not consulted. */
  pinnedHostKey?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  acceptNewHostKey?: boolean;
  /** TCP connect + SSH handshake + authentication must finish within this. Default 10 s. */
  connectTimeoutMs?: number;
  /** SSH keepalive period; the connection is dropped after 3 unanswered. Default 15 s; 0 disables. */
  keepaliveIntervalMs?: number;
  /** Where STACKSCALE_KEY_PASSPHRASE, STACKSCALE_SUDO_PASSWORD, SSH_AUTH_SOCK and HOME are read. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Asked for an encrypted key's passphrase when the environment has none. Pass it only when stdin is a TTY. */
  askPassphrase?: (prompt: string) => Promise<string>;
  /** Default ~/.ssh/config; null to ignore ssh config entirely. */
  sshConfigFile?: string | null;
  /**
   * Keys already read and parsed, by file: one map shared by every connection of a run, so a key file that serves
   * 100 hosts is read, parsed (and unlocked) once, not 100 times (~7 ms of CPU each). Only keys that loaded are kept.
   */
  keyCache?: Map<string, ParsedKey>;
}

type AuthMethod =
  | { type: 'publickey'; username: string; key: ParsedKey }
  | { type: 'agent'; username: string; agent: string };

type SudoMode = 'nopasswd' | 'password';

export async function connectSsh(options: SshOptions): Promise<SshTransport> {
  const env = options.env ?? process.env;
  const home = env.HOME ?? homedir();
  const fromConfig = options.sshConfigFile === null ? { identityFiles: [] } : readSshConfig(options, home);
  const target = {
    name: options.name,
    address: fromConfig.hostName ?? options.address,
    port: options.port ?? fromConfig.port ?? 22,
    user: options.user ?? fromConfig.user ?? userInfo().username,
  };
  const identities = options.identity ? [expandTilde(options.identity, home)] : fromConfig.identityFiles;
  // A key named in the site file must load; one from ~/.ssh/config is skipped when missing, as ssh does.
  const auth = await authMethods(target, identities, Boolean(options.identity), home, env, options.askPassphrase, options.keyCache);
  const client = await openConnection(target, auth, options, home);
  return new SshTransport(client, target, env.STACKSCALE_SUDO_PASSWORD);
}

function readSshConfig(options: SshOptions, home: string) {
  try {
    return loadSshHostConfig(options.address, options.sshConfigFile ?? undefined, home);
  } catch (err) {
    throw new UserError({ where: options.name, message: `cannot read ssh config: ${(err as Error).message}` });
  }
}

/**
 * The keys to offer: the identity named (site file, else ~/.ssh/config) and then the agent's keys; with none named,
 * the agent's keys and then OpenSSH's default key files. An encrypted key gets its passphrase from
 * STACKSCALE_KEY_PASSPHRASE or the prompt; an optional key file that cannot be read or unlocked is skipped.
 */
async function authMethods(
  target: { name: string; user: string },
  identities: string[],
  required: boolean,
  home: string,
  env: Record<string, string | undefined>,
  ask?: (prompt: string) => Promise<string>,
  keyCache?: Map<string, ParsedKey>,
): Promise<AuthMethod[]> {
  const explicit = identities.length > 0;
  const files = explicit ? identities : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f));
  const keys: AuthMethod[] = [];
  for (const file of files) {
    const key = keyCache?.get(file) ?? (await loadKey(target.name, file, required, env, ask));
    if (key) keyCache?.set(file, key);
    if (key) keys.push({ type: 'publickey', username: target.user, key });
  }
  const agent: AuthMethod[] = env.SSH_AUTH_SOCK ? [{ type: 'agent', username: target.user, agent: env.SSH_AUTH_SOCK }] : [];
  // A named identity goes first: an agent holding many keys could use up sshd's MaxAuthTries (6) before it.
  const methods = explicit ? [...keys, ...agent] : [...agent, ...keys];
  if (methods.length === 0) {
    // Nothing to log in with: the host cannot be reached by this user from here (exit 4, like a refused login).
    throw new UnreachableError(
      target.name,
      `no SSH key to log in with: no agent (SSH_AUTH_SOCK) and no usable key among ${files.join(', ')}`,
      'set hosts.<name>.identity in the site file, or load a key into ssh-agent',
    );
  }
  return methods;
}

async function loadKey(
  host: string,
  file: string,
  required: boolean,
  env: Record<string, string | undefined>,
  ask?: (prompt: string) => Promise<string>,
): Promise<ParsedKey | undefined> {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    if (!required) return undefined;
    // The site file names a key that is not there: invalid input (exit 3), found before any host is touched.
    throw new InvalidInputError({ where: host, message: `cannot read SSH identity ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, fix: 'check hosts.<name>.identity in the site file' });
  }
  let key = ssh2.utils.parseKey(data);
  if (key instanceof Error && /passphrase|encrypted/i.test(key.message)) {
    const passphrase = env.STACKSCALE_KEY_PASSPHRASE ?? (ask ? await ask(`Passphrase for ${file}: `) : undefined);
    if (passphrase === undefined) {
      if (!required) return undefined;
      // Exit 3 like a missing secret: the input is incomplete, and no host has been touched yet.
      throw new InvalidInputError({
        where: host,
        message: `SSH identity ${file} is encrypted and no passphrase is available: STACKSCALE_KEY_PASSPHRASE is not set`,
        fix: 'set STACKSCALE_KEY_PASSPHRASE, run on a terminal to be asked, or load the key into ssh-agent',
      });
    }
    key = ssh2.utils.parseKey(data, passphrase);
    if (key instanceof Error) {
      if (!required) return undefined;
      throw new InvalidInputError({ where: host, message: `cannot unlock SSH identity ${file}: wrong passphrase?`, fix: 'check STACKSCALE_KEY_PASSPHRASE' });
    }
  }
  if (key instanceof Error) {
    if (!required) return undefined;
    throw new InvalidInputError({ where: host, message: `SSH identity ${file} is not a private key ssh2 can read: ${key.message}`, fix: 'point hosts.<name>.identity at the private key, not the .pub file' });
  }
  return Array.isArray(key) ? key[0] : key;
}

function openConnection(
  target: { name: string; address: string; port: number; user: string },
  auth: AuthMethod[],
  options: SshOptions,
  home: string,
): Promise<SshClient> {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const where = `${target.address}:${target.port}`;
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
    const deadline = setTimeout(
      () => fail(new UnreachableError(target.name, `no answer from ${where} within ${timeoutMs} ms`, 'check the address and port, and that sshd runs there')),
      timeoutMs + 1000,
    );
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
      if (err.level === 'client-timeout') {
        return fail(new UnreachableError(target.name, `no SSH handshake from ${where} within ${timeoutMs} ms`, 'check the address and port, and that sshd runs there'));
      }
      fail(new UnreachableError(target.name, `cannot connect to ${where}: ${socketProblem(err)}`, 'check the address and port, and that sshd runs there'));
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

export class SshTransport extends ExecTransport {
  readonly host: string;
  readonly user: string;
  private readonly limit = new Semaphore(MAX_CHANNELS);
  private readonly pending = new Set<(err: Error) => void>();
  private sudoMode?: Promise<SudoMode>;
  private lost?: UnreachableError;

  constructor(
    private readonly client: SshClient,
    private readonly target: { name: string; address: string; port: number; user: string },
    private readonly sudoPassword: string | undefined,
  ) {
    super();
    this.host = target.name;
    this.user = target.user;
    client.on('error', () => {});
    client.on('close', () => {
      this.lost ??= new UnreachableError(this.host, `connection to ${target.address}:${target.port} was lost`);
      for (const reject of this.pending) reject(this.lost);
      this.pending.clear();
    });
  }

  async close(): Promise<void> {
    if (this.lost) return;
    this.lost = new UnreachableError(this.host, 'connection closed');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 2000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }

  /** A channel with its streams handed to the caller; it holds one of the MAX_CHANNELS slots until it closes. */
  async stream(command: string | string[], options: { privileged?: boolean } = {}): Promise<CommandStream> {
    if (this.lost) throw this.lost;
    const { remote, passwordLine } = await this.remoteCommand(command, options.privileged);
    const release = await this.limit.acquire();
    const ch = await new Promise<ClientChannel>((resolve, reject) => {
      this.client.exec(remote, {}, (err, channel) => {
        if (err) {
          release();
          return reject(new UserError({ where: this.host, message: `cannot start ${describeCommand(command)}: ${err.message}` }));
        }
        resolve(channel);
      });
    });
    if (passwordLine) ch.write(passwordLine);
    const done = new Promise<{ code: number }>((resolve, reject) => {
      let code: number | null = null;
      let signal: string | undefined;
      const onLost = (err: Error) => reject(err);
      this.pending.add(onLost);
      ch.on('exit', (c: number | null, sig?: string) => {
        code = c;
        signal = sig;
      });
      ch.on('close', () => {
        release();
        this.pending.delete(onLost);
        resolve({ code: code ?? (signal ? 128 : 255) });
      });
    });
    return { stdin: ch, stdout: ch, stderr: ch.stderr, done };
  }

  protected async exec(command: string | string[], options: RunOptions): Promise<ExecResult> {
    const stdin = options.stdin === undefined ? Buffer.alloc(0) : Buffer.from(options.stdin);
    const { remote, passwordLine } = await this.remoteCommand(command, options.privileged);
    return this.channel(remote, passwordLine ? Buffer.concat([passwordLine, stdin]) : stdin, describeCommand(command), options.timeoutMs);
  }

  /**
   * The command line for a channel: `sh -c '<command>'`, behind sudo when privileged (the default) and the login is not
   * root. With a sudo password, `passwordLine` must go to the channel's stdin before anything of the command's own.
   */
  private async remoteCommand(command: string | string[], privileged = true): Promise<{ remote: string; passwordLine?: Buffer }> {
    const remote = `sh -c ${shellQuote(toShell(command))}`;
    if (!privileged || this.user === 'root') return { remote };
    if ((await this.sudo()) === 'nopasswd') return { remote: `sudo -n ${remote}` };
    // -k: never use a cached sudo timestamp, so sudo always reads the password line and the command's own stdin
    // starts right after it (a cached timestamp would hand the password to the command).
    return { remote: `sudo -S -k -p '' ${remote}`, passwordLine: Buffer.from(`${this.sudoPassword}\n`, 'utf8') };
  }

  /** How this login gets root: `sudo -n` if it needs no password, else `sudo -S` with the password; checked once. */
  private sudo(): Promise<SudoMode> {
    this.sudoMode ??= (async (): Promise<SudoMode> => {
      const probe = await this.channel(`sudo -n sh -c true`, Buffer.alloc(0), 'sudo -n sh -c true');
      if (probe.code === 0) return 'nopasswd';
      if (this.sudoPassword === undefined) {
        throw new UserError({
          where: this.host,
          message: `user ${this.user} cannot run sudo without a password: ${probe.stderr.toString('utf8').trim()}`,
          fix: 'allow it NOPASSWD sudo, set STACKSCALE_SUDO_PASSWORD, or log in as root',
        });
      }
      // Checked once with nothing else on stdin: a wrong password must not make sudo read a command's stdin as retries.
      const check = await this.channel(`sudo -S -k -p '' sh -c true`, Buffer.from(`${this.sudoPassword}\n`, 'utf8'), 'sudo -S sh -c true');
      if (check.code === 0) return 'password';
      throw new UserError({
        where: this.host,
        message: `sudo refused user ${this.user} with the password from STACKSCALE_SUDO_PASSWORD`,
        fix: 'check STACKSCALE_SUDO_PASSWORD and the sudoers entry for that user',
      });
    })();
    return this.sudoMode;
  }

  private async channel(remote: string, stdin: Buffer, label: string, timeoutMs?: number): Promise<ExecResult> {
    if (this.lost) throw this.lost;
    const release = await this.limit.acquire();
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.lost) {
        release();
        return reject(this.lost);
      }
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      // The caller hears back on the first of exit, timeout or connection loss; the channel slot is given back only
      // when the channel is really closed, so a timed-out command cannot push the session count past MaxSessions.
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(onLost);
        fn();
      };
      const onLost = (err: Error) => {
        release();
        settle(() => reject(err));
      };
      this.pending.add(onLost);
      const kill = (ch: ClientChannel) => {
        try {
          ch.signal('KILL');
          ch.close();
        } catch {
          // Already closing: its 'close' event releases the slot.
        }
      };
      let stream: ClientChannel | undefined;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          if (stream) kill(stream);
          settle(() => reject(new UserError({ where: this.host, message: `command timed out after ${timeoutMs} ms: ${label}` })));
        }, timeoutMs);
      }
      this.client.exec(remote, {}, (err, ch) => {
        if (err) {
          release();
          return settle(() => reject(new UserError({ where: this.host, message: `cannot start ${label}: ${err.message}` })));
        }
        stream = ch;
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        let signal: string | undefined;
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => errOut.push(d));
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s;
        });
        ch.on('close', () => {
          release();
          settle(() => resolve({ code: code ?? (signal ? 128 : 255), stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) }));
        });
        if (settled) return kill(ch);
        ch.end(stdin);
      });
    });
  }
}
