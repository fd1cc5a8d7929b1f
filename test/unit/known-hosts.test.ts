// known_hosts parsing and host-key decisions, against keys and hashed entries made by the real ssh-keygen.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import {
  blobKeyType,
  checkHostKey,
  fingerprintSha256,
  hostFieldMatches,
  knownHostsName,
  parseKnownHosts,
  type HostKeyQuery,
} from '../../src/transport/known-hosts.js';

interface Key {
  line: string; // "ssh-ed25519 AAAA..."
  blob: Buffer;
  pubFile: string;
}

let dir: string;
let n = 0;
function makeKey(type = 'ed25519'): Key {
  const file = join(dir, `key${n++}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'c', '-f', file]);
  const [kt, b64] = readFileSync(`${file}.pub`, 'utf8').split(' ');
  return { line: `${kt} ${b64}`, blob: Buffer.from(b64, 'base64'), pubFile: `${file}.pub` };
}
function knownHosts(text: string): string {
  const file = join(dir, `known${n++}`);
  writeFileSync(file, text);
  return file;
}
/** Hash every entry of a known_hosts file the way OpenSSH's HashKnownHosts does. */
function hashed(text: string): string {
  const file = knownHosts(text);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  return readFileSync(file, 'utf8');
}

let a: Key;
let b: Key;
let rsa: Key;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackscale-kh-'));
  a = makeKey();
  b = makeKey();
  rsa = makeKey('rsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const q = (over: Partial<HostKeyQuery>): HostKeyQuery => ({
  host: 'db1.example.com',
  port: 22,
  key: a.blob,
  knownHostsFile: join(dir, 'absent'),
  acceptNew: false,
  name: 'db1',
  ...over,
});

describe('fingerprintSha256', () => {
  it.each(['ed25519', 'rsa', 'ecdsa'])('equals ssh-keygen -lf for %s keys', (type) => {
    const k = makeKey(type);
    const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pubFile], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprintSha256(k.blob)).toBe(expected);
    expect(blobKeyType(k.blob)).toBe(k.line.split(' ')[0]);
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, comma-listed, bracketed, hashed and marked lines, skipping comments and blanks', () => {
    const text = [
      '# a comment',
      '',
      `web1,10.0.0.5 ${a.line}`,
      `[db1]:2222 ${b.line} comment words`,
      `|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= ${a.line}`,
      `@revoked * ${b.line}`,
      `@cert-authority *.example.com ${rsa.line}`,
    ].join('\n');
    const { entries, invalid } = parseKnownHosts(text);
    expect(invalid).toEqual([]);
    expect(entries.map((e) => [e.line, e.marker, e.hosts, e.keyType])).toEqual([
      [3, undefined, 'web1,10.0.0.5', 'ssh-ed25519'],
      [4, undefined, '[db1]:2222', 'ssh-ed25519'],
      [5, undefined, '|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g=', 'ssh-ed25519'],
      [6, 'revoked', '*', 'ssh-ed25519'],
      [7, 'cert-authority', '*.example.com', 'ssh-rsa'],
    ]);
    expect(entries[0].key.equals(a.blob)).toBe(true);
  });

  it('keeps malformed lines aside instead of throwing', () => {
    const { entries, invalid } = parseKnownHosts(`web1 ssh-ed25519\nweb2 ssh-rsa ${a.line.split(' ')[1]}\n@bogus web3 ${a.line}\nweb4 ${a.line}\n`);
    expect(invalid.map((i) => [i.line, i.hosts])).toEqual([
      [1, 'web1'],
      [2, 'web2'], // the blob says ssh-ed25519, the line says ssh-rsa
      [3, 'web3'],
    ]);
    expect(entries.map((e) => e.hosts)).toEqual(['web4']);
  });
});

describe('host matching', () => {
  it('uses [host]:port for ports other than 22, lower-cased', () => {
    expect(knownHostsName('DB1.Example.com', 22)).toBe('db1.example.com');
    expect(knownHostsName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  it('matches comma lists, wildcards and negations', () => {
    expect(hostFieldMatches('web1,10.0.0.5', '10.0.0.5')).toBe(true);
    expect(hostFieldMatches('web1,10.0.0.5', 'web2')).toBe(false);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'db1.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostFieldMatches('web?', 'web7')).toBe(true);
    expect(hostFieldMatches('[db1]:2222', '[db1]:2222')).toBe(true);
    expect(hostFieldMatches('[db1]:2222', 'db1')).toBe(false);
  });

  it('matches entries hashed by ssh-keygen -H, for port 22 and for [host]:port', () => {
    const lines = hashed(`db1.example.com ${a.line}\n[10.1.2.3]:2222 ${b.line}\n`).trim().split('\n');
    const [h1, h2] = lines.map((l) => l.split(' ')[0]);
    expect(h1).toMatch(/^\|1\|/);
    expect(hostFieldMatches(h1, 'db1.example.com')).toBe(true);
    expect(hostFieldMatches(h1, 'db2.example.com')).toBe(false);
    expect(hostFieldMatches(h2, '[10.1.2.3]:2222')).toBe(true);
    expect(hostFieldMatches(h2, '10.1.2.3')).toBe(false);
  });
});

describe('checkHostKey', () => {
  it('accepts a key listed for the host: plain, comma list, hashed, [host]:port', () => {
    expect(checkHostKey(q({ knownHostsFile: knownHosts(`other ${b.line}\nfoo,db1.example.com ${a.line}\n`) }))).toEqual({ ok: true, how: 'known' });
    expect(checkHostKey(q({ knownHostsFile: knownHosts(hashed(`db1.example.com ${a.line}\n`)) }))).toEqual({ ok: true, how: 'known' });
    const bracketed = knownHosts(`[db1.example.com]:2222 ${a.line}\n`);
    expect(checkHostKey(q({ port: 2222, knownHostsFile: bracketed }))).toEqual({ ok: true, how: 'known' });
    expect(checkHostKey(q({ port: 2222, knownHostsFile: knownHosts(hashed(`[db1.example.com]:2222 ${a.line}\n`)) }))).toEqual({ ok: true, how: 'known' });
    // The port-22 entry does not vouch for another port.
    expect(checkHostKey(q({ port: 22, knownHostsFile: bracketed })).ok).toBe(false);
  });

  it('refuses an unknown host with its fingerprint and the two ways to accept it', () => {
    const v = checkHostKey(q({ knownHostsFile: knownHosts(`other ${a.line}\n`) }));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reason).toBe('unknown');
    expect(v.error.exitCode).toBe(EXIT.unreachable);
    expect(v.error.message).toBe(
      `db1: unknown host key for db1.example.com: ssh-ed25519 ${fingerprintSha256(a.blob)} ` +
        `(check that fingerprint on the host, then pass --accept-new-host-key or pin host_key: ${fingerprintSha256(a.blob)} in the site file)`,
    );
  });

  it('refuses a changed key of the same type always, showing both fingerprints and the line to remove', () => {
    const file = knownHosts(`# header\ndb1.example.com ${b.line}\n`);
    for (const acceptNew of [false, true]) {
      const v = checkHostKey(q({ knownHostsFile: file, acceptNew }));
      expect(v.ok).toBe(false);
      if (v.ok) return;
      expect(v.reason).toBe('changed');
      expect(v.error.message).toContain(fingerprintSha256(a.blob));
      expect(v.error.message).toContain(fingerprintSha256(b.blob));
      expect(v.error.message).toContain(`${file}:2`);
      expect(v.error.message).toContain(`remove line 2 of ${file}`);
    }
    expect(readFileSync(file, 'utf8')).toBe(`# header\ndb1.example.com ${b.line}\n`);
  });

  it('treats a key of a type not yet known for the host as new, not changed', () => {
    const file = knownHosts(`db1.example.com ${rsa.line}`);
    const v = checkHostKey(q({ knownHostsFile: file }));
    expect(v.ok || v.reason).toBe('unknown');
    expect(v.ok || v.error.message).toContain('known_hosts holds only ssh-rsa keys for it');
    expect(checkHostKey(q({ knownHostsFile: file, acceptNew: true }))).toEqual({ ok: true, how: 'added' });
    // The file had no final newline: the new entry still starts on its own line.
    expect(readFileSync(file, 'utf8')).toBe(`db1.example.com ${rsa.line}\ndb1.example.com ${a.line}\n`);
  });

  it('refuses a revoked key, also with acceptNew, and ignores @cert-authority lines for plain keys', () => {
    const revoked = checkHostKey(q({ knownHostsFile: knownHosts(`db1.example.com ${a.line}\n@revoked * ${a.line}\n`), acceptNew: true }));
    expect(revoked.ok || revoked.reason).toBe('revoked');
    const ca = checkHostKey(q({ knownHostsFile: knownHosts(`@cert-authority db1.example.com ${a.line}\n`) }));
    expect(ca.ok || ca.reason).toBe('unknown');
  });

  it('with acceptNew records the key ([host]:port when not 22), creating ~/.ssh 0700 and the file 0600', () => {
    const file = join(dir, 'newhome', '.ssh', 'known_hosts');
    expect(checkHostKey(q({ knownHostsFile: file, acceptNew: true, port: 2222 }))).toEqual({ ok: true, how: 'added' });
    expect(readFileSync(file, 'utf8')).toBe(`[db1.example.com]:2222 ${a.line}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'newhome', '.ssh')).mode & 0o777).toBe(0o700);
    expect(checkHostKey(q({ knownHostsFile: file, port: 2222 }))).toEqual({ ok: true, how: 'known' });
  });

  it('fails closed on an unreadable file and on an unparseable line about this host', () => {
    const asDir = join(dir, 'is-a-dir');
    mkdirSync(asDir);
    const v1 = checkHostKey(q({ knownHostsFile: asDir, acceptNew: true }));
    expect(v1.ok || v1.reason).toBe('unreadable');
    const file = knownHosts(`db1.example.com ssh-ed25519 not!base64\n`);
    const v2 = checkHostKey(q({ knownHostsFile: file, acceptNew: true }));
    expect(v2.ok || v2.reason).toBe('unreadable');
    expect(v2.ok || v2.error.message).toContain(`${file}:1`);
    // A broken line about some other host is skipped, as ssh does.
    expect(checkHostKey(q({ knownHostsFile: knownHosts(`other ssh-ed25519 !!\ndb1.example.com ${a.line}\n`) })).ok).toBe(true);
  });

  it('compares a pin against the key and ignores known_hosts when pinned', () => {
    const fp = fingerprintSha256(a.blob);
    const changedFile = knownHosts(`db1.example.com ${b.line}\n`);
    expect(checkHostKey(q({ pinned: fp, knownHostsFile: changedFile }))).toEqual({ ok: true, how: 'pinned' });
    expect(checkHostKey(q({ pinned: `${fp.slice(7)}=` }))).toEqual({ ok: true, how: 'pinned' });
    const v = checkHostKey(q({ pinned: fingerprintSha256(b.blob), acceptNew: true }));
    expect(v.ok || v.reason).toBe('pin-mismatch');
    expect(v.ok || v.error.message).toContain(fp);
    expect(v.ok || v.error.message).toContain(fingerprintSha256(b.blob));
  });
});
