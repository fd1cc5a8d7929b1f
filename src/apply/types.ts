import type { Service } from '../daemons/services.js';
// What the apply engine takes and gives back. A job is one host's plan with the real file contents; a result says
// what happened on that host, step by step, in a form the CLI prints and emits as JSON. Nothing here holds a secret.
import type { HostFacts } from '../facts/types.js';
import type { HostPlan } from '../plan/types.js';
import type { SqlStep } from '../sql-step.js';
import type { RenderedFile } from '../render/types.js';
import type { Transport } from '../transport/types.js';

export interface HostJob {
  host: string;
  roles: string[];
  transport: Transport;
  facts: HostFacts;
  /** File changes and service actions, as planned (masked). */
  plan: HostPlan;
  /** The files with their real content (secrets included): what is written. */
  files: RenderedFile[];
  /** SQL with the real values, in the plan's order: what is run. */
  sql: SqlStep[];
  /** Files to take away (rollback --to original: files stackscale created); backed up first, put back on failure. */
  remove?: { path: string; service: Service }[];
  /**
   * How to reach the daemons once the new files are in force, as sized (apply). Absent on a rollback, whose files
   * come from an earlier deployment: there the restored file is read instead.
   */
  endpoints?: ServiceEndpoints;
}

export interface ServiceEndpoints {
  /** ProxySQL's admin login and port. */
  proxysqlAdmin?: { port: number; user: string; password?: string };
  /** ProxySQL's client interfaces, `address:port`. */
  proxysqlInterfaces?: string[];
  /** Redis's port and password. */
  redis?: { port: number; password?: string };
}

export interface LockOwner {
  user: string;
  machine: string;
  /** /etc/machine-id of the machine that took it: a host name alone is shared by many CI runners. */
  machineId?: string;
  pid: number;
  time: string;
  deployId: string;
}

export interface EngineOptions {
  deployId: string;
  profile: string;
  toolVersion: string;
  owner: LockOwner;
  lockTimeoutMs: number;
  breakLock: boolean;
  /** One line per host and step (stderr in the CLI). */
  progress: (host: string, step: string) => void;
  /** Masks secret values in anything the engine reports (checker output, errors). */
  mask: (text: string) => string;
  /** Injected so unit tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** How long health checks retry after a reload or restart. */
  healthTimeoutMs?: number;
}

export type HostStatus = 'unchanged' | 'applied' | 'failed' | 'rolled-back' | 'skipped';

export interface StepRecord {
  step: string;
  ok: boolean;
  detail?: string;
}

export interface HostResult {
  host: string;
  status: HostStatus;
  deployId?: string;
  /** Paths written (swapped into place). */
  changed: string[];
  /** Service actions run: "php-fpm reload", "redis runtime", ... */
  actions: string[];
  steps: StepRecord[];
  /** Set on failure: the step, the message, and the checker's or daemon's own output. */
  error?: { step: string; message: string; output?: string };
  /** On failure after the swap: true when the old files were put back and their services answer again. */
  restored?: boolean;
  notes: string[];
}

export interface ApplyResult {
  ok: boolean;
  deployId: string;
  hosts: HostResult[];
  /** Site-wide outcomes that belong to no single host (replication). */
  notes?: string[];
}
