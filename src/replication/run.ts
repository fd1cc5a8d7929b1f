// Replication for plan and apply. Plan: read each side's state, decide, and list the SQL per host (masked). Apply:
// runs what the plan decided (after checking the state still gives the same decisions): the primary's missing
// accounts first, then each replica in turn: nothing, repair, or seed; then check it caught up.
// A healthy replica is left alone: a second apply runs no STOP/START and re-seeds nothing.
import type { SqlStep } from '../sql-step.js';
import type { Transport } from '../transport/types.js';
import { UserError } from '../errors.js';
import { transportSqlRunner } from './client.js';
import { decideReplica, type ReplicaDecision } from './decide.js';
import { seedReplica, waitCaughtUp } from './seed.js';
import { ensureExplainAccount } from '../slowlog/explain.js';
import type { ReplicationSpec } from './spec.js';
import { script, type Statement } from './sql.js';
import { accountsWanted, dumpCommand, pointAtPrimary, plain, preSeedStatements, repairStatements, type ReplicationSecrets } from './statements.js';
import { readPrimaryState, readReplicaState, type PrimaryState, type ReplicaState } from './state.js';

export interface ReplicaOutcome extends ReplicaDecision {
  host: string;
}

/** The accounts the primary lacks, as statements. */
export function missingAccountStatements(spec: ReplicationSpec, primary: PrimaryState, secrets: ReplicationSecrets): Statement[] {
  const have = new Set(primary.accounts.map((a) => `${a.user}@${a.host}`));
  return accountsWanted(spec, secrets)
    .filter((a) => !have.has(`${a.user}@${a.host}`))
    .flatMap((a) => a.statements);
}

/** The statements one replica would run for a decision (a seed shows the pipe as a comment line). */
export function replicaStatements(spec: ReplicationSpec, decision: ReplicaDecision, secrets: ReplicationSecrets): Statement[] {
  const d = spec.dialect;
  if (decision.action === 'none') return [];
  if (decision.action === 'repair') return repairStatements(d, spec.primary, spec.replicationUser, secrets.replication);
  const pipe = `-- seed: ${dumpCommand(d).join(' ')} on ${spec.primary.host} | ${d.client} here (streamed over SSH, sql_log_bin=0)`;
  return [...preSeedStatements(d), plain(pipe), ...d.seedRestore.map(plain), pointAtPrimary(d, spec.primary, spec.replicationUser, secrets.replication), plain(d.start)];
}

/**
 * What replication needs, decided from states already read (pure): the primary's missing accounts and each read
 * replica's decision. Plan shows `steps` (masked); apply runs exactly these decisions (applyReplication's `planned`).
 */
export interface ReplicationPlan {
  spec: ReplicationSpec;
  /** The accounts the primary lacks (real and masked text). */
  accounts: Statement[];
  /** One per replica whose state was read (a replica whose server did not run yet is decided when apply reaches it). */
  decisions: ReplicaOutcome[];
  /** The SQL per host, masked: what plan shows. */
  steps: Map<string, SqlStep[]>;
}

export function decideReplication(
  spec: ReplicationSpec,
  primary: PrimaryState,
  replicas: Map<string, ReplicaState>,
  secrets: ReplicationSecrets,
): ReplicationPlan {
  const steps = new Map<string, SqlStep[]>();
  const accounts = missingAccountStatements(spec, primary, secrets);
  if (accounts.length > 0) {
    steps.set(spec.primary.host, [{ target: 'mysql', purpose: 'create the replication, monitor and app accounts the primary lacks', statements: accounts.map((s) => s.masked) }]);
  }
  const decisions: ReplicaOutcome[] = [];
  for (const r of spec.replicas) {
    const state = replicas.get(r.host);
    if (!state) continue;
    const decision = decideReplica(spec.dialect, state, primary, spec.primary, spec.replicationUser);
    decisions.push({ host: r.host, ...decision });
    const statements = replicaStatements(spec, decision, secrets);
    if (statements.length > 0) {
      steps.set(r.host, [{ target: 'mysql', purpose: `${decision.action === 'seed' ? 'seed' : 'repair'} replication: ${decision.why}`, statements: statements.map((s) => s.masked) }]);
    }
  }
  return { spec, accounts, decisions, steps };
}

/** Plan: SQL steps per host from states already read (pure). Statements are masked. */
export function replicationSteps(
  spec: ReplicationSpec,
  primary: PrimaryState,
  replicas: Map<string, ReplicaState>,
  secrets: ReplicationSecrets,
): { steps: Map<string, SqlStep[]>; decisions: ReplicaOutcome[] } {
  const { steps, decisions } = decideReplication(spec, primary, replicas, secrets);
  return { steps, decisions };
}

function dbClient(spec: ReplicationSpec, t: Transport, secrets: ReplicationSecrets) {
  return transportSqlRunner(t, spec.dialect.client, { secrets: [secrets.replication, secrets.monitor, secrets.app, secrets.exporter] });
}

/**
 * Reads the state again through the transports (read only) and decides, for the replicas `planned` decided on (all
 * of the spec's when not given). Apply calls it after the confirmation, before any change, to check its plan still holds.
 */
