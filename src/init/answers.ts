// What `stackscale init` collects, whether asked on a terminal or given as flags: the plain data the site file is
// written from. Secret references are kept as written (`env:NAME` / `file:PATH`); a literal is never accepted.
import { ROLES, SECRET_KEYS, type Role, type SecretKey } from '../config/types.js';
import { NEEDED_BY } from '../config/secrets.js';
import { parseSecretRef } from '../config/secret-ref.js';
import { DATABASE_NAME, DB_USER_NAME, HOST_NAME } from '../config/schema.js';

export interface HostAnswer {
  name: string;
  address: string;
  port: number;
  user: string;
  /** Private key file; absent means the SSH agent. */
  identity?: string;
  /** `SHA256:...`, recorded when the key was shown and confirmed. */
  hostKey?: string;
  /** The address the site's other hosts reach it on (services bind to it); absent: `address`. */
  privateAddress?: string;
  roles: Role[];
  /** Bytes and cores, probed or typed; absent leaves `size` out of the file. */
  size?: { memory: number; cores: number };
}

export interface InitAnswers {
  /** `300`, `700`, `1000` or a path. */
  profile: string;
  hosts: HostAnswer[];
  app: { database: string; dbUser: string };
  secrets: Partial<Record<SecretKey, string>>;
}

export const SECRET_PURPOSE: Record<SecretKey, string> = {
  redis_password: 'Redis requirepass',
  app_db_password: "the app's database user",
  replication_password: 'the replication user',
  proxysql_admin_password: "ProxySQL's admin interface",
  proxysql_monitor_password: "ProxySQL's monitor user",
  mysqld_exporter_password: "the MySQL exporter's read-only account",
  alert_webhook_url: 'the alert webhook URL',
  alert_smtp_password: 'the alert mail relay login',
};

/** The secrets a site with these roles uses (the same rule plan and apply resolve by): only those are asked and written. */
export function secretsFor(roles: Iterable<Role>): SecretKey[] {
  const have = new Set(roles);
  // Alert receivers are set in the site file's monitor section, by hand; init does not ask for them.
  return SECRET_KEYS.filter((k) => NEEDED_BY[k].some((r) => have.has(r)) && !k.startsWith('alert_'));
}

/** `env:NAME` or `file:PATH`, or the reason it is neither (a literal password is refused, never echoed back). */
export function checkSecretRef(text: string): true | string {
  const t = text.trim();
  if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(t)) return true;
  if (/^file:\S.*$/.test(t)) return true;
  if (t.startsWith('env:')) return 'env: takes a variable name: letters, digits and _, not starting with a digit';
  return 'write where the secret is, env:NAME or file:PATH; a literal secret is never accepted in the site file';
}

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** Host names become YAML keys and parts of paths (render's DIR/<host>/...): keep them simple. */
export function checkHostName(text: string): true | string {
  return HOST_NAME.test(text) ? true : 'letters, digits, ".", "_" and "-", starting with a letter or digit';
}

export function checkPort(text: string): true | string {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? true : 'a port number from 1 to 65535';
}

/** As the site file's schema takes them (src/config/schema.ts). */
export function checkDatabase(text: string): true | string {
  return DATABASE_NAME.test(text) ? true : 'letters, digits, _ and $, at most 64 characters';
}

export function checkDbUser(text: string): true | string {
  return DB_USER_NAME.test(text) ? true : 'letters, digits, _ . and -, at most 32 characters';
}

/** The site file's own rule (config/address.ts), so init never writes an address the site file refuses. */
export { checkAddress } from '../config/address.js';

/** The environment variables the answers' secrets name that `env` does not set (names only, never values). */
export function missingSecretVars(answers: InitAnswers, env: NodeJS.ProcessEnv): string[] {
  return Object.values(answers.secrets)
    .map((text) => parseSecretRef(text ?? ''))
    .flatMap((ref) => (ref?.kind === 'env' ? [ref.name] : []))
    .filter((name) => !env[name]);
}
