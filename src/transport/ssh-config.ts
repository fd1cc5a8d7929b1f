// The subset of ssh_config(5) an operator relies on to reach a host: `Host` blocks with `*`/`?`/`!` patterns and
// HostName, Port, User, IdentityFile. As in OpenSSH the first value found for a key wins, so specific blocks go
// first and `Host *` last; values the site file gives explicitly win over all of them (the caller merges).
// `Match` blocks are skipped (their conditions need a running ssh); `Include` is not followed.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { matchPatternList } from './known-hosts.js';

export interface SshConfigBlock {
  /** Patterns after `Host`; a `Match` block has none and never applies. */
  patterns: string[];
  options: { key: string; value: string }[];
}

export interface SshHostConfig {
  hostName?: string;
  port?: number;
  user?: string;
  /** In file order; `~` expanded. */
  identityFiles: string[];
}

export function parseSshConfig(text: string): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [{ patterns: ['*'], options: [] }];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const args = splitArgs(m[2]);
    if (key === 'host') blocks.push({ patterns: args, options: [] });
    else if (key === 'match') blocks.push({ patterns: [], options: [] });
    else blocks[blocks.length - 1].options.push({ key, value: args.join(' ') });
  }
  return blocks;
}

/** Split on whitespace, honouring double quotes (ssh_config allows `"path with spaces"`). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2]);
  return out;
}

/** Does a `Host` line's pattern list match `host`? The rule known_hosts uses too. */
export const blockMatches = matchPatternList;

/** What the config says for `host` (the name as one would type it after `ssh`). */
export function resolveSshHost(blocks: SshConfigBlock[], host: string, home: string = homedir()): SshHostConfig {
  const result: SshHostConfig = { identityFiles: [] };
  for (const block of blocks) {
    if (!blockMatches(block.patterns, host)) continue;
    for (const { key, value } of block.options) {
      if (key === 'hostname' && result.hostName === undefined) result.hostName = value.replace(/%h/g, host);
      else if (key === 'port' && result.port === undefined && /^\d+$/.test(value)) result.port = Number(value);
      else if (key === 'user' && result.user === undefined) result.user = value;
      // IdentityFile is the one key OpenSSH accumulates instead of first-wins.
      else if (key === 'identityfile' && value.toLowerCase() !== 'none') result.identityFiles.push(expandTilde(value, home));
    }
  }
  return result;
}

export function expandTilde(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** Read and resolve `~/.ssh/config` (or `file`); a missing file means no settings. */
export function loadSshHostConfig(host: string, file?: string, home: string = homedir()): SshHostConfig {
  const path = file ?? join(home, '.ssh', 'config');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { identityFiles: [] };
    throw err;
  }
  return resolveSshHost(parseSshConfig(text), host, home);
}
