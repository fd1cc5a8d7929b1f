// Builds the connector a session uses to reach hosts. The SSH library is imported here, lazily, so runs that need
// no host never load it.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ParsedKey } from 'ssh2';
import type { HostSpec } from '../config/types.js';
import type { Connector } from './collect.js';

/** How hosts are reached: the --known-hosts, --accept-new-host-key and --connect-timeout flags, and the environment. */
export interface ReachOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  knownHosts?: string;
  acceptNewHostKey?: boolean;
  /** Seconds (default 10). */
  connectTimeout?: number;
  /** Asks for an encrypted key's passphrase (on a terminal); without it the passphrase comes from the environment. */
  askPassphrase?: (prompt: string) => Promise<string>;
}

export function knownHostsFile(o: Pick<ReachOptions, 'cwd' | 'env' | 'knownHosts'>): string {
  return o.knownHosts ? resolve(o.cwd, o.knownHosts) : join(o.env.HOME ?? homedir(), '.ssh', 'known_hosts');
}

export async function makeConnector(o: ReachOptions): Promise<Connector> {
  const { connectSsh } = await import('../transport/ssh.js');
  const known = knownHostsFile(o);
  const timeout = Number(o.connectTimeout ?? 10) * 1000;
  // A passphrase is asked once per prompt (one key file serves many hosts); without a way to ask it must come from
  // STACKSCALE_KEY_PASSPHRASE.
  const asked = new Map<string, Promise<string>>();
  const ask = o.askPassphrase;
  const askPassphrase = ask
    ? async (prompt: string): Promise<string> => {
        if (!asked.has(prompt)) asked.set(prompt, ask(prompt));
        return asked.get(prompt) as Promise<string>;
      }
    : undefined;
  // Per run, not per host: each key file is read and parsed once for all the hosts it logs in to.
  const keyCache = new Map<string, ParsedKey>();
  return (host: HostSpec) =>
    connectSsh({
      name: host.name,
      address: host.address,
      // Left to ~/.ssh/config (then 22 / root) where the site file does not say.
      port: host.given?.port === false ? undefined : host.port,
      user: host.given?.user === false ? undefined : host.user,
      identity: host.identity,
      pinnedHostKey: host.hostKey,
      knownHostsFile: known,
      acceptNewHostKey: Boolean(o.acceptNewHostKey),
      connectTimeoutMs: timeout,
      env: o.env,
      askPassphrase,
      keyCache,
    });
}
