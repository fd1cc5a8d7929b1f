// Host-key checking the way OpenSSH does it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), so a known_hosts file the
// operator already trusts works unchanged: plain and comma-listed patterns, `[host]:port` for ports other than 22,
// hashed `|1|salt|hash` entries (HashKnownHosts), and `@revoked` / `@cert-authority` markers. Every doubt refuses:
// an unreadable file, a changed key, a revoked key, a line about this host that cannot be parsed.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnreachableError } from '../errors.js';

export interface KnownHostEntry {
  /** 1-based line number in the file, for "remove line N" messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: comma list of patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** Raw key blob (base64-decoded). */
  key: Buffer;
  /** The whole line as written, to show the user. */
  text: string;
}

export interface KnownHostsFile {
  entries: KnownHostEntry[];
  /** Lines that could not be parsed; one whose host field matches the host being checked fails closed. */
  invalid: { line: number; hosts: string; text: string }[];
}

/** Parse known_hosts text. Blank lines and `#` comments are skipped; malformed lines are kept aside, not thrown. */
export function parseKnownHosts(text: string): KnownHostsFile {
  const entries: KnownHostEntry[] = [];
  const invalid: KnownHostsFile['invalid'] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m !== '@revoked' && m !== '@cert-authority') {
        invalid.push({ line, hosts: fields[0] ?? '', text: raw });
        return;
      }
      marker = m.slice(1) as KnownHostEntry['marker'];
    }
    const [hosts, keyType, b64] = fields;
    const key = b64 !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : undefined;
    if (!hosts || !keyType || !key || blobKeyType(key) !== keyType) {
      invalid.push({ line, hosts: hosts ?? '', text: raw });
      return;
    }
    entries.push({ line, marker, hosts, keyType, key, text: raw });
  });
  return { entries, invalid };
}

/** The name OpenSSH looks a host up by: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Does a known_hosts host field (comma list with `*`, `?`, `!negation`, or one hashed entry) match `name`? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedMatches(field, name);
  return matchPatternList(field.split(','), name);
}

/** OpenSSH's match_pattern_list (known_hosts and ssh_config `Host` alike): some pattern matches and no `!pattern`. */
export function matchPatternList(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (globMatch(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, case-insensitive. */
export function globMatch(pattern: string, text: string): boolean {
  const re = pattern
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(text.toLowerCase());
}

/** `SHA256:<base64, no padding>`, as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...), or undefined if malformed. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

export interface HostKeyQuery {
  /** The address connected to (what known_hosts is keyed by). */
  host: string;
  port: number;
  /** Raw key blob the server presented. */
  key: Buffer;
  knownHostsFile: string;
  /** `SHA256:...` pinned in the site file; when given, known_hosts is not consulted. */
  pinned?: string;
  acceptNew: boolean;
  /** The host's name in the site file, for messages; defaults to `host`. */
  name?: string;
}

export type HostKeyVerdict =
  | { ok: true; how: 'pinned' | 'known' | 'added' }
  | { ok: false; reason: 'pin-mismatch' | 'unknown' | 'changed' | 'revoked' | 'unreadable'; error: UnreachableError };

/** Decide whether to trust `key` for host:port. With acceptNew, an unknown host's key is appended to the file. */
export function checkHostKey(q: HostKeyQuery): HostKeyVerdict {
  const name = q.name ?? q.host;
  const fp = fingerprintSha256(q.key);
  const type = blobKeyType(q.key) ?? 'unknown-type';
  const refuse = (reason: Extract<HostKeyVerdict, { ok: false }>['reason'], message: string, fix?: string): HostKeyVerdict => ({
    ok: false,
    reason,
    error: new UnreachableError(name, message, fix),
  });

  if (q.pinned !== undefined) {
    if (normaliseFingerprint(q.pinned) === fp) return { ok: true, how: 'pinned' };
    return refuse(
      'pin-mismatch',
      `host key ${type} ${fp} does not match the pinned host_key ${q.pinned}; refusing to connect`,
      'if the host was reinstalled on purpose, update host_key in the site file after checking the new fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)',
    );
  }

  let text = '';
  if (existsSync(q.knownHostsFile)) {
    try {
      text = readFileSync(q.knownHostsFile, 'utf8');
    } catch (err) {
      return refuse(
        'unreadable',
        `cannot read known hosts file ${q.knownHostsFile} (${(err as Error).message}); refusing to connect without checking the host key`,
        'fix the file or its permissions, or pin host_key: SHA256:... in the site file',
      );
    }
  }
  const lookup = knownHostsName(q.host, q.port);
  const parsed = parseKnownHosts(text);
  const badLine = parsed.invalid.find((e) => hostFieldMatches(e.hosts, lookup));
  if (badLine) {
    return refuse(
      'unreadable',
      `${q.knownHostsFile}:${badLine.line} mentions ${lookup} but cannot be parsed; refusing to connect`,
      `fix or remove line ${badLine.line} of ${q.knownHostsFile}`,
    );
  }
  const forHost = parsed.entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, lookup));
  const revoked = parsed.entries.find((e) => e.marker === 'revoked' && e.key.equals(q.key));
  if (revoked) {
    return refuse('revoked', `host key ${type} ${fp} is marked @revoked in ${q.knownHostsFile}:${revoked.line}; refusing to connect`);
  }
  const plain = forHost.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(q.key))) return { ok: true, how: 'known' };
  const sameType = plain.find((e) => e.keyType === type);
  if (sameType) {
    return refuse(
      'changed',
      `HOST KEY CHANGED for ${lookup}: it presented ${type} ${fp}, but ${q.knownHostsFile}:${sameType.line} holds ${fingerprintSha256(sameType.key)}. ` +
        'Someone may be intercepting the connection, or the host was reinstalled; refusing to connect (also with --accept-new-host-key)',
      `if the change is expected, remove line ${sameType.line} of ${q.knownHostsFile} (ssh-keygen -R '${lookup}' -f ${q.knownHostsFile}) and connect again`,
    );
  }
  if (!q.acceptNew) {
    const others = plain.length > 0 ? ` (known_hosts holds only ${[...new Set(plain.map((e) => e.keyType))].join(', ')} keys for it)` : '';
    return refuse(
      'unknown',
      `unknown host key for ${lookup}: ${type} ${fp}${others}`,
      `check that fingerprint on the host, then pass --accept-new-host-key or pin host_key: ${fp} in the site file`,
    );
  }
  try {
    appendKnownHost(q.knownHostsFile, lookup, q.key, text);
  } catch (err) {
    return refuse('unreadable', `cannot record the host key in ${q.knownHostsFile}: ${(err as Error).message}`);
  }
  return { ok: true, how: 'added' };
}

/** `SHA256:abc=` and `abc` (what some people paste) both mean the same pin. */
function normaliseFingerprint(pin: string): string {
  const body = pin.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
  return `SHA256:${body}`;
}

/** Append `name type base64` as OpenSSH's accept-new does (plain, not hashed); ~/.ssh 0700 and the file 0600. */
function appendKnownHost(file: string, name: string, key: Buffer, existing: string): void {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const isNew = !existsSync(file);
  const sep = existing !== '' && !existing.endsWith('\n') ? '\n' : '';
  appendFileSync(file, `${sep}${name} ${blobKeyType(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
  if (isNew) chmodSync(file, 0o600);
}
