// The user's input after parsing and normalising: the site file and a capacity profile.
// The zod schemas in this folder produce these types; everything downstream reads only these.

export const ROLES = ['web', 'cache', 'proxysql', 'db-primary', 'db-replica', 'lb', 'monitor'] as const;
export type Role = (typeof ROLES)[number];

export const SECRET_KEYS = [
  'redis_password',
  'app_db_password',
  'replication_password',
  'proxysql_admin_password',
  'proxysql_monitor_password',
  'mysqld_exporter_password',
  'alert_webhook_url',
  'alert_smtp_password',
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
/** Secret values by key, once resolved. When a value is missing, render puts a placeholder in its place. */
export type SecretValues = Partial<Record<SecretKey, string>>;
/** The secrets only a site with a monitor host uses. */
export const MONITOR_SECRET_KEYS: readonly SecretKey[] = ['mysqld_exporter_password', 'alert_webhook_url', 'alert_smtp_password'];

/** The environment variable each secret is read from unless the site file says otherwise (the example names). */
export const DEFAULT_SECRET_ENV: Record<SecretKey, string> = {
  redis_password: 'REDIS_PASSWORD',
  app_db_password: 'APP_DB_PASSWORD',
  replication_password: 'REPL_PASSWORD',
  proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD',
  proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD',
  mysqld_exporter_password: 'MYSQLD_EXPORTER_PASSWORD',
  alert_webhook_url: 'ALERT_WEBHOOK_URL',
  alert_smtp_password: 'ALERT_SMTP_PASSWORD',
};

/** Where a secret comes from: never a literal. */
export type SecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

export interface HostSize {
  /** Bytes of RAM. */
  memory: number;
  cores: number;
}

export interface HostSpec {
  name: string;
  /** Address SSH connects to. */
  address: string;
  /** Address services bind to and peers use; defaults to `address`. */
  privateAddress: string;
  /** The site file gives `private_address` (else privateAddress is `address`, and must be private to be bound to). */
  privateGiven?: boolean;
  /** `expose_public: true`: the operator accepts services bound to a public address (plan warns). */
  exposePublic?: boolean;
  port: number;
  user: string;
  identity?: string;
  /** Pinned host key fingerprint, `SHA256:...`. */
  hostKey?: string;
  roles: Role[];
  /** Which of port and user the site file states; what it leaves out, ~/.ssh/config may set (else 22 and root). */
  given?: { port: boolean; user: boolean };
  /** From the site file; replaced by live facts where they are read. */
  size?: HostSize;
}

export interface Site {
  /** The file it came from, or undefined for the built-in default site. */
  file?: string;
  /** Profile name (`300`) or path, as written. */
  profile: string;
  hosts: HostSpec[];
  app: {
    database: string;
    dbUser: string;
    /** MAX_CONNECTIONS_PER_HOUR the hosting plan imposes on the DB user, if any. */
    maxConnectionsPerHour?: number;
    // The web tier's and the app config's keys: what the site file leaves out is APP_DEFAULTS (config/site.ts).
    /** nginx server_name of the app's server block (default `_`: any name). */
    serverName?: string;
    /** Document root (default /var/www/html). */
    root?: string;
    /** The PHP file stackscale writes for the app (default /etc/stackscale/app.php). */
    configFile?: string;
    /** The same settings as a .env file, when asked for. */
    envFile?: string;
    /** Where PHP keeps sessions: `files` (PHP's default) or `redis`. */
    sessions?: 'files' | 'redis';
    /** CIDRs never rate limited; undefined = loopback and the site's own hosts. */
    rateLimitAllow?: string[];
  };
  /** `nginx` (managed for the web role, the default) or `none` (the site keeps its own web server). */
  webServer?: 'nginx' | 'none';
  secrets: Partial<Record<SecretKey, SecretRef>>;
  /** `monitor:` where alerts go; the webhook URL and the SMTP password are secrets (alert_webhook_url, alert_smtp_password). */
  monitor?: MonitorSettings;
  /** `packages: {install: false}`: never install, refuse roles whose packages are missing. */
  packages?: { install: boolean };
  /** Where ProxySQL comes from (default: ProxySQL's own repository). */
  repositories?: { proxysql?: RepositorySpec };
  /** The database to install on a fresh host (default mariadb). */
  database?: { flavour: 'mariadb' | 'mysql' };
  /** The PHP version to install where none is (default: the distribution's). */
  phpVersion?: string;
}

export interface MonitorSettings {
  /** Alerts are POSTed to the URL held by the alert_webhook_url secret. */
  webhook?: boolean;
  email?: { to: string; from: string; smarthost: string; authUsername?: string };
}

export interface RepositorySpec {
  url?: string;
  /** Absolute path of an ASCII-armoured public key on this machine (relative paths resolved against the site file). */
  keyFile?: string;
  /** 40 hex digits, upper case, no spaces. */
  keyFingerprint?: string;
  series?: string;
}

/** Per-endpoint cache TTLs in seconds, keyed by endpoint name (e.g. `get_menu_items`). */
export type CacheTtls = Record<string, number>;

export interface Workload {
  concurrentUsers: number;
  /** Share of users with a request inside PHP at the peak (0-1). */
  peakInFlightRatio: number;
  /** Requests each active user makes per minute. */
  requestsPerUserPerMinute: number;
  /** Mean PHP time per request, ms. */
  phpTimeMs: number;
  /** Average response target, ms. */
  responseTargetMs: number;
  /** Redis hit ratio aimed at (0-1). */
  cacheHitRatio: number;
  /** Pooled backend connections to MySQL wanted (ProxySQL). */
  dbConnections: { min: number; max: number };
  /** Resident memory of one PHP-FPM worker, bytes (a guess; live facts replace it). */
  workerRss: number;
  /** DB queries a request makes when it misses the cache. */
  queriesPerRequest: number;
}

export interface Profile {
  /** Display name (`1000`, or the file name of a user's profile). */
  name: string;
  /** The file it came from. */
  file: string;
  description: string;
  workload: Workload;
  cacheTtls: CacheTtls;
  /** Settings pinned by the profile: key (see config/pins.ts) -> value. */
  pins: Record<string, number | string | boolean>;
}
