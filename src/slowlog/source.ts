// Reading slow logs, streamed: from a host over its transport (the file stackscale configured and, with --since,
// the rotated files that reach into the window) or from a local file. The text goes chunk by chunk into the parser,
// so a log of any size is read in constant memory.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { EXIT, UserError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import { SlowLogFormatError, SlowLogParser, type SlowEntry } from './parse.js';

export interface LogFile {
  path: string;
  bytes: number;
  /** Last modification, Unix seconds. */
  mtime: number;
}

/** Exit status of the listing script when the live log is missing / unreadable. */
const MISSING = 3;
const UNREADABLE = 4;

/**
 * The live log and its rotations (logrotate's `.1`, `.2.gz`, ...), each with size and mtime; oldest first. A rotated
 * file is read only when it was written to after `since` (its mtime is its last entry).
 */
export function listCommand(path: string): string[] {
  const script = [
    '[ -e "$1" ] || exit ' + MISSING,
    '[ -r "$1" ] && [ -f "$1" ] || exit ' + UNREADABLE,
    'for f in "$1".[0-9]*; do [ -f "$f" ] && stat -c "%Y %s %n" -- "$f"; done',
    'stat -c "%Y %s %n" -- "$1"',
  ].join('; ');
  return ['sh', '-c', script, 'stackscale-slowlog-list', path];
}

/** The listing, oldest first: `.N` / `.N.gz` by N descending, the live file (printed last) at the end. */
export function parseListing(stdout: string): LogFile[] {
  const files = stdout
    .split('\n')
    .map((l) => /^(\d+) (\d+) (.+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ mtime: Number(m[1]), bytes: Number(m[2]), path: m[3] }));
  const live = files.pop();
  const n = (p: string): number => Number(/\.(\d+)(?:\.gz)?$/.exec(p)?.[1] ?? 0);
  return [...files.sort((a, b) => n(b.path) - n(a.path)), ...(live ? [live] : [])];
}

/** Which files to read: the live one always; rotated ones only when --since reaches them. */
export function filesToRead(files: LogFile[], since: number | undefined): LogFile[] {
  const live = files[files.length - 1];
  return files.filter((f) => f === live || (since !== undefined && f.mtime >= since));
}

export async function remoteLogFiles(t: Transport, path: string, since: number | undefined): Promise<LogFile[]> {
  const r = await t.run(listCommand(path), { timeoutMs: 30_000 });
  if (r.code === MISSING) {
    throw new UserError({ where: t.host, message: `${path} does not exist`, fix: 'run `stackscale apply` so the server logs slow statements there, then let it run' }, EXIT.error);
  }
  if (r.code !== 0) {
    throw new UserError({ where: t.host, message: `${path} cannot be read (${r.stderr.trim() || `exit ${r.code}`})`, fix: 'check the file is a regular file and the SSH user may sudo' }, EXIT.error);
  }
  return filesToRead(parseListing(r.stdout), since);
}

/** Parse one remote file into `onEntry`, streamed when the transport can, else read whole. */
export async function readRemoteLog(t: Transport, file: LogFile, onEntry: (e: SlowEntry) => void): Promise<number> {
  const parser = new SlowLogParser(onEntry);
  const cmd = file.path.endsWith('.gz') ? ['gzip', '-dc', '--', file.path] : ['cat', '--', file.path];
  try {
    if (t.stream) {
      const s = await t.stream(cmd);
      s.stdin.end();
      let err = '';
      s.stderr.on('data', (d: Buffer) => void (err += d.toString('utf8')));
      const decoder = new TextDecoder('utf-8');
      let failure: unknown;
      s.stdout.on('data', (d: Buffer) => {
        if (failure) return;
        try {
          parser.push(decoder.decode(d, { stream: true }));
        } catch (e) {
          // Not a slow log (or a parser error): stop reading the rest of it.
          failure = e;
          (s.stdout as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        }
      });
      const { code } = await s.done;
      if (failure) throw failure;
      if (code !== 0) throw new UserError({ where: t.host, message: `${file.path} could not be read: ${err.trim() || `exit ${code}`}` }, EXIT.error);
      parser.push(decoder.decode());
    } else {
      const r = await t.run(cmd, { timeoutMs: 600_000 });
      if (r.code !== 0) throw new UserError({ where: t.host, message: `${file.path} could not be read: ${r.stderr.trim() || `exit ${r.code}`}` }, EXIT.error);
      parser.push(r.stdout);
    }
    parser.end();
  } catch (e) {
    throw asUserError(e, t.host, file.path);
  }
  return parser.entries;
}

/** Parse a local file (plain or .gz) into `onEntry`. */
export async function readLocalLog(path: string, onEntry: (e: SlowEntry) => void): Promise<{ entries: number; bytes: number }> {
  let bytes: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    bytes = st.size;
  } catch (e) {
    throw new UserError({ where: path, message: `cannot read the slow log: ${(e as Error).message}`, fix: 'give the path of a MySQL or MariaDB slow query log' }, EXIT.error);
  }
  const parser = new SlowLogParser(onEntry);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of input) parser.push(decoder.decode(chunk as Buffer, { stream: true }));
    parser.push(decoder.decode());
    parser.end();
  } catch (e) {
    throw asUserError(e, 'local', path);
  }
  return { entries: parser.entries, bytes };
}

function asUserError(e: unknown, where: string, path: string): unknown {
  if (e instanceof SlowLogFormatError) {
    return new UserError(
      { where: where === 'local' ? `${path}:${e.line}` : where, message: `${where === 'local' ? '' : `${path}:${e.line}: `}${e.message}`, fix: 'stackscale reads the MySQL 8 and MariaDB 10.x slow log file format (log_output = FILE)' },
      EXIT.error,
    );
  }
  if (e instanceof Error && !(e instanceof UserError) && 'code' in e) {
    return new UserError({ where: where === 'local' ? path : where, message: `cannot read ${path}: ${e.message}` }, EXIT.error);
  }
  return e;
}
