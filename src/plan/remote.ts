// State that lives inside the running daemons rather than in files: replication positions and accounts, and ProxySQL's
// runtime tables. Read only, after sizing (which says who is primary, who replicates, what ProxySQL should hold), so
// that assembling the plan stays a pure step.
import type { Site } from '../config/types.js';
import { UserError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { transportAdminPort } from '../proxysql/admin.js';
import { readRuntime, type RuntimeRow } from '../proxysql/runtime.js';
import { proxysqlAdminTables } from '../render/proxysql-admin.js';
import type { SecretValues } from '../config/types.js';
import { transportSqlRunner } from '../replication/client.js';
import { replicationSpec, type ReplicationSpec } from '../replication/spec.js';
import { readPrimaryState, readReplicaState, type PrimaryState, type ReplicaState } from '../replication/state.js';
import type { ReplicationSecrets } from '../replication/statements.js';
import type { SiteSizing } from '../sizing/types.js';
import { explainAccountProbe } from '../slowlog/explain.js';
import type { Transport } from '../transport/types.js';
import { sameReads, stateSecrets, type EarlyReads } from './early.js';

export interface RemoteState {
  replication?: { spec: ReplicationSpec; primary: PrimaryState; replicas: Map<string, ReplicaState> };
  /** ProxySQL runtime rows per proxysql host where ProxySQL runs. */
  proxysql: Map<string, Map<string, RuntimeRow[]>>;
  /** Per database host whose server runs: whether the read-only EXPLAIN account is in place (absent: not read). */
  explainAccount?: Map<string, boolean>;
}

export function replicationSecrets(secrets: SecretValues): ReplicationSecrets {
  return { replication: secrets.replication_password ?? '', monitor: secrets.proxysql_monitor_password, app: secrets.app_db_password, exporter: secrets.mysqld_exporter_password };
}

/**
 * A ProxySQL that runs with other admin credentials (started by hand on another cnf, such as the package's sample with
 * admin/admin) refuses stackscale's: say so, and the two ways out, instead of the client's bare error.
 */
function adminRefused(host: string, port: number, err: unknown): UserError | undefined {
  if (!(err instanceof UserError) || !/Access denied/i.test(err.message)) return undefined;
  return new UserError({
    where: host,
    path: 'secrets.proxysql_admin_password',
    message: `ProxySQL runs, but its admin interface (127.0.0.1:${port}) refuses the admin login with this password: it was started on other credentials`,
    fix:
      "set them to the secret through its admin interface: UPDATE global_variables SET variable_value = 'admin:<password>' WHERE variable_name = 'admin-admin_credentials'; " +
      'LOAD ADMIN VARIABLES TO RUNTIME; SAVE ADMIN VARIABLES TO DISK; or stop ProxySQL, and apply starts it with --initial on the rendered cnf',
  });
}

export interface Reachable {
  transport: Transport;
  facts: HostFacts;
}

export async function readRemoteState(
  sizing: SiteSizing,
  site: Site,
  reached: Map<string, Reachable>,
  secrets: SecretValues,
  early?: EarlyReads,
): Promise<RemoteState> {
  const state: RemoteState = { proxysql: new Map() };
  const spec = replicationSpec(sizing, site);
  const primary = spec && reached.get(spec.primary.host);
  // Reads started beside the facts (early.ts) answer only for the spec they were started with.
  const started = spec && early && sameReads(early.spec, spec) ? early : undefined;
  // Every host's reads at once, each on its own channel: replication (primary and replicas) and ProxySQL's runtime.
  const reads: Promise<void>[] = [];
  // A database that does not run yet has no state to read: the plan then shows only its files.
  if (spec && primary?.facts.db?.running) {
    const client = (t: Transport) => transportSqlRunner(t, spec.dialect.client, { secrets: stateSecrets(secrets) });
    const replicaReads = spec.replicas.map(async (r): Promise<[string, ReplicaState] | undefined> => {
      const got = reached.get(r.host);
      if (!got?.facts.db?.running) return undefined;
      return [r.host, (await started?.replicas.get(r.host)) ?? (await readReplicaState(client(got.transport), spec.dialect, spec.app.database))];
    });
    const primaryRead = (async () => (await started?.primary) ?? (await readPrimaryState(client(primary.transport), spec.dialect, spec.app.database)))();
    reads.push(
      (async () => {
        const [p, ...rs] = await Promise.allSettled([primaryRead, ...replicaReads]);
        // The replicas were read before the primary: a failure of theirs is the one reported, as before.
        const bad = [...rs, p].find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (bad) throw bad.reason;
        const replicas = new Map(rs.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : [])));
        state.replication = { spec, primary: (p as PromiseFulfilledResult<PrimaryState>).value, replicas };
      })(),
    );
  }
  const explainAccount = new Map<string, boolean>();
  for (const h of site.hosts) {
    const got = reached.get(h.name);
    if (!h.roles.some((r) => r === 'db-primary' || r === 'db-replica') || !got?.facts.db?.running) continue;
    reads.push(
      got.transport.run(explainAccountProbe(got.facts.db.flavour)).then((r) => void explainAccount.set(h.name, r.code === 0 && r.stdout.trim() === 'ok')),
    );
  }
  state.explainAccount = explainAccount;
  const proxysql = new Map<string, Map<string, RuntimeRow[]>>();
  for (const h of sizing.hosts) {
    const got = reached.get(h.host.name);
    if (!h.proxysql || !got?.facts.proxysql?.running || !secrets.proxysql_admin_password) continue;
    const px = h.proxysql;
    const port = transportAdminPort(got.transport, { password: secrets.proxysql_admin_password, port: px.adminPort, secrets: Object.values(secrets) });
    reads.push(
      readRuntime(port, proxysqlAdminTables(px, secrets)).then(
        (rows) => void proxysql.set(h.host.name, rows),
        (err: unknown) => {
          throw adminRefused(h.host.name, px.adminPort, err) ?? err;
        },
      ),
    );
  }
  // As before, the first failure is the one reported; the others are awaited so no read is left running unobserved.
  const settled = await Promise.allSettled(reads);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // ProxySQL hosts in the site's order.
  for (const h of sizing.hosts) if (proxysql.has(h.host.name)) state.proxysql.set(h.host.name, proxysql.get(h.host.name) as Map<string, RuntimeRow[]>);
  return state;
}
