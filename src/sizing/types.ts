// What the sizing model produces: every setting for every host, each with the reason it has its value.
// Templates receive these values and make no decisions of their own.
import type { HostSpec, Profile, Role } from '../config/types.js';

/** A derived value and its derivation, e.g. "1000 users x 0.20 in flight at peak". */
export interface Derived<T> {
  value: T;
  why: string;
  /** True when the profile pinned it instead of the model deriving it. */
  pinned?: boolean;
}

export type DbFlavour = 'mariadb' | 'mysql';

/** What sizing needs to know of a host: from live facts when read, else the site file's `size`, else the default. */
export interface HostResources {
  memory: number;
  cores: number;
  /** net.core.somaxconn; 4096 (Linux >= 5.4 default) when unknown. */
  somaxconn: number;
  phpVersion: string;
  dbFlavour: DbFlavour;
  /** e.g. "10.11" or "8.0"; decides statement and variable names. */
  dbVersion: string;
  /** Measured PHP-FPM worker RSS in bytes, replacing the profile's guess. */
  measuredWorkerRss?: number;
  /** Where the numbers came from, for the derivation text: "site file", "live facts", "default size". */
  source: string;
}

export interface FpmSizing {
  phpVersion: string;
  poolDir: string; // /etc/php/8.2/fpm/pool.d
  listen: string; // /run/php/php8.2-fpm.sock
  user: string;
  group: string;
  pm: Derived<'static' | 'dynamic' | 'ondemand'>;
  maxChildren: Derived<number>;
  startServers: Derived<number>;
  minSpareServers: Derived<number>;
  maxSpareServers: Derived<number>;
  maxRequests: Derived<number>;
  listenBacklog: Derived<number>;
  /** Seconds. */
  requestTerminateTimeout: Derived<number>;
  statusPath: string; // /fpm-status
  pingPath: string; // /fpm-ping
  workerRss: Derived<number>;
}

export interface RedisSizing {
  bind: string[]; // ["127.0.0.1", "-::1", "<private address>"]
  port: number;
  maxmemory: Derived<number>; // bytes
  maxmemoryPolicy: Derived<string>;
  maxclients: Derived<number>;
  tcpBacklog: Derived<number>;
  timeout: Derived<number>; // seconds
  /** `save` line value; "" = RDB snapshots off (cache use). */
  save: Derived<string>;
  appendonly: Derived<boolean>;
}

export interface MysqlSizing {
  flavour: DbFlavour;
  version: string;
  role: 'primary' | 'replica';
  /** /etc/mysql/mariadb.conf.d/60-stackscale.cnf or /etc/mysql/mysql.conf.d/60-stackscale.cnf */
  path: string;
  /** bind_address: loopback, plus the private address when another host connects (comma-separated). */
  bindAddress: string;
  /** Where ProxySQL, replicas and the app reach it: the private address, or 127.0.0.1 when only its own host does. */
  address: string;
  serverId: Derived<number>;
  maxConnections: Derived<number>;
  innodbBufferPoolSize: Derived<number>; // bytes
  /** long_query_time, seconds (fractional). */
  longQueryTime: Derived<number>;
  /** MariaDB: gtid_domain_id. */
  gtidDomainId: number;
  readOnly: boolean;
  /** Reserve of connections kept for admin, replication and monitor users. */
  reservedConnections: number;
  threadCacheSize: Derived<number>;
  tableOpenCache: Derived<number>;
}

export interface ProxysqlServer {
  address: string;
  port: number;
  hostgroup: number;
  maxConnections: number;
  weight: number;
  maxReplicationLag: number;
  comment: string;
}

export interface ProxysqlRule {
  ruleId: number;
  active: boolean;
  matchDigest: string;
  destinationHostgroup: number;
  apply: boolean;
  comment: string;
}

