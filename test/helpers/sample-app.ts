// Deploys examples/restaurant-api on a test host (the tests' and the capacity benchmark's one way to do it): the code
// under /var/www, the database, its user and schema, a seeded data set. On a site stackscale deploys, nginx (web role,
// `app.root` = APP_ROOT) and /etc/stackscale/app.php come from `stackscale apply`, and the app reads that file as it is;
// for Debian's defaults, `guideNginx` and `writeLocalConfig` set up what a plain install has instead.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

export const APP_DIR = '/var/www/restaurant-api';
export const APP_CONFIG = '/etc/stackscale/app.php';

async function sh(host: TestHost, cmd: string, input?: string, timeoutMs?: number): Promise<string> {
  const r = await ssh(host, cmd, { input, timeoutMs });
  if (r.code !== 0) throw new Error(`${host.name}: ${cmd.slice(0, 120)}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** SQL string literal for the few values written here (passwords of the tests' own). */
const lit = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export interface AppSettings {
  database: string;
  user: string;
  password: string;
  redisPassword: string | null;
  ttls: Record<string, number>;
  profile: string;
}

/** A database endpoint: host and port, or a local socket (config.local.php only). */
export type DbEndpoint = { host: string; port: number } | { socket: string };

/** An app config file in the format stackscale renders (/etc/stackscale/app.php): db, redis, cache_ttls, sessions. */
export function appConfigPhp(s: AppSettings, db: DbEndpoint, redis: { host: string; port: number } | null): string {
  const q = (v: string | null) => (v === null ? 'null' : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  const ep = (e: DbEndpoint) => ('socket' in e ? `['socket' => ${q(e.socket)}]` : `['host' => ${q(e.host)}, 'port' => ${e.port}]`);
  return [
    '<?php',
    'return [',
    `    'profile' => ${q(s.profile)},`,
    `    'db' => ['write' => ${ep(db)}, 'read' => [${ep(db)}], 'via' => 'direct', 'user' => ${q(s.user)}, 'password' => ${q(s.password)}, 'database' => ${q(s.database)}],`,
    `    'redis' => ${redis ? `['host' => ${q(redis.host)}, 'port' => ${redis.port}, 'database' => 0, 'password' => ${q(s.redisPassword)}]` : 'null'},`,
    `    'cache_ttls' => [${Object.entries(s.ttls).map(([k, v]) => `'${k}' => ${v}`).join(', ')}],`,
    "    'sessions' => 'files',",
    '];',
    '',
  ].join('\n');
}

/** The app's code under /var/www (a web host of a split site needs only this). */
export async function installCode(host: TestHost): Promise<void> {
  const tar = spawnSync('tar', ['-C', resolve(import.meta.dirname, '../../examples'), '-cz', 'restaurant-api']);
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  await sh(host, `mkdir -p /var/www && base64 -d | tar -C /var/www -xz && chown -R root:root ${APP_DIR}`, tar.stdout.toString('base64'));
}

/** Code, database, user, schema and data (not the app config); returns the seed's summary line. */
export async function installApp(host: TestHost, s: AppSettings, seed: { orders: number; reservations: number }): Promise<string> {
  await installCode(host);
  const sql = [
    `CREATE DATABASE IF NOT EXISTS ${s.database};`,
    `CREATE USER IF NOT EXISTS ${lit(s.user)}@'localhost' IDENTIFIED BY ${lit(s.password)};`,
    `CREATE USER IF NOT EXISTS ${lit(s.user)}@'%' IDENTIFIED BY ${lit(s.password)};`,
    `GRANT ALL ON ${s.database}.* TO ${lit(s.user)}@'localhost';`,
    `GRANT ALL ON ${s.database}.* TO ${lit(s.user)}@'%';`,
  ].join('\n');
  await sh(host, 'mariadb', sql + '\n');
  await sh(host, `mariadb ${s.database} < ${APP_DIR}/schema.sql`);
  // Seeded over the local socket, whatever the server binds to; the app's own config is written by the caller.
  const seedConfig = appConfigPhp(s, { socket: '/run/mysqld/mysqld.sock' }, null);
  await sh(host, 'umask 077 && cat > /root/app-seed.php', seedConfig);
  // ~20 s for 100k orders on an idle machine; several times that on a loaded one.
  return sh(host, `STACKSCALE_APP_CONFIG=/root/app-seed.php php ${APP_DIR}/seed.php --orders ${seed.orders} --reservations ${seed.reservations}`, undefined, 300_000);
}

/** The app's public directory: `app.root` in a site file, so stackscale's nginx serves the app. */
export const APP_ROOT = `${APP_DIR}/public`;

/** Waits (at most 15 s) until the app answers 200 at `url`; returns `url`. */
export async function waitForApp(url: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  let last = 'no answer';
  for (;;) {
    try {
      const r = await fetch(`${url}/get_reservations.php?restaurant_id=1`, { signal: AbortSignal.timeout(5000) });
      last = `${r.status} ${(await r.text()).slice(0, 300)}`;
      if (r.status === 200) return url;
    } catch (err) {
      last = String(err); // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the app does not answer at ${url}: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Debian's nginx as a guide has one run PHP: its default site with the app's root and `.php` handed to Debian's
 * stock pool socket (snippets/fastcgi-php.conf), nothing else changed. Needs nginx running (the host's `nginx`
 * service). Returns the app's URL once it answers.
 */
export async function guideNginx(host: TestHost): Promise<string> {
  const site = [
    'server {',
    '\tlisten 80 default_server;',
    `\troot ${APP_ROOT};`,
    '\tindex index.php index.html;',
    '\tlocation ~ \\.php$ {',
    '\t\tinclude snippets/fastcgi-php.conf;',
    '\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;',
    '\t}',
    '}',
    '',
  ].join('\n');
  await sh(host, 'cat > /etc/nginx/sites-enabled/default && nginx -t 2>/dev/null && service nginx reload >/dev/null', site);
  return waitForApp(`http://${host.address}`);
}

/**
 * A plain install's own config, `config.local.php` beside the app: the database over its local socket, no Redis (the
 * app then reads MariaDB on every request). Used where no stackscale app config exists (Debian's defaults).
 */
export async function writeLocalConfig(host: TestHost, s: AppSettings): Promise<void> {
  const text = appConfigPhp(s, { socket: '/run/mysqld/mysqld.sock' }, null);
  await sh(host, `umask 027 && cat > ${APP_DIR}/config.local.php && chgrp www-data ${APP_DIR}/config.local.php`, text);
}