export async function planReplication(spec: ReplicationSpec, transports: Map<string, Transport>, secrets: ReplicationSecrets, planned?: ReplicationPlan): Promise<ReplicationPlan> {
  const pt = need(transports, spec.primary.host);
  const primary = await readPrimaryState(dbClient(spec, pt, secrets), spec.dialect, spec.app.database);
  const replicas = new Map<string, ReplicaState>();
  const which = planned ? spec.replicas.filter((r) => planned.decisions.some((d) => d.host === r.host)) : spec.replicas;
  for (const r of which) {
    const t = transports.get(r.host);
    if (t) replicas.set(r.host, await readReplicaState(dbClient(spec, t, secrets), spec.dialect, spec.app.database));
  }
  return decideReplication(spec, primary, replicas, secrets);
}

/**
 * How the replication SQL decided now differs from the plan's (empty: the plan still holds). Compared: the accounts
 * the primary lacks and each replica's action (its SQL follows from the action alone), not positions that move on.
 */
export function replicationDrift(planned: ReplicationPlan, now: ReplicationPlan): string[] {
  const out: string[] = [];
  const accounts = (p: ReplicationPlan) => p.accounts.map((a) => a.masked).join('\n');
  if (accounts(planned) !== accounts(now)) {
    out.push(`${planned.spec.primary.host}: the plan created ${planned.accounts.length / 2} account(s), now ${now.accounts.length / 2} are missing`);
  }
  for (const d of planned.decisions) {
    const n = now.decisions.find((x) => x.host === d.host);
    if (!n) out.push(`${d.host}: its state could not be read again`);
    else if (n.action !== d.action) out.push(`${d.host}: the plan said ${d.action} (${d.why}), now ${n.action} (${n.why})`);
  }
  return out;
}

function need(transports: Map<string, Transport>, host: string): Transport {
  const t = transports.get(host);
  if (!t) throw new Error(`no connection to ${host}`);
  return t;
}

export interface ApplyReplicationOptions {
  log?: (line: string) => void;
  catchUpTimeoutMs?: number;
  dumpTimeoutMs?: number;
}

/**
 * Apply: the primary's missing accounts, then each replica: nothing, repair or seed. With `planned` (the plan the
 * operator confirmed, still holding: see replicationDrift) its accounts and decisions are what runs; a replica it
 * has no decision for (its server did not run at plan time) and a run without a plan are decided on the state now.
 */
export async function applyReplication(
  spec: ReplicationSpec,
  transports: Map<string, Transport>,
  secrets: ReplicationSecrets,
  options: ApplyReplicationOptions = {},
  planned?: ReplicationPlan,
): Promise<ReplicaOutcome[]> {
  const d = spec.dialect;
  const pt = need(transports, spec.primary.host);
  const primaryClient = dbClient(spec, pt, secrets);
  const primary = await readPrimaryState(primaryClient, d, spec.app.database);
  if (!primary.binlog) {
    throw new UserError({ where: spec.primary.host, message: 'the primary has no binary log, so replicas cannot follow it', fix: 'apply its server settings (log_bin) and restart it first' });
  }
  const accounts = planned ? planned.accounts : missingAccountStatements(spec, primary, secrets);
  if (accounts.length > 0) {
    options.log?.(`${spec.primary.host}: creating ${accounts.length / 2} missing account(s)`);
    await primaryClient.run(script(accounts));
  }
  const outcomes: ReplicaOutcome[] = [];
  for (const r of spec.replicas) {
    const rt = need(transports, r.host);
    const client = dbClient(spec, rt, secrets);
    const state = await readReplicaState(client, d, spec.app.database);
    if (state.serverId === primary.serverId) {
      throw new UserError({ where: r.host, message: `server_id ${state.serverId} is the primary's too`, fix: 'apply its server settings (a unique server_id) and restart it first' });
    }
    const decided = planned?.decisions.find((x) => x.host === r.host);
    const decision = decided ? { action: decided.action, why: decided.why } : decideReplica(d, state, primary, spec.primary, spec.replicationUser);
    outcomes.push({ host: r.host, ...decision });
    options.log?.(`${r.host}: ${decision.action === 'none' ? 'replicating, nothing to do' : `${decision.action}: ${decision.why}`}`);
    if (decision.action === 'repair') {
      await client.run(script(repairStatements(d, spec.primary, spec.replicationUser, secrets.replication)));
      await waitCaughtUp(d, primaryClient, client, spec.app.database, options.catchUpTimeoutMs ?? 60_000);
    } else if (decision.action === 'seed') {
      await seedReplica({
        dialect: d,
        primary: pt,
        replica: rt,
        primaryNode: spec.primary,
        user: spec.replicationUser,
        password: secrets.replication,
        database: spec.app.database,
        catchUpTimeoutMs: options.catchUpTimeoutMs,
        dumpTimeoutMs: options.dumpTimeoutMs,
        log: options.log,
      });
      // The dump carries the primary's mysql schema, its EXPLAIN account (and that password's hash) with it: set this
      // host's own password again from this host's option file (made here if missing).
      const own = await rt.run(ensureExplainAccount(d.flavour), { timeoutMs: 30_000 });
      options.log?.(`${r.host}: ${own.code === 0 ? 'read-only EXPLAIN account set to its own password again after the seed' : `could not restore the read-only EXPLAIN account after the seed (the next apply does): ${own.stderr.trim()}`}`);
    }
  }
  return outcomes;
}