export interface ProxysqlSizing {
  adminPort: number; // 6032
  mysqlPort: number; // 6033
  /** Addresses the app-facing port listens on: loopback and the host's private address, never every address. */
  bind: string[];
  threads: Derived<number>;
  frontendMaxConnections: Derived<number>;
  backendMaxConnectionsPerServer: Derived<number>;
  writerHostgroup: number;
  readerHostgroup: number;
  servers: ProxysqlServer[];
  appUser: { username: string; defaultHostgroup: number; maxConnections: number; transactionPersistent: boolean };
  monitorUser: string;
  rules: ProxysqlRule[];
  freeConnectionsPct: number;
  connectionMaxAgeMs: number;
}

export interface NginxBackend {
  name: string;
  address: string;
  port: number;
}

/** nginx on a web host (in front of PHP-FPM) or on the lb host (in front of the web hosts). */
export interface NginxSizing {
  kind: 'web' | 'lb';
  /** Connections the host's users and requests in flight hold at once, before the margin. */
  connectionsNeeded: number;
  workerProcesses: Derived<number>;
  workerConnections: Derived<number>;
  /** Also systemd's LimitNOFILE for nginx.service. */
  workerRlimitNofile: Derived<number>;
  keepaliveTimeout: Derived<number>; // seconds
  keepaliveRequests: Derived<number>;
  listenBacklog: Derived<number>;
  /** net.core.somaxconn and net.ipv4.tcp_max_syn_backlog for /etc/sysctl.d. */
  somaxconn: Derived<number>;
  synBacklog: Derived<number>;
  /** Per client address, requests per minute, and the burst served at once above it. */
  rate: Derived<number>;
  burst: Derived<number>;
  connPerAddress: Derived<number>;
  /** Retry-After on a 429, seconds: when the next request slot frees. */
  retryAfter: number;
  /** limit_req / limit_conn zone size, MB (1 MB holds ~8k addresses). */
  zoneMb: number;
  /** False on web hosts behind an lb: the lb limits. */
  rateLimited: boolean;
  /** CIDRs never limited. */
  allow: string[];
  allowWhy: string;
  /** The lb's addresses a web host takes X-Forwarded-For from (set_real_ip_from). */
  realIpFrom: string[];
  serverName: string;
  root: string;
  fpmSocket: string;
  fpmStatusPath: string;
  fpmPingPath: string;
  /** Seconds; proxy_read_timeout on the lb. */
  fastcgiReadTimeout: Derived<number>;
  /** Idle upstream connections kept per worker (FastCGI on web hosts, HTTP to the backends on the lb). */
  upstreamKeepalive: Derived<number>;
  /** lb only: the web hosts. */
  backends: NginxBackend[];
  maxFails: number;
  failTimeout: number;
  /** nginx's own memory (a small figure beside the PHP workers'). */
  memory: Derived<number>;
}

/** One line of a host's memory budget. */
export interface MemoryLine {
  role: Role | 'os';
  what: string;
  bytes: number;
}

export interface HostSizing {
  host: HostSpec;
  resources: HostResources;
  fpm?: FpmSizing;
  redis?: RedisSizing;
  mysql?: MysqlSizing;
  proxysql?: ProxysqlSizing;
  nginx?: NginxSizing;
  memory: { total: number; reserve: number; budget: number; lines: MemoryLine[]; used: number };
}

export interface SiteSizing {
  profile: Profile;
  hosts: HostSizing[];
  /** Connection chain and per-hour estimate, with their derivations. */
  chain: {
    totalPhpWorkers: Derived<number>;
    frontendMaxConnections?: Derived<number>;
    backendPoolTotal?: Derived<number>;
    connectionsPerHourWithoutPool: Derived<number>;
    connectionsPerHourWithPool: Derived<number>;
    perHourLimit?: number;
  };
  /** Endpoint cache TTLs, for the app's cache config. */
  cacheTtls: Record<string, number>;
  /** Facts worth telling that are not errors. */
  notes: string[];
}
