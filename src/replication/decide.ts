// What each replica needs, decided from state alone (pure, table-tested):
//   healthy and following the right primary           -> nothing (no STOP/START, no re-seed)
//   configured but stopped, broken IO, or pointed elsewhere, and able to follow -> repair (re-point, start)
//   empty, holding no position, diverged (SQL error), or unable to follow        -> seed
import { mariadbCanFollow, mysqlCanFollow } from './gtid.js';
import type { Dialect } from './flavour.js';
import type { DbNode } from './spec.js';
import type { PrimaryState, ReplicaState } from './state.js';

export type ReplicaAction = 'none' | 'repair' | 'seed';

export interface ReplicaDecision {
  action: ReplicaAction;
  why: string;
}

/** Errors of the IO thread that mean the primary no longer has what the replica needs (a seed, not a restart, fixes). */
const CANNOT_FOLLOW_IO_ERRNOS = new Set([1236]);

export function canFollow(d: Dialect, replica: ReplicaState, primary: PrimaryState): { ok: boolean; why: string } {
  return d.flavour === 'mariadb'
    ? mariadbCanFollow(replica.position, primary.purged, primary.binlogState)
    : mysqlCanFollow(replica.position, primary.purged, primary.binlogState);
}

function pointsAt(replica: ReplicaState, primary: DbNode, user: string): boolean {
  const s = replica.status;
  return Boolean(s && s.sourceHost === primary.address && s.sourcePort === primary.port && s.sourceUser === user && s.gtidPositioning);
}

export function decideReplica(d: Dialect, replica: ReplicaState, primary: PrimaryState, target: DbNode, user: string): ReplicaDecision {
  const s = replica.status;
  const right = pointsAt(replica, target, user);
  if (right && s?.ioRunning && s.sqlRunning && (replica.hasAppDatabase || !primary.hasAppDatabase)) {
    return { action: 'none', why: `replicating from ${target.address}:${target.port}, both threads running` };
  }
  if (replica.position === '') return { action: 'seed', why: 'it has no replication position (empty or never seeded)' };
  if (primary.hasAppDatabase && !replica.hasAppDatabase) return { action: 'seed', why: 'it lacks the application database the primary holds' };
  if (s && s.lastSqlErrno !== 0) {
    return { action: 'seed', why: `its SQL thread stopped on error ${s.lastSqlErrno}, so its data has diverged from the primary` };
  }
  if (s && CANNOT_FOLLOW_IO_ERRNOS.has(s.lastIoErrno)) {
    return { action: 'seed', why: `the primary cannot send what it needs (error ${s.lastIoErrno})` };
  }
  const follow = canFollow(d, replica, primary);
  if (!follow.ok) return { action: 'seed', why: `it cannot follow the primary: ${follow.why}` };
  if (!s) return { action: 'repair', why: `it holds the primary's data but no replication is configured; ${follow.why}` };
  if (!right) {
    const where = s.sourceHost ? `${s.sourceUser}@${s.sourceHost}:${s.sourcePort}` : 'nowhere';
    return { action: 'repair', why: `it replicates from ${where}${s.gtidPositioning ? '' : ' without GTID positioning'}, not ${user}@${target.address}:${target.port}` };
  }
  const threads = [!s.ioRunning && `IO thread ${s.ioState || 'stopped'}${s.lastIoErrno ? ` (error ${s.lastIoErrno})` : ''}`, !s.sqlRunning && 'SQL thread stopped'].filter(Boolean);
  return { action: 'repair', why: `${threads.join(', ')}` };
}
