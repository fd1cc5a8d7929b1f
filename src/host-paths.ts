// Where stackscale keeps its own things on a host. A base module: facts read the deployment record, apply writes it,
// takes the lock and keeps the backups, and the plan lists the record among the files it reads.

/** The deployment record (apply/record.ts): what each deployment wrote, for `status` and `rollback`. */
export const STATE_FILE = '/var/lib/stackscale/state.json';
/** Backups of replaced files, one directory per deployment (and `original/`, never pruned). */
export const BACKUP_DIR = '/var/backups/stackscale';
/** The deploy lock: a directory, because `mkdir` is atomic. */
export const LOCK_DIR = '/var/lib/stackscale/lock';
