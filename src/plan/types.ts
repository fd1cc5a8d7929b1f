// A plan is data: what each host would get, so it can be printed, emitted as JSON, saved, applied
// and asserted exactly in tests. Nothing in a plan holds a secret value: secret files carry only their status.
import type { SecretKey } from '../config/types.js';
import type { Service } from '../daemons/services.js';
import type { InstallAction } from '../packages/types.js';
import type { SqlStep } from '../sql-step.js';

export type { SqlStep };

export type FileStatus = 'new' | 'changed' | 'unchanged';

export interface FileChange {
  path: string;
  service: Service;
  status: FileStatus;
  /** The file was edited since the last deployment recorded on the host. */
  drift: boolean;
  mode: number;
  owner: string;
  group: string;
  /** Mode or ownership differ while the content may not. */
  metaChanged: boolean;
  /** Secrets this file holds: it is shown as changed/unchanged only, never diffed. */
  secrets: SecretKey[];
  /** Unified diff, secret values masked; absent for secret files and unchanged files. */
  diff?: string;
  /** sha256 of the new content (for apply to check what it wrote). */
  sha256: string;
}

/** A directory a daemon writes into (a log directory), as the plan finds it and as apply will leave it. */
export interface DirChange {
  path: string;
  service: Service;
  /** new: missing, apply creates it; changed: mode or owner differ, apply fixes them. */
  status: FileStatus;
  mode: number;
  owner: string;
  group: string;
  why: string;
  /** What the host has now, when the directory exists. */
  current?: { mode?: number; owner?: string; group?: string };
}

export type ActionKind = 'reload' | 'restart' | 'start' | 'runtime' | 'admin';

export interface ServiceAction {
  service: Service;
  kind: ActionKind;
  /** Why this and not something gentler. */
  why: string;
  /** Runtime settings applied without a restart (Redis CONFIG SET, MySQL SET GLOBAL), masked. */
  settings?: { name: string; value: string }[];
}


export interface HostPlan {
  host: string;
  roles: string[];
  /** Packages to install before anything is configured; absent when the host has them all. */
  install?: InstallAction;
  /** Set when the host could not be planned (unreachable, refused key): the other hosts are still planned. */
  error?: { message: string; exitCode: number; /** reached, but its packages are missing and may not be installed */ refused?: boolean };
  files: FileChange[];
  /** Directories the daemons write into; absent on hosts planned before they existed in the plan. */
  dirs?: DirChange[];
  actions: ServiceAction[];
  sql: SqlStep[];
}

export interface Plan {
  profile: string;
  hosts: HostPlan[];
  summary: { hosts: number; installs?: number; changedFiles: number; newFiles: number; unchangedFiles: number; drifted: number; actions: number; failedHosts: number };
}
