import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockMatches, expandTilde, loadSshHostConfig, parseSshConfig, resolveSshHost } from '../../src/transport/ssh-config.js';

const CONFIG = `
# Global settings before any Host apply to every host
ServerAliveInterval 30

Host web? !web9
    HostName %h.internal.example.com
    User deploy
    IdentityFile ~/.ssh/web_ed25519

Host db-primary db-replica-*
  hostname=10.0.0.20
  Port 2222
  IdentityFile "/keys/with space/db key"

Match host foo
  User matched

Host *
  User fallback
  Port 22
  IdentityFile ~/.ssh/id_default
`;

describe('ssh config', () => {
  const blocks = parseSshConfig(CONFIG);

  it('splits into Host blocks with lower-cased keys, Key=value and quoted values', () => {
    expect(blocks.map((b) => b.patterns)).toEqual([['*'], ['web?', '!web9'], ['db-primary', 'db-replica-*'], [], ['*']]);
    expect(blocks[2].options).toEqual([
      { key: 'hostname', value: '10.0.0.20' },
      { key: 'port', value: '2222' },
      { key: 'identityfile', value: '/keys/with space/db key' },
    ]);
  });

  it('matches Host patterns with *, ? and negation', () => {
    expect(blockMatches(['web?', '!web9'], 'web1')).toBe(true);
    expect(blockMatches(['web?', '!web9'], 'web9')).toBe(false);
    expect(blockMatches(['web?'], 'web10')).toBe(false);
    expect(blockMatches(['db-replica-*'], 'db-replica-eu-1')).toBe(true);
  });

  it('takes the first value of each key, as OpenSSH does, and accumulates IdentityFile with ~ expanded', () => {
    expect(resolveSshHost(blocks, 'web1', '/home/op')).toEqual({
      hostName: 'web1.internal.example.com',
      user: 'deploy',
      port: 22,
      identityFiles: ['/home/op/.ssh/web_ed25519', '/home/op/.ssh/id_default'],
    });
    expect(resolveSshHost(blocks, 'db-replica-2', '/home/op')).toEqual({
      hostName: '10.0.0.20',
      port: 2222,
      user: 'fallback',
      identityFiles: ['/keys/with space/db key', '/home/op/.ssh/id_default'],
    });
    // A Match block never applies (its conditions need ssh itself).
    expect(resolveSshHost(blocks, 'foo', '/h').user).toBe('fallback');
  });

  it('expands ~ only at the start', () => {
    expect(expandTilde('~', '/h')).toBe('/h');
    expect(expandTilde('~/k', '/h')).toBe('/h/k');
    expect(expandTilde('/a/~/k', '/h')).toBe('/a/~/k');
  });

  it('reads ~/.ssh/config from the given home, and treats a missing file as empty', () => {
    const home = mkdtempSync(join(tmpdir(), 'stackscale-sshcfg-'));
    expect(loadSshHostConfig('web1', undefined, home)).toEqual({ identityFiles: [] });
    const file = join(home, 'cfg');
    writeFileSync(file, 'Host web1\n  Port 2200\n');
    expect(loadSshHostConfig('web1', file, home)).toEqual({ port: 2200, identityFiles: [] });
    rmSync(home, { recursive: true });
  });
});
