// zod schemas of the site file (version 1) and of a profile, in the YAML's own snake_case names. Every map is strict:
// a typo is an unknown key, never silently ignored. Cross-field checks with positions (one db-primary, replicas need
// it, roles once each) are in site.ts, since zod alone cannot point at the right line for them.
import * as z from 'zod';
import { ROLES, SECRET_KEYS } from './types.js';
import { bool, decimal, oneOf, size, strict, text, wholeNumber } from './fields.js';
import { GiB, MiB } from './size.js';
import { pinsSchema } from './pins.js';
import { parseSecretRef } from './secret-ref.js';
import { checkAddress } from './address.js';

// The patterns init checks its answers with too, so what it accepts is what the site file accepts.
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const SSH_USER = /^[a-z_][a-z0-9_.-]*\$?$/i;
export const HOST_KEY = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
export const DATABASE_NAME = /^[A-Za-z0-9_$]{1,64}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const DB_USER_NAME = /^[A-Za-z0-9_.-]{1,32}$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\/@+-]*$/;
const CIDR = /^([0-9]{1,3}(\.[0-9]{1,3}){3}(\/([0-9]|[12][0-9]|3[0-2]))?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(\/[0-9]{1,3})?)$/;

/** `env:NAME` or `file:PATH`; anything else is taken for a literal secret and refused without echoing it. */
const secretRef = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string') {
    const ref = parseSecretRef(v);
    if (ref) return ref;
    // `env:` with a bad name gets its own message (a value over several lines still reads as a literal, as before).
    if (/^env:.*$/.test(v)) {
      ctx.issues.push({ code: 'custom', message: `an environment variable name|env:NAME, NAME of letters, digits and _`, input: v });
      return z.NEVER;
    }
  }
  ctx.issues.push({
    code: 'custom',
    message: '!a literal secret is not allowed here, and its value is not repeated|use env:NAME for an environment variable or file:PATH for a file holding it',
    input: undefined,
  });
  return z.NEVER;
});

const address = z.string({ error: 'an address|an IP address or a DNS name' }).superRefine((v, ctx) => {
  const ok = checkAddress(v);
  if (ok !== true) ctx.addIssue({ code: 'custom', message: `an address|${ok}`, input: v });
});

export const hostSchema = strict('a host', {
  address,
  // No defaults here: what the site file leaves out, ~/.ssh/config may say (site.ts applies 22 / root last).
  port: wholeNumber('a port', 1, 65535).optional(),
  user: text('a user name', SSH_USER, 'a Unix user name, like root or deploy').optional(),
  identity: text('a key file path', /^\S.*$/, 'the path of a private key, like ~/.ssh/id_ed25519').optional(),
  host_key: text('a host key fingerprint', HOST_KEY, 'SHA256:<43 base64 characters>, as `ssh-keygen -lf` prints it').optional(),
  private_address: address.optional(),
  expose_public: bool('a boolean').optional(),
  roles: z
    .array(oneOf('a role', ROLES), { error: `a list of roles|a list of: ${ROLES.join(', ')}` })
    .min(1, { error: `an empty list|at least one of: ${ROLES.join(', ')}` }),
  size: strict('a size', {
    memory: size('a memory size', 512 * MiB, 16_384 * GiB),
    cores: wholeNumber('a core count', 1, 1024),
  }).optional(),
});

