// State that lives inside the running daemons rather than in files: replication positions and accounts, and ProxySQL's
// runtime tables. Read only, after sizing (which says who is primary, who replicates, what ProxySQL should hold), so
// that assembling the plan stays a pure step.
import type { Site } from '../config/types.js';
import type { HostFacts } from '../facts/types.js';
import { transportAdminPort } from '../proxysql/admin.js';
import { readRuntime, type RuntimeRow } from '../proxysql/runtime.js';
import { proxysqlAdminTables } from '../render/proxysql-admin.js';
import type { SecretValues } from '../render/types.js';
import { transportSqlRunner } from '../replication/client.js';
import { replicationSpec, type ReplicationSpec } from '../replication/spec.js';
import { readPrimaryState, readReplicaState, type PrimaryState, type ReplicaState } from '../replication/state.js';
import type { ReplicationSecrets } from '../replication/statements.js';
import type { SiteSizing } from '../sizing/types.js';
import type { Transport } from '../transport/types.js';

export interface RemoteState {
  replication?: { spec: ReplicationSpec; primary: PrimaryState; replicas: Map<string, ReplicaState> };
  /** ProxySQL runtime rows per proxysql host where ProxySQL runs. */
  proxysql: Map<string, Map<string, RuntimeRow[]>>;
}

export function replicationSecrets(secrets: SecretValues): ReplicationSecrets {
  return { replication: secrets.replication_password ?? '', monitor: secrets.proxysql_monitor_password, app: secrets.app_db_password, exporter: secrets.mysqld_exporter_password };
}

export interface Reachable {
  transport: Transport;
  facts: HostFacts;
}

export async function readRemoteState(sizing: SiteSizing, site: Site, reached: Map<string, Reachable>, secrets: SecretValues): Promise<RemoteState> {
  const state: RemoteState = { proxysql: new Map() };
  const spec = replicationSpec(sizing, site);
  const primary = spec && reached.get(spec.primary.host);
  // A database that does not run yet has no state to read: the plan then shows only its files.
  if (spec && primary?.facts.db?.running) {
    const rs = replicationSecrets(secrets);
    const client = (t: Transport) => transportSqlRunner(t, spec.dialect.client, { secrets: [rs.replication, rs.monitor, rs.app] });
    const replicas = new Map<string, ReplicaState>();
    for (const r of spec.replicas) {
      const got = reached.get(r.host);
      if (got?.facts.db?.running) replicas.set(r.host, await readReplicaState(client(got.transport), spec.dialect, spec.app.database));
    }
    state.replication = { spec, primary: await readPrimaryState(client(primary.transport), spec.dialect, spec.app.database), replicas };
  }
  for (const h of sizing.hosts) {
    const got = reached.get(h.host.name);
    if (!h.proxysql || !got?.facts.proxysql?.running || !secrets.proxysql_admin_password) continue;
    const port = transportAdminPort(got.transport, { password: secrets.proxysql_admin_password, port: h.proxysql.adminPort, secrets: Object.values(secrets) });
    state.proxysql.set(h.host.name, await readRuntime(port, proxysqlAdminTables(h.proxysql, secrets)));
  }
  return state;
}
