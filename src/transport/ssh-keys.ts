// Which credentials an SSH connection offers, and the key files behind them: read, parsed and unlocked here, once per
// run when the connections share a key cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { InvalidInputError, UnreachableError } from '../errors.js';

export type AuthMethod =
  | { type: 'publickey'; username: string; key: ParsedKey }
  | { type: 'agent'; username: string; agent: string };

export interface KeySources {
  home: string;
  env: Record<string, string | undefined>;
  ask?: (prompt: string) => Promise<string>;
  keyCache?: Map<string, ParsedKey>;
}

/**
 * The keys to offer: the identity named (site file, else ~/.ssh/config) and then the agent's keys; with none named,
 * the agent's keys and then OpenSSH's default key files. An encrypted key gets its passphrase from
 * STACKSCALE_KEY_PASSPHRASE or the prompt; an optional key file that cannot be read or unlocked is skipped.
 */
export async function authMethods(target: { name: string; user: string }, identities: string[], required: boolean, from: KeySources): Promise<AuthMethod[]> {
  const explicit = identities.length > 0;
  const files = explicit ? identities : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(from.home, '.ssh', f));
  const keys: AuthMethod[] = [];
  for (const file of files) {
    const key = from.keyCache?.get(file) ?? (await loadKey(target.name, file, required, from.env, from.ask));
    if (key) from.keyCache?.set(file, key);
    if (key) keys.push({ type: 'publickey', username: target.user, key });
  }
  const agent: AuthMethod[] = from.env.SSH_AUTH_SOCK ? [{ type: 'agent', username: target.user, agent: from.env.SSH_AUTH_SOCK }] : [];
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
