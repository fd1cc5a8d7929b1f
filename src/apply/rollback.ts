// Rollback as a deployment: the files an earlier deployment left on the host, read back from the copies it kept,
// become the wanted files of a new run through the same engine (check, back up, swap, reload, health, restore).
import { UserError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { planHost } from '../plan/build.js';
import { STATE_FILE } from '../plan/paths.js';
import type { RenderedFile, SecretValues } from '../render/types.js';
import type { Transport } from '../transport/types.js';
import { parseState, type Deployment, type StateFile } from './record.js';
import type { HostJob } from './types.js';

export async function readState(t: Transport): Promise<StateFile | undefined> {
  return parseState((await t.readFile(STATE_FILE))?.toString('utf8'));
}

/** --to ID, else the deployment before the last one. */
export function pickTarget(host: string, state: StateFile | undefined, to: string | undefined): Deployment {
  const kept = state?.deployments ?? [];
  if (kept.length === 0) throw new UserError({ where: host, message: 'no deployment recorded on this host: nothing to roll back to' });
  if (to) {
    const d = kept.find((k) => k.deployId === to);
    if (!d) throw new UserError({ where: host, message: `deployment ${to} is not kept on this host`, fix: `one of: ${kept.map((k) => k.deployId).join(', ')} (see rollback --list)` });
    return d;
  }
  if (kept.length < 2) {
    throw new UserError({ where: host, message: `only one deployment (${kept[0].deployId}) is recorded: there is no earlier one`, fix: 'pass --to ID to re-apply a kept deployment' });
  }
  return kept[1];
}

/** The files as the target deployment left them, byte for byte, from its own copies on the host. */
export async function deployedFiles(t: Transport, host: string, target: Deployment): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  for (const f of target.files) {
    const content = await t.readFile(f.snapshot);
    if (content === null) {
      throw new UserError({ where: host, message: `the copy of ${f.path} kept by deployment ${target.deployId} is missing (${f.snapshot})`, fix: 'pick another deployment with --to' });
    }
    files.push({ host, path: f.path, content: content.toString('utf8'), mode: f.mode, owner: f.owner, group: f.group, service: f.service, secrets: f.secrets });
  }
  return files;
}

/** One host's rollback job: its plan is the usual one (files against facts), so it prints and applies like apply's. */
export async function rollbackJob(
  t: Transport, host: { name: string; roles: string[] }, facts: HostFacts, target: Deployment, secrets: SecretValues,
): Promise<HostJob> {
  const files = await deployedFiles(t, host.name, target);
  return { host: host.name, roles: host.roles, transport: t, facts, plan: planHost(host, files, facts, secrets), files, sql: [] };
}
