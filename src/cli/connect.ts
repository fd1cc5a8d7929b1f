// Builds the connector commands use to reach hosts. The SSH library is imported here, lazily, so commands that need
// no host never load it.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ParsedKey } from 'ssh2';
import type { HostSpec } from '../config/types.js';
import type { Connector } from '../plan/collect.js';
import type { CommandContext } from './main.js';

export function knownHostsFile(ctx: CommandContext): string {
  const flag = ctx.options.knownHosts as string | undefined;
  return flag ? resolve(ctx.io.cwd, flag) : join(ctx.io.env.HOME ?? homedir(), '.ssh', 'known_hosts');
}

export async function makeConnector(ctx: CommandContext): Promise<Connector> {
  const { connectSsh } = await import('../transport/ssh.js');
  const known = knownHostsFile(ctx);
  const timeout = Number(ctx.options.connectTimeout ?? 10) * 1000;
  // On a terminal an encrypted key's passphrase is asked once per prompt (one key file serves many hosts); without one
  // it must come from STACKSCALE_KEY_PASSPHRASE.
  const asked = new Map<string, Promise<string>>();
  const askPassphrase = ctx.io.isTTY
    ? async (prompt: string): Promise<string> => {
        const { prompter } = await import('./prompts.js');
        if (!asked.has(prompt)) asked.set(prompt, prompter().password({ message: prompt }));
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
      acceptNewHostKey: Boolean(ctx.options.acceptNewHostKey),
      connectTimeoutMs: timeout,
      env: ctx.io.env,
      askPassphrase,
      keyCache,
    });
}

/** A progress line per host and step, on stderr: plain text, so CI logs read well. */
export function progressLine(ctx: CommandContext): (host: string, step: string) => void {
  return (host, step) => {
    if (!ctx.options.quiet) ctx.io.stderr(ctx.out.style.dim(`[${host}] ${step}`) + '\n');
  };
}

export type { HostSpec };
