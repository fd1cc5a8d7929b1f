// What `stackscale status` reports: live figures read from each host, each set against the limit the host enforces
// now and the value the profile plans, with a mark. The report is data: printed for people, or
// emitted as it is by `--json`.
//
// `--json` schema `stackscale.status/1` (one document on stdout; human text and progress on stderr):
//   { schema: "stackscale.status/1", time: ISO-8601, profile: string,
//     ok: boolean,              // every host reached, every service answered, no figure warns
//     exitCode: 0 | 1 | 4,      // what the command exits with (exitCodeFor in report.ts)
//     summary: { hosts, unreachable, servicesDown, warnings },   // counts
//     notes: string[],
//     hosts: [{ host, roles: Role[], reachable: boolean, error?: { message, exitCode },
//               mark: "ok" | "warn",
//               services: [{ service: "host" | "php-fpm" | "redis" | "mysql" | "replication" | "proxysql" | "nginx",
//                            answered: boolean, error?: string,
//                            figures: [{ key, label, value: number | string | boolean | null,
//                                        unit?: "count" | "bytes" | "ratio" | "seconds" | "per-hour",
//                                        limit?: number, planned?: number, mark: "ok" | "warn", note?: string }] }] }] }
// Figure keys: host.{cpu_busy,memory_available}; fpm.{active,idle,total,listen_queue,max_listen_queue,max_children_reached,max_children,status_page};
// redis.{hit_ratio,used_memory,maxmemory,evicted_keys,connected_clients,rejected_connections,maxclients,auth};
// mysql.{threads_connected,threads_running,max_used_connections,max_connections,connections,connections_per_hour,
//   connection_errors,aborted_connects};
// replication.{io_running,sql_running,seconds_behind,source,configured};
// proxysql.{frontend.connected,frontend.aborted,shunned}, proxysql.hostgroup.<hostgroup>.queries,
// proxysql.pool.<hostgroup>.<host>:<port>.{used,free,errors,status,planned}; nginx.backend.<host>:<port> (lb: HTTP
// status, or false when the backend does not answer). Absent optional fields are left out, never null.
// Secrets never appear in it: probes send them on stdin only, and every error and note is masked.
import type { Role } from '../config/types.js';

export const STATUS_SCHEMA = 'stackscale.status/1';

/** ok: within bounds. warn: out of bounds, or not what the profile plans; worth a look, not an outage. */
export type Mark = 'ok' | 'warn';

export type StatusService = 'host' | 'php-fpm' | 'redis' | 'mysql' | 'replication' | 'proxysql' | 'nginx';

export interface Figure {
  /** Stable id for scripts, e.g. `fpm.listen_queue`, `redis.hit_ratio`, `proxysql.pool.10.0.0.31:3306.used`. */
  key: string;
  /** What people read, e.g. `listen queue`. */
  label: string;
  /** The live value; null when the host cannot tell (e.g. a hit ratio before any lookup). */
  value: number | string | boolean | null;
  unit?: 'count' | 'bytes' | 'ratio' | 'seconds' | 'per-hour';
  /** What the value is compared with: the limit the running daemon enforces, or the target. */
  limit?: number;
  /** The profile's value for that limit, where the profile sizes it. */
  planned?: number;
  mark: Mark;
  /** Why the mark is warn (or what to know about an ok value). */
  note?: string;
}

export interface ServiceReport {
  service: StatusService;
  /** The daemon answered the read; when false, `error` says why and `figures` may be empty. */
  answered: boolean;
  error?: string;
  figures: Figure[];
}

export interface HostReport {
  host: string;
  roles: Role[];
  /** An SSH connection was made and facts read. */
  reachable: boolean;
  /** Why the host could not be reached (exit code 4), or could not be read. */
  error?: { message: string; exitCode: number };
  /** Worst of the figures: warn when any figure warns or a service did not answer. */
  mark: Mark;
  services: ServiceReport[];
}

export interface StatusReport {
  schema: typeof STATUS_SCHEMA;
  /** ISO 8601 time the report was assembled. */
  time: string;
  profile: string;
  /** Every host reached, every service answered, every figure ok. */
  ok: boolean;
  /** The exit code the command returns for this report (0, 1 or 4; see exitCodeFor). */
  exitCode: number;
  summary: { hosts: number; unreachable: number; servicesDown: number; warnings: number };
  hosts: HostReport[];
  /** Things worth telling that are not figures (e.g. sizing fell back to the site file's sizes). */
  notes: string[];
}

/** What the profile plans for one host, taken from the sizing (status.ts builds it); each part optional. */
export interface Expectations {
  fpm?: { maxChildren: number };
  redis?: { maxmemory: number; maxclients: number };
  /** The profile's cache hit ratio target (0-1). */
  cacheHitRatio?: number;
  mysql?: { maxConnections: number };
  /** The DB user's MAX_CONNECTIONS_PER_HOUR the hosting plan imposes, if the site names one. */
  connectionsPerHourLimit?: number;
  /** Seconds a replica may lag: ProxySQL's max_replication_lag for it when planned, else DEFAULT_MAX_LAG. */
  replicaMaxLag?: number;
  /** ProxySQL: the planned backend servers, and the frontend connections it accepts (mysql-max_connections). */
  proxysql?: { servers: { address: string; port: number; hostgroup: number; maxConnections: number }[]; frontendMaxConnections?: number };
}
