// The transport over SSH (ssh2). One connection per host, reused by every command. The jobs are split by file:
// ssh-config.ts (what ~/.ssh/config says about the host), ssh-keys.ts (which credentials to offer, keys read once per
// run), ssh-connect.ts (connect, host-key check before any credential is sent, every failure mapped to exit 4 within
// connectTimeoutMs), ssh-sudo.ts (how a non-root login gets root), ssh-channels.ts (at most 8 channels at once, run or
// stream, each bounded in time). Secrets only ever travel on a channel's stdin: argv is readable by every user of the
// remote host.
import { homedir, userInfo } from 'node:os';
import type { ParsedKey } from 'ssh2';
import { UserError } from '../errors.js';
import { describeCommand } from './file-scripts.js';
import { ExecTransport, type ExecResult } from './exec-transport.js';
import { ChannelPool } from './ssh-channels.js';
import { expandTilde, loadSshHostConfig } from './ssh-config.js';
import { openConnection, type Target } from './ssh-connect.js';
import { authMethods } from './ssh-keys.js';
import { probeSudo, remoteCommand, type SudoMode } from './ssh-sudo.js';
import { STREAM_TIMEOUT_MS, type CommandStream, type RunOptions, type StreamOptions } from './types.js';
import type { Client as SshClient } from 'ssh2';

export { MAX_CHANNELS } from './ssh-channels.js';
export { STREAM_TIMEOUT_MS } from './types.js';

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

export async function connectSsh(options: SshOptions): Promise<SshTransport> {
  const env = options.env ?? process.env;
  const home = env.HOME ?? homedir();
  const fromConfig = options.sshConfigFile === null ? { identityFiles: [] } : readSshConfig(options, home);
  const target: Target = {
    name: options.name,
    address: fromConfig.hostName ?? options.address,
    port: options.port ?? fromConfig.port ?? 22,
    user: options.user ?? fromConfig.user ?? userInfo().username,
  };
  const identities = options.identity ? [expandTilde(options.identity, home)] : fromConfig.identityFiles;
  // A key named in the site file must load; one from ~/.ssh/config is skipped when missing, as ssh does.
  const auth = await authMethods(target, identities, Boolean(options.identity), { home, env, ask: options.askPassphrase, keyCache: options.keyCache });
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

export class SshTransport extends ExecTransport {
  readonly host: string;
  readonly user: string;
  private readonly channels: ChannelPool;
  private sudoMode?: Promise<SudoMode>;

  constructor(
    client: SshClient,
    target: Target,
    private readonly sudoPassword: string | undefined,
  ) {
    super();
    this.host = target.name;
    this.user = target.user;
    this.channels = new ChannelPool(client, target.name, `${target.address}:${target.port}`);
  }

  close(): Promise<void> {
    return this.channels.close();
  }

  /** A channel with its streams handed to the caller; it holds one of the MAX_CHANNELS slots until it closes. */
  async stream(command: string | string[], options: StreamOptions = {}): Promise<CommandStream> {
    if (this.channels.lost) throw this.channels.lost;
    const timeoutMs = options.timeoutMs ?? STREAM_TIMEOUT_MS;
    const { remote, passwordLine } = await this.remote(command, options.privileged, timeoutMs);
    return this.channels.stream(remote, describeCommand(command), passwordLine, timeoutMs);
  }

  protected async exec(command: string | string[], options: RunOptions): Promise<ExecResult> {
    const stdin = options.stdin === undefined ? Buffer.alloc(0) : Buffer.from(options.stdin);
    const { remote, passwordLine } = await this.remote(command, options.privileged, options.timeoutMs);
    return this.channels.exec(remote, passwordLine ? Buffer.concat([passwordLine, stdin]) : stdin, describeCommand(command), options.timeoutMs);
  }

  private remote(command: string | string[], privileged = true, timeoutMs?: number) {
    return remoteCommand(command, privileged, { user: this.user, password: this.sudoPassword, sudo: () => this.sudo() }, timeoutMs);
  }

  private sudo(): Promise<SudoMode> {
    this.sudoMode ??= probeSudo((remote, stdin, label) => this.channels.exec(remote, stdin, label), this.host, this.user, this.sudoPassword);
    return this.sudoMode;
  }
}
