// A plan is data (STYLE.md habit 2): what each host would get, so it can be printed, emitted as JSON, saved, applied
// and asserted exactly in tests. Nothing in a plan holds a secret value: secret files carry only their status.
import type { SecretKey } from '../config/types.js';
import type { Service } from '../render/types.js';

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

export type ActionKind = 'reload' | 'restart' | 'start' | 'runtime' | 'admin';

export interface ServiceAction {
  service: Service;
  kind: ActionKind;
  /** Why this and not something gentler. */
  why: string;
  /** Runtime settings applied without a restart (Redis CONFIG SET, MySQL SET GLOBAL), masked. */
  settings?: { name: string; value: string }[];
}

export interface SqlStep {
  /** Where the statements go: the MySQL server or ProxySQL's admin interface. */
  target: 'mysql' | 'proxysql-admin';
  purpose: string;
  /** Statements with secret values masked. */
  statements: string[];
  /** Apply only (never in a printed plan): statements that put back what `statements` changed, run on a rollback. */
  undo?: string[];
}

export interface HostPlan {
  host: string;
  roles: string[];
  /** Set when the host could not be planned (unreachable, refused key): the other hosts are still planned. */
  error?: { message: string; exitCode: number };
  files: FileChange[];
  actions: ServiceAction[];
  sql: SqlStep[];
}

export interface Plan {
  profile: string;
  hosts: HostPlan[];
  summary: { hosts: number; changedFiles: number; newFiles: number; unchangedFiles: number; drifted: number; actions: number; failedHosts: number };
}

export const MASK = '********';
