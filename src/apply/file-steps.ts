// The file steps of a deploy as argv arrays (Kamal's habit: tests assert exact commands): the lock, temp, backup,
// snapshot and original paths, checksum, copy, swap, restore, directories, leftovers of an interrupted run.
// Content travels on stdin, never in argv: argv is visible to every user of the host through `ps`.
import { posix } from 'node:path';
import { BACKUP_DIR, LOCK_DIR } from '../host-paths.js';

/** Where the deployment record says a deploy is in flight: a run cut mid-way leaves it, and the next run converges. */
export const PENDING_FILE = '/var/lib/stackscale/pending.json';
/** Exit status of the lock script when the lock is already held (any other failure is an error). */
export const LOCK_HELD_EXIT = 3;
/** Exit status of the ProxySQL checker when the host has no libconfig parser (the check is skipped with a note). */
export const NO_PARSER_EXIT = 99;

/** `.<name>.stackscale-<deploy-id>` beside the destination: same filesystem, so the rename is atomic. */
export function tempPath(path: string, deployId: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.stackscale-${deployId}`);
}

export function backupPath(deployId: string, path: string): string {
  return posix.join(BACKUP_DIR, deployId, path);
}

/** The files as they were before stackscale first replaced them: never pruned; what `rollback --to original` restores. */
export const ORIGINAL_DIR = posix.join(BACKUP_DIR, 'original');

export function originalPath(path: string): string {
  return posix.join(ORIGINAL_DIR, path);
}

/** A copy of every managed file as this deployment left it: what `rollback --to <id>` restores, byte for byte. */
export function snapshotPath(deployId: string, path: string): string {
  return posix.join(BACKUP_DIR, deployId, '.deployed', path);
}

// ---- lock (Kamal's lock.rb: mkdir is atomic, so exactly one run gets the directory) ----

export function lockAcquire(): string[] {
  const script = [
    'mkdir -p -- "$(dirname -- "$1")" || exit 1',
    `mkdir -- "$1" 2>/dev/null || { [ -d "$1" ] && exit ${LOCK_HELD_EXIT}; exit 1; }`,
    'cat > "$1/owner"',
  ].join('; ');
  return ['sh', '-c', script, 'stackscale-lock', LOCK_DIR];
}

export function lockOwner(): string[] {
  return ['cat', '--', `${LOCK_DIR}/owner`];
}

export function lockRelease(): string[] {
  return ['rm', '-rf', '--', LOCK_DIR];
}

// ---- leftovers of an interrupted run ----

/** Temp files of ours (and of the transport's atomic write) beside managed files; `-delete` when cleaning. */
export function findLeftovers(dirs: string[], remove: boolean): string[] {
  return [
    'find', ...dirs, '-maxdepth', '1', '-type', 'f',
    '(', '-name', '.*.stackscale-*', '-o', '-name', '.stackscale.??????', ')',
    '-print', ...(remove ? ['-delete'] : []),
  ];
}

// ---- files ----

export function sha256sum(path: string): string[] {
  return ['sha256sum', '--', path];
}

/** Copy a file keeping mode, owner and times into the (root-only) backup tree. */
export function copyInto(src: string, dest: string): string[] {
  const script = `install -d -m 0700 -- ${BACKUP_DIR} && mkdir -p -- "$(dirname -- "$2")" && cp -a -- "$1" "$2"`;
  return ['sh', '-c', script, 'stackscale-backup', src, dest];
}

/** Rename the checked candidate over the live file: atomic, the file is old or new, never half. */
export function swap(temp: string, live: string): string[] {
  return ['mv', '-f', '--', temp, live];
}

/** Put a backup back, itself through a temp file beside the live one and a rename. */
export function restore(backup: string, live: string): string[] {
  const script = 't="$(dirname -- "$2")/.$(basename -- "$2").stackscale-restore" && cp -a -- "$1" "$t" && mv -f -- "$t" "$2"';
  return ['sh', '-c', script, 'stackscale-restore', backup, live];
}

/**
 * A daemon's directory with its mode and owner: created when missing (with its parents), fixed when it exists.
 * chmod after chown, since chown clears the setgid bit on some systems.
 */
export function ensureDir(path: string, mode: number, owner: string, group: string): string[] {
  const m = mode.toString(8).padStart(4, '0');
  const script = 'mkdir -p -- "$1" && chown -- "$3:$4" "$1" && chmod -- "$2" "$1"';
  return ['sh', '-c', script, 'stackscale-dir', path, m, owner, group];
}

export function removeFiles(paths: string[]): string[] {
  return ['rm', '-f', '--', ...paths];
}

export function removeTrees(paths: string[]): string[] {
  return ['rm', '-rf', '--', ...paths];
}

export function listDeployments(): string[] {
  return ['sh', '-c', `[ -d ${BACKUP_DIR} ] || exit 0; ls -1 -- ${BACKUP_DIR}`];
}
