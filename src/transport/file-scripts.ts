// The shell scripts behind readFile and writeFile, shared by the SSH and local transports so both write files the
// same way (Ansible's atomic_move: temp file beside the destination, final owner and mode, fsync, rename).
// Content always travels on stdin: argv is visible to every user of the host (`ps`).
import { posix } from 'node:path';
import { shellQuote, toShell } from './types.js';

/** Exit status the read script uses for "no such file", distinct from cat's own failures (1). */
export const MISSING_EXIT = 66;

export function readFileScript(path: string): string {
  const p = shellQuote(path);
  return `if [ ! -e ${p} ]; then exit ${MISSING_EXIT}; fi; exec cat -- ${p}`;
}

export interface WriteTarget {
  path: string;
  mode: number;
  owner: string;
  group: string;
}

/**
 * One remote command: mktemp in the destination directory (so the rename is atomic, same filesystem), copy stdin in,
 * set owner and mode, fsync, rename over the destination. Any failure removes the temp file (the EXIT trap).
 */
export function writeFileScript(t: WriteTarget): string {
  const dest = shellQuote(t.path);
  const dir = shellQuote(posix.dirname(t.path));
  const owner = shellQuote(`${t.owner}:${t.group}`);
  const mode = (t.mode & 0o7777).toString(8).padStart(4, '0');
  return [
    `t=$(mktemp ${dir}/.stackscale.XXXXXX) || exit 1`,
    `trap 'rm -f "$t"' EXIT`,
    `cat > "$t"`,
    `chown ${owner} "$t"`,
    `chmod ${mode} "$t"`,
    // coreutils `sync FILE` fsyncs just that file; older ones take no argument and sync everything.
    `{ sync "$t" 2>/dev/null || sync; }`,
    `mv -f "$t" ${dest}`,
  ].join(' && ');
}

export function describeCommand(command: string | string[]): string {
  const text = toShell(command);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
