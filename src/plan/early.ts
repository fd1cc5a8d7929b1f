// Daemon state read beside the facts instead of after them. Which hosts hold the primary and the replicas, and the SQL
// that reads their state, follow from the site file; the facts only confirm it (the flavour and version of the
// database, that it runs). So as soon as a db host is connected, its state read starts on a second channel while the
// facts script runs on the first, and plan waits for one round trip instead of two. After the facts, readRemoteState
// uses a read only if the spec it computes from the live facts is the one the read was started with, and only for a
// database the facts say runs; otherwise it reads again (or not at all), exactly as without this module. A read that
// fails here (no database there yet, no client binary) is dropped silently: the same read after the facts reports it.
import type { Site } from '../config/types.js';
import type { SecretValues } from '../config/types.js';
import { transportSqlRunner } from '../replication/client.js';
import { replicationSpec, type ReplicationSpec } from '../replication/spec.js';
import { readPrimaryState, readReplicaState, type PrimaryState, type ReplicaState } from '../replication/state.js';
import type { SiteSizing } from '../sizing/types.js';
import type { Transport } from '../transport/types.js';

export interface EarlyReads {
  spec: ReplicationSpec;
  primary?: Promise<PrimaryState | undefined>;
  replicas: Map<string, Promise<ReplicaState | undefined>>;
  /** Call when a host is connected: starts its read if it is the primary or a replica. */
  connected(host: string, t: Transport): void;
}

/** The secrets masked in a client's errors (remote.ts reads with the same). */
export function stateSecrets(secrets: SecretValues): (string | undefined)[] {
  return [secrets.replication_password ?? '', secrets.proxysql_monitor_password, secrets.app_db_password];
}

/** Undefined when the site has no db-primary, or its spec needs the facts (an unsupported default version). */
export function earlyReplicationReads(sizing: SiteSizing, site: Site, secrets: SecretValues): EarlyReads | undefined {
  let spec: ReplicationSpec | undefined;
  try {
    spec = replicationSpec(sizing, site);
  } catch {
    return undefined;
  }
  if (!spec) return undefined;
  const s = spec;
  const quiet = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);
  const early: EarlyReads = {
    spec: s,
    replicas: new Map(),
    connected(host, t) {
      const client = transportSqlRunner(t, s.dialect.client, { secrets: stateSecrets(secrets) });
      if (host === s.primary.host) early.primary = quiet(readPrimaryState(client, s.dialect, s.app.database));
      else if (s.replicas.some((r) => r.host === host)) early.replicas.set(host, quiet(readReplicaState(client, s.dialect, s.app.database)));
    },
  };
  return early;
}

/** Whether reads started for `started` answer what `spec` asks: same hosts, same dialect, same database. */
export function sameReads(started: ReplicationSpec, spec: ReplicationSpec): boolean {
  const key = (x: ReplicationSpec) => JSON.stringify([x.dialect, x.primary.host, x.replicas.map((r) => r.host), x.app.database]);
  return key(started) === key(spec);
}
