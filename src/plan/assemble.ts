// From a sized site, its rendered files and each host's facts to the plan: pure, so tests assert plans exactly.
import type { Site } from '../config/types.js';
import type { HostFacts } from '../facts/types.js';
import { renderSite } from '../render/render.js';
import { runtimeChange } from '../proxysql/runtime.js';
import { decideReplication, type ReplicationPlan } from '../replication/run.js';
import type { RenderedFile } from '../render/types.js';
import type { SecretValues } from '../config/types.js';
import type { SiteSizing } from '../sizing/types.js';
import { planHost, summarise } from './build.js';
import { maskText } from '../mask.js';
import type { HostPlan, Plan, ServiceAction } from './types.js';
import type { SqlStep } from '../sql-step.js';
import { replicationSecrets, type RemoteState } from './remote.js';
import { planInstall, type PackageContext } from '../packages/plan.js';
import { EXPLAIN_ACCOUNT_SHOWN, EXPLAIN_DEFAULTS, EXPLAIN_USER } from '../slowlog/explain.js';

export interface HostOutcome {
  host: string;
  facts?: HostFacts;
  error?: { message: string; exitCode: number };
}

export interface AssembledPlan {
  plan: Plan;
  /** The rendered files per host, with real secret values: for apply only, never printed. */
  files: Map<string, RenderedFile[]>;
  /** The SQL per host with real values: for apply only, never printed (the plan holds it masked). */
  sql: Map<string, SqlStep[]>;
  /** The replication decisions the plan shows, for apply to run (absent when the primary did not run at plan time). */
  replication?: ReplicationPlan;
}

export function assemblePlan(
  sizing: SiteSizing,
  site: Site,
  outcomes: HostOutcome[],
  secrets: SecretValues,
  remote: RemoteState = { proxysql: new Map() },
  packages: PackageContext = { install: true, keys: new Map() },
): AssembledPlan {
  const rendered = renderSite(sizing, site, secrets);
  // Replication SQL is shown in the plan, and these decisions are what apply runs (src/replication/run.ts).
  const decided = remote.replication
    ? decideReplication(remote.replication.spec, remote.replication.primary, remote.replication.replicas, replicationSecrets(secrets))
    : undefined;
  const replication = decided?.steps ?? new Map<string, SqlStep[]>();
  const files = new Map<string, RenderedFile[]>();
  const sql = new Map<string, SqlStep[]>();
  const hosts: HostPlan[] = outcomes.map((o) => {
    const spec = site.hosts.find((h) => h.name === o.host);
    const roles = spec?.roles ?? [];
    if (!o.facts) return { host: o.host, roles, error: o.error, files: [], actions: [], sql: [] };
    // A host that lacks its packages and may not get them is not planned further: nothing of it can be applied.
    const decision = planInstall(roles, o.facts, site, packages);
    if (decision.refusal) return { host: o.host, roles, error: { ...decision.refusal, refused: true }, files: [], actions: [], sql: [] };
    const mine = rendered.filter((f) => f.host === o.host);
    files.set(o.host, mine);
    const proxysql = proxysqlStep(o.host, sizing, remote, secrets);
    const explain = explainAccountStep(o.host, roles, o.facts, remote);
    sql.set(o.host, [...(proxysql ? [proxysql.real] : []), ...(explain ? [explain] : [])]);
    const masked = [...(replication.get(o.host) ?? []), ...(proxysql ? [proxysql.masked] : []), ...(explain ? [explain] : [])].map((st) => ({
      ...st,
      statements: st.statements.map((x) => maskText(x, secrets)),
    }));
    const planned = planHost({ name: o.host, roles }, mine, o.facts, secrets, masked);
    const hostPlan = proxysql?.restart ? withProxysqlRestart(planned, proxysql.restart) : planned;
    return decision.install ? { ...hostPlan, install: decision.install } : hostPlan;
  });
  return { plan: summarise(sizing.profile.name, hosts), files, sql, replication: decided };
}

/**
 * The read-only account `slowlog --explain` runs as, on every database host: planned where the server runs and the
 * account is not in place (its option file missing, its login refused, or other grants), or where the server does not
 * run yet (apply starts it before the SQL). Kept out of the binary log: each host has its own password.
 */
export function explainAccountStep(host: string, roles: readonly string[], facts: HostFacts, remote: RemoteState): SqlStep | undefined {
  if (!roles.some((r) => r === 'db-primary' || r === 'db-replica') || !facts.db) return undefined;
  if (facts.db.running && remote.explainAccount?.get(host) !== false) return undefined;
  return {
    target: 'mysql-explain-account',
    purpose: `the read-only account ${EXPLAIN_USER}@localhost for slowlog --explain (SELECT, SHOW VIEW); its password is made on the host and kept only in ${EXPLAIN_DEFAULTS} (0600 root), not in the binary log`,
    statements: [...EXPLAIN_ACCOUNT_SHOWN],
  };
}

/**
 * ProxySQL ignores its cnf once its database exists, so its state is compared with the runtime tables read from the
 * admin interface: only tables that differ are rewritten (a hand change at runtime shows as drift).
 */
function proxysqlStep(host: string, sizing: SiteSizing, remote: RemoteState, secrets: SecretValues): { real: SqlStep; masked: SqlStep; restart?: string[] } | undefined {
  const p = sizing.hosts.find((h) => h.host.name === host)?.proxysql;
  const runtime = remote.proxysql.get(host);
  if (!p || !runtime) return undefined;
  const change = runtimeChange(p, secrets, runtime);
  if (change.statements.length === 0) return undefined;
  const purpose = `runtime tables differ (${change.drift.map((d) => d.table).join(', ')}): rewrite them, LOAD ... TO RUNTIME, SAVE ... TO DISK`;
  return {
    real: { target: 'proxysql-admin', purpose, statements: change.statements, undo: change.undo },
    masked: { target: 'proxysql-admin', purpose, statements: change.masked },
    restart: change.restart.length ? change.restart : undefined,
  };
}

/**
 * ProxySQL binds its client interfaces and starts its worker threads only at start: a change of mysql-interfaces or
 * mysql-threads is saved through the admin interface and then needs a restart, which apply runs after the SQL and
 * health-checks (admin answers, every interface accepts), putting the old values back on a failure.
 */
export function withProxysqlRestart(plan: HostPlan, variables: string[]): HostPlan {
  const why = `${variables.join(' and ')} ${variables.length === 1 ? 'changes' : 'change'} only when ProxySQL restarts: the new value is saved through the admin interface, then ProxySQL restarts (clients reconnect)`;
  const actions = plan.actions.filter((a) => a.service !== 'proxysql');
  const at = plan.actions.findIndex((a) => a.service === 'proxysql');
  const restart: ServiceAction = { service: 'proxysql', kind: 'restart', why };
  if (at < 0) actions.push(restart);
  else actions.splice(at, 0, restart);
  return { ...plan, actions };
}
