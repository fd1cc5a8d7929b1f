// The managed files and the deployment record: existence, mode, owner, group and exact bytes, for every path at once.
// One `tar` of all of them (through one `base64`) replaces a `stat`, a `sha256sum` and a `base64` per file: on a host
// with 30 candidate paths that was ~90 processes and ~60 ms of a loaded 2-core host. The sha256 is computed here.
import { sha256 } from '../util/sha256.js';
import { shellQuote } from '../transport/types.js';
import type { DeploymentRecord, ManagedFileState } from './types.js';
import { FactsParseError, first, keyValues } from './section.js';
import * as z from 'zod';

/**
 * `exists <path>` for each path there (the shell's own test, so a file tar cannot read is still reported as existing),
 * then the archive in base64 and after it `tar <exit code>` (passed out on fd 3, so it cannot land inside a base64 line). `-h` follows symlinks as `stat -L` does, `--hard-dereference`
 * stores a file linked twice twice, `--no-recursion` keeps a managed directory to its own entry.
 */
export function filesScript(paths: string[]): string {
  if (paths.length === 0) return 'sec files';
  const quoted = paths.map(shellQuote).join(' ');
  return `sec files
{
  _any=
  for f in ${quoted}; do if [ -e "$f" ] || [ -L "$f" ]; then printf 'exists %s\\n' "$f"; _any=1; fi; done
  if [ -n "$_any" ]; then
    { _rc=$( { { tar -c -f - -P -h --hard-dereference --no-recursion -- ${quoted} 2>/dev/null; echo "$?" >&3; } | base64 >&4; } 3>&1 ); } 4>&1
    echo "tar $_rc"
  fi
} 2>/dev/null`;
}

interface TarEntry {
  mode: number;
  owner: string;
  group: string;
  /** Regular files only. */
  bytes?: Buffer;
}

const text = (b: Buffer, from: number, len: number): string => {
  const s = b.subarray(from, from + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? s.length : end).toString('utf8');
};
const octal = (b: Buffer, from: number, len: number): number => {
  if (b[from] & 0x80) {
    // GNU base-256 for values that do not fit in octal digits.
    let n = 0;
    for (let i = from + 1; i < from + len; i++) n = n * 256 + b[i];
    return n;
  }
  return parseInt(text(b, from, len).trim() || '0', 8);
};

/** A tar archive (GNU, ustar or pax) -> entries by path, without the trailing `/` tar gives a directory. */
export function parseTar(archive: Buffer): Map<string, TarEntry> {
  const entries = new Map<string, TarEntry>();
  let longName: string | undefined;
  for (let at = 0; at + 512 <= archive.length; ) {
    const h = archive.subarray(at, at + 512);
    if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const dataAt = at + 512;
    if (dataAt + size > archive.length) throw new FactsParseError('the files archive is cut short');
    const data = archive.subarray(dataAt, dataAt + size);
    at = dataAt + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = text(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    if (type === 'g' || type === 'K') continue;
    const ustar = text(h, 257, 6) === 'ustar' && text(h, 263, 2) === '00';
    const prefix = ustar ? text(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    longName = undefined;
    const owner = text(h, 265, 32) || String(octal(h, 108, 8));
    const group = text(h, 297, 32) || String(octal(h, 116, 8));
    const entry: TarEntry = { mode: octal(h, 100, 8) & 0o7777, owner, group };
    if (type === '0' || type === '7') entry.bytes = Buffer.from(data);
    entries.set(name.length > 1 ? name.replace(/\/+$/, '') : name, entry);
  }
  return entries;
}

/** The `files` section -> each path's state; a path the shell saw but tar did not archive exists, contents unknown. */
export function parseFilesSection(paths: string[], lines: string[]): Map<string, { state: ManagedFileState; bytes?: Buffer }> {
  const seen = new Set<string>();
  const b64: string[] = [];
  let tarCode: number | undefined;
  for (const line of lines) {
    if (line.startsWith('exists ')) seen.add(line.slice('exists '.length));
    else if (/^tar \d+$/.test(line)) tarCode = Number(line.slice(4));
    else if (line.trim() !== '') b64.push(line.trim());
  }
  if (seen.size > 0 && tarCode === undefined) throw new FactsParseError('the files section has no tar exit code');
  const entries = parseTar(Buffer.from(b64.join(''), 'base64'));
  const out = new Map<string, { state: ManagedFileState; bytes?: Buffer }>();
  for (const path of paths) {
    if (!seen.has(path)) {
      out.set(path, { state: { path, exists: false } });
      continue;
    }
    const e = entries.get(path.length > 1 ? path.replace(/\/+$/, '') : path);
    const state: ManagedFileState = { path, exists: true };
    if (e) Object.assign(state, { mode: e.mode, owner: e.owner, group: e.group });
    if (e?.bytes) {
      state.content = e.bytes.toString('utf8');
      state.sha256 = sha256(e.bytes);
    }
    out.set(path, { state, bytes: e?.bytes });
  }
  return out;
}

/** Base64 lines after `content`, decoded to the file's bytes; undefined when the script could not read the file. */
export function fileBytes(lines: string[]): Buffer | undefined {
  const at = lines.indexOf('content');
  if (at < 0) return undefined;
  return Buffer.from(lines.slice(at + 1).join('').replace(/\s+/g, ''), 'base64');
}

/**
 * One `file <path>` section, as earlier versions of the script printed one per path (the captured outputs under
 * test/fixtures/facts/ hold them): `exists yes|no`, `stat <octal mode> <owner> <group>`, `sha256 <hex>`, then
 * `content` and the bytes in base64. The sha256 is computed here from the bytes when the host had no sha256sum.
 */
export function parseFileSection(path: string, lines: string[]): ManagedFileState {
  const at = lines.indexOf('content');
  const kv = keyValues(at < 0 ? lines : lines.slice(0, at));
  if (first(kv, 'exists') !== 'yes') return { path, exists: false };
  const state: ManagedFileState = { path, exists: true };
  const stat = /^([0-7]+)\s+(\S+)\s+(\S+)$/.exec(first(kv, 'stat') ?? '');
  if (stat) {
    state.mode = parseInt(stat[1], 8);
    state.owner = stat[2];
    state.group = stat[3];
  }
  const bytes = fileBytes(lines);
  if (bytes) state.content = bytes.toString('utf8');
  const sha = first(kv, 'sha256');
  if (sha && /^[0-9a-f]{64}$/.test(sha)) state.sha256 = sha;
  else if (bytes) state.sha256 = sha256(bytes);
  return state;
}

// The part of state.json facts need (apply/record.ts reads the whole file): the last deployment at the top level.
// Loose: keys a newer stackscale adds are ignored; a missing profile or tool version reads as '', a backup that is not
// a path as none.
const deploymentRecordSchema = z.looseObject({
  deployId: z.string().min(1),
  time: z.string().min(1),
  profile: z.string().catch(''),
  toolVersion: z.string().catch(''),
  files: z.array(z.looseObject({ path: z.string(), sha256: z.string(), backup: z.string().nullable().catch(null) })),
});

/** The last deployment from state.json's text; anything unreadable or incomplete counts as none. */
export function parseDeploymentRecord(text: string | undefined): DeploymentRecord | undefined {
  if (!text || text.trim() === '') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = deploymentRecordSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const { deployId, time, profile, toolVersion, files } = parsed.data;
  return { deployId, time, profile, toolVersion, files: files.map(({ path, sha256, backup }) => ({ path, sha256, backup })) };
}
