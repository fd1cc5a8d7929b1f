// Deploys examples/restaurant-api on a test host (the tests' and the capacity benchmark's one way to do it): the code
// under /var/www, the database, its user and schema, a seeded data set, the app config file, and the app served
// through PHP-FPM. The web tier (nginx) is not set up by stackscale yet, so PHP's built-in server stands in front of
// FPM with the FastCGI bridge of the example (each of its workers carries one request to FPM at a time).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

export const APP_DIR = '/var/www/restaurant-api';
export const APP_CONFIG = '/etc/stackscale/app.php';

async function sh(host: TestHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(host, cmd, { input });
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

/** The app config file in the format examples/restaurant-api/README.md documents. */
export function appConfigPhp(s: AppSettings, dbHost = '127.0.0.1', dbPort = 3306, redis: { host: string; port: number } | null = { host: '127.0.0.1', port: 6379 }): string {
  const q = (v: string | null) => (v === null ? 'null' : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  return [
    '<?php',
    'return [',
    `    'profile' => ${q(s.profile)},`,
    `    'db' => ['host' => ${q(dbHost)}, 'port' => ${dbPort}, 'user' => ${q(s.user)}, 'password' => ${q(s.password)}, 'database' => ${q(s.database)}],`,
    redis ? `    'redis' => ['host' => ${q(redis.host)}, 'port' => ${redis.port}, 'password' => ${q(s.redisPassword)}, 'db' => 0],` : '',
    `    'cache_ttl' => [${Object.entries(s.ttls).map(([k, v]) => `'${k}' => ${v}`).join(', ')}],`,
    '];',
    '',
  ].join('\n');
}

/** Code, database, user, schema and data (not the app config: see writeAppConfig); returns the seed's summary line. */
export async function installApp(host: TestHost, s: AppSettings, seed: { orders: number; reservations: number }): Promise<string> {
  const tar = spawnSync('tar', ['-C', resolve(import.meta.dirname, '../../examples'), '-cz', 'restaurant-api']);
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  await sh(host, `mkdir -p /var/www && base64 -d | tar -C /var/www -xz && chown -R root:root ${APP_DIR}`, tar.stdout.toString('base64'));
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
  const seedConfig = appConfigPhp(s, 'localhost', 3306, null).replace("'db' => [", "'db' => ['socket' => '/run/mysqld/mysqld.sock', ");
  await sh(host, 'umask 077 && cat > /root/app-seed.php', seedConfig);
  return sh(host, `STACKSCALE_APP_CONFIG=/root/app-seed.php php ${APP_DIR}/seed.php --orders ${seed.orders} --reservations ${seed.reservations}`);
}

/**
 * The config file, 0640 root:www-data (it holds the passwords), written from stdin. The endpoints are the host's own
 * address: stackscale binds MariaDB and Redis to the private address (loopback is not bound once it has applied).
 * `redis: false` leaves Redis out (the app then reads the database every time).
 */
export async function writeAppConfig(host: TestHost, s: AppSettings, { redis = true }: { redis?: boolean } = {}): Promise<void> {
  const text = appConfigPhp(s, host.address, 3306, redis ? { host: host.address, port: 6379 } : null);
  await sh(host, `mkdir -p /etc/stackscale && umask 027 && cat > ${APP_CONFIG}.tmp && chgrp www-data ${APP_CONFIG}.tmp && mv ${APP_CONFIG}.tmp ${APP_CONFIG}`, text);
}

/**
 * Serves the app on ADDRESS:port through FPM's socket (read from the live pool), for at most `seconds`; returns the
 * base URL once it answers. A server this started before is stopped first (its process group, from its pid file).
 */
export async function serveApp(host: TestHost, { port = 8080, workers = 32, seconds = 600 } = {}): Promise<string> {
  const socket = (await sh(host, "sed -n 's/^listen *= *//p' /etc/php/8.2/fpm/pool.d/www.conf")).trim() || '/run/php/php8.2-fpm.sock';
  const env = `FPM_SOCKET=${socket} APP_ROOT=${APP_DIR}/public PHP_CLI_SERVER_WORKERS=${workers}`;
  await sh(
    host,
    [
      'if [ -s /run/app-bridge.pid ]; then kill -- "-$(cat /run/app-bridge.pid)" 2>/dev/null; sleep 0.5; fi',
      `cd ${APP_DIR} && setsid -f sh -c 'echo $$ > /run/app-bridge.pid; exec env ${env} timeout ${seconds} php -S ${host.address}:${port} fcgi-bridge.php' >/tmp/app-bridge.log 2>&1 </dev/null`,
    ].join('\n'),
  );
  const url = `http://${host.address}:${port}`;
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
    if (Date.now() > deadline) throw new Error(`${host.name}: the app does not answer at ${url}: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A plain install's own config, `config.local.php` beside the app: the database over its local socket, no Redis (the
 * app then reads MariaDB on every request). Used where no stackscale app config exists (Debian's defaults).
 */
export async function writeLocalConfig(host: TestHost, s: AppSettings): Promise<void> {
  const text = appConfigPhp(s, 'localhost', 3306, null).replace("'db' => [", "'db' => ['socket' => '/run/mysqld/mysqld.sock', ");
  await sh(host, `umask 027 && cat > ${APP_DIR}/config.local.php && chgrp www-data ${APP_DIR}/config.local.php`, text);
}
