// The deployment record, /var/lib/stackscale/state.json: the last deployment at the top level (what facts read as
// `lastDeployment`), and the deployments kept (newest first, at most KEEP) under `deployments`, each naming every
// managed file with its sha256, where the previous content was backed up and where this deployment's copy lives.
import * as z from 'zod';
import type { DeploymentRecord } from '../facts/types.js';
import type { SecretKey } from '../config/types.js';
import type { Service } from '../daemons/services.js';
import type { ActionKind } from '../plan/types.js';

export const KEEP_DEPLOYMENTS = 10;

export interface RecordedFile {
  path: string;
  sha256: string;
  /** Where this deployment saved the file it replaced; null when the file was new or unchanged. */
  backup: string | null;
  /** This deployment's own copy of the file: what `rollback --to <id>` puts back. */
  snapshot: string;
  service: Service;
  mode: number;
  owner: string;
  group: string;
  secrets: SecretKey[];
}

export interface Deployment extends DeploymentRecord {
  kind: 'apply' | 'rollback';
  /** For a rollback: the deployment whose files it restored. */
  restoredFrom?: string;
  files: RecordedFile[];
}

/** A file as it was before stackscale first replaced it (or the fact that stackscale created it). */
export interface OriginalFile {
  path: string;
  /** False: stackscale created it, and going back to the original removes it. */
  existed: boolean;
  /** Where its original content is kept (under ORIGINAL_DIR, never pruned); null when it did not exist. */
  copy: string | null;
  mode?: number;
  owner?: string;
  group?: string;
  service: Service;
  /** The deployment that first replaced it. */
  since: string;
}

export interface StateFile extends Deployment {
  deployments: Deployment[];
  /** Every file stackscale has replaced or created on this host, as it was before. */
  originals?: OriginalFile[];
  /** The host was first deployed by a version that did not keep originals: the list above misses those files. */
  originalsIncomplete?: boolean;
}

// The shapes as zod reads them. Keys a newer stackscale adds are kept as they are (loose objects), and so are service
// and secret names this version does not know: a host's history is never dropped for a name, only for a wrong shape.
const recordedFileSchema = z.looseObject({
  path: z.string(),
  sha256: z.string(),
  backup: z.string().nullable(),
  snapshot: z.string(),
  service: z.string(),
  mode: z.number().int(),
  owner: z.string(),
  group: z.string(),
  secrets: z.array(z.string()),
});

const deploymentSchema = z.looseObject({
  deployId: z.string(),
  time: z.string(),
  profile: z.string(),
  toolVersion: z.string(),
  kind: z.enum(['apply', 'rollback']),
  restoredFrom: z.string().optional(),
  files: z.array(recordedFileSchema),
});

const originalFileSchema = z.looseObject({
  path: z.string(),
  existed: z.boolean(),
  copy: z.string().nullable(),
  mode: z.number().int().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  service: z.string(),
  since: z.string(),
});

const stateFileSchema = deploymentSchema.extend({
  /** Absent in a record written before the history was kept: then the top deployment is all of it. */
  deployments: z.array(deploymentSchema).optional(),
  originals: z.array(originalFileSchema).optional(),
  originalsIncomplete: z.boolean().optional(),
});

/** Read the state file's text; anything unreadable or of another shape counts as no history (a first deployment). */
export function parseState(text: string | undefined | null): StateFile | undefined {
  const s = parseJson(text, stateFileSchema) as (Omit<StateFile, 'deployments'> & { deployments?: Deployment[] }) | undefined;
  if (!s) return undefined;
  const top = s as StateFile;
  return { ...top, deployments: s.deployments ?? [stripHistory(top)] };
}

/** pending.json: a deploy in flight and the service actions it still owes; a run cut mid-way leaves it. */
export interface Pending {
  deployId: string;
  actions: { service: Service; kind: ActionKind }[];
}

const pendingSchema = z.looseObject({
  deployId: z.string(),
  actions: z.array(z.looseObject({ service: z.string(), kind: z.enum(['reload', 'restart', 'start', 'runtime', 'admin']) })),
});

/** Read pending.json's text; anything unreadable or of another shape counts as nothing pending. */
export function parsePending(text: string | undefined | null): Pending | undefined {
  return parseJson(text, pendingSchema) as Pending | undefined;
}

function parseJson(text: string | undefined | null, schema: z.ZodType): unknown {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

function stripHistory(s: StateFile): Deployment {
  const { deployments: _ignored, ...rest } = s;
  return rest;
}

/** The new state: this deployment on top, the history kept to KEEP, and the deployment ids to prune. */
export function nextState(previous: StateFile | undefined, current: Deployment): { state: StateFile; prune: string[] } {
  const history = [current, ...(previous?.deployments ?? []).filter((d) => d.deployId !== current.deployId)];
  const kept = history.slice(0, KEEP_DEPLOYMENTS);
  return { state: { ...current, deployments: kept }, prune: history.slice(KEEP_DEPLOYMENTS).map((d) => d.deployId) };
}

/** Backup directories on the host that no kept deployment names (older runs, failed runs). */
export function dirsToPrune(existing: string[], state: StateFile, currentDeployId: string): string[] {
  const keep = new Set([currentDeployId, 'original', ...state.deployments.map((d) => d.deployId)]);
  return existing.filter((d) => d.trim() !== '' && !keep.has(d.trim()));
}

/** Sortable, unique enough across machines: UTC time to the second plus 4 random hex digits. */
export function newDeployId(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const suffix = Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return `${stamp}-${suffix}`;
}