export const siteSchema = strict('a site file', {
  // No default: a site file without a profile would be sized for 1000 users silently.
  profile: z.union([z.string(), z.number()], { error: 'a profile|300, 700, 1000 or the path of a profile file' }).transform(String),
  hosts: z.record(z.string(), hostSchema, { error: 'a map of hosts|a map of host name -> {address, roles, ...}' }),
  app: strict('the app section', {
    database: text('a database name', DATABASE_NAME, 'letters, digits, _ and $, at most 64 characters'),
    db_user: text('a MySQL user name', DB_USER_NAME, 'letters, digits, _ . and -, at most 32 characters'),
    max_connections_per_hour: wholeNumber('a connection limit', 1, 1_000_000_000).optional(),
    // The web tier and the app's own config file (docs/app.md).
    server_name: text('a server name', /^[A-Za-z0-9*_.-]+( [A-Za-z0-9*_.-]+)*$/, 'nginx server names separated by spaces, like "app.example.com www.example.com" or _').optional(),
    root: text('a directory', ABSOLUTE_PATH, 'an absolute path without spaces or quotes, like /var/www/app/public').optional(),
    config_file: text('a file path', ABSOLUTE_PATH, 'an absolute path without spaces or quotes, like /etc/stackscale/app.php').optional(),
    env_file: text('a file path', ABSOLUTE_PATH, 'an absolute path without spaces or quotes, like /var/www/app/.env').optional(),
    sessions: oneOf('a session store', ['files', 'redis']).optional(),
    rate_limit_allow: z.array(text('a CIDR', CIDR, 'an IPv4 or IPv6 address or CIDR, like 10.0.0.0/24 or 192.0.2.7'), { error: 'a list of CIDRs|a list like [10.0.0.0/24, 192.0.2.7]' }).optional(),
  }),
  web_server: oneOf('a web server', ['nginx', 'none']).optional(),
  // Provisioning a fresh host (src/packages): whether apply installs, where ProxySQL comes from, which database.
  packages: strict('the packages section', { install: bool('install') }).optional(),
  repositories: strict('the repositories section', {
    proxysql: strict('a repository', {
      url: text('a repository URL', /^https?:\/\/\S+$/, 'an http:// or https:// URL of a flat APT repository').optional(),
      key_file: text('a key file path', /^\S.*$/, 'the path of an ASCII-armoured OpenPGP public key').optional(),
      key_fingerprint: text('a key fingerprint', /^\s*(?:[0-9A-Fa-f]{4}\s*){10}$/, '40 hexadecimal digits, as `gpg --fingerprint` prints them').optional(),
      series: text('a ProxySQL series', /^\d+\.\d+$/, 'a major.minor version like 2.7').optional(),
    }).optional(),
  }).optional(),
  database: strict('the database section', { flavour: oneOf('a database flavour', ['mariadb', 'mysql']) }).optional(),
  php_version: text('a PHP version', /^\d+\.\d+$/, 'major.minor, like 8.2').optional(),
  secrets: strict('the secrets section', Object.fromEntries(SECRET_KEYS.map((k) => [k, secretRef.optional()])) as Record<
    (typeof SECRET_KEYS)[number],
    z.ZodOptional<typeof secretRef>
  >).optional(),
  // Where the monitor host's Alertmanager sends alerts. A webhook URL often carries a token: it is a secret reference.
  monitor: strict('the monitor section', {
    alert_webhook: secretRef.optional(),
    alert_email: strict('an alert e-mail setting', {
      to: text('an e-mail address', EMAIL, 'an address like ops@example.com'),
      from: text('an e-mail address', EMAIL, 'an address like alerts@example.com'),
      smarthost: text('a mail relay', /^[A-Za-z0-9][A-Za-z0-9.-]*:[0-9]{1,5}$/, 'host:port of the SMTP relay, like smtp.example.com:587'),
      auth_username: text('a user name', /^\S+$/, 'the SMTP login').optional(),
      auth_password: secretRef.optional(),
    }).optional(),
  }).optional(),
});
export type SiteInput = z.output<typeof siteSchema>;

const ttl = wholeNumber('a TTL in seconds', 1, 86_400);

export const profileSchema = strict('a profile', {
  description: text('a description', /\S/, 'one line saying what the profile is for'),
  workload: strict('the workload', {
    concurrent_users: wholeNumber('a user count', 1, 1_000_000),
    peak_in_flight_ratio: decimal('a ratio', 0, 1, { exclusiveLow: true }),
    requests_per_user_per_minute: decimal('a request rate', 0, 600, { exclusiveLow: true }),
    php_time_ms: wholeNumber('a time in ms', 1, 600_000),
    response_target_ms: wholeNumber('a time in ms', 1, 600_000),
    cache_hit_ratio: decimal('a ratio', 0, 1),
    db_connections: strict('a connection range', {
      min: wholeNumber('a connection count', 1, 100_000),
      max: wholeNumber('a connection count', 1, 100_000),
    }),
    worker_rss: size('a worker size', 4 * MiB, 4 * GiB),
    queries_per_request: decimal('a query count', 0, 10_000),
  }),
  cache_ttls: z
    .record(text('an endpoint name', /^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . and -'), ttl, {
      error: 'a map of TTLs|a map of endpoint -> seconds, like get_menu_items: 300',
    })
    .default({}),
  pin: pinsSchema.default({}),
});
export type ProfileInput = z.output<typeof profileSchema>;
