// The web tier against the real programs on this machine: `nginx -t` on every rendered nginx file of each layout,
// through the same checker apply runs on a host (a copy of /etc/nginx with the candidates in place of the live
// files); app.php read back by PHP with awkward passwords; and a real phpredis session round trip through the
// session.save_path the pool file carries.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nginxChecker } from '../../src/apply/checkers.js';
import { parseSite } from '../../src/config/site.js';
import { loadProfile } from '../../src/config/profile.js';
import { renderSite } from '../../src/render/render.js';
import { sizeSite } from '../../src/sizing/model.js';
import { WEB_LAYOUTS, webLayout, type WebLayout } from '../fixtures/web-sites.js';
import { Daemon, makeTempDir, removeDir, requireBinary, run, waitFor } from './helpers.js';

/** Passwords with every character that has a meaning in a URL, an INI file, PHP or a .env file. */
// (ProxySQL's reader refuses quotes in the DB password, so only the Redis one carries them.)
const AWKWARD = { app_db_password: `d\\b pa$s #x,&?`, redis_password: `p#a/s?s&w+o,r d%"$x'~!` };

let dir: string;
beforeAll(() => {
  requireBinary('nginx', 'nginx');
  requireBinary('php', 'php8.2-cli');
  dir = makeTempDir('nginx');
});
afterAll(() => removeDir(dir));

describe.each(Object.keys(WEB_LAYOUTS) as WebLayout[])('nginx -t on the %s layout', (name) => {
  test('every host with nginx files passes; a broken candidate fails, named by its live path', async () => {
    const { files } = webLayout(name);
    const hosts = [...new Set(files.filter((f) => f.path.startsWith('/etc/nginx/')).map((f) => f.host))];
    if (name === 'web-server-none') expect(hosts).toEqual([]);
    else expect(hosts.length).toBeGreaterThan(0);
    for (const host of hosts) {
      const pairs = files
        .filter((f) => f.host === host && f.path.startsWith('/etc/nginx/'))
        .map((f) => {
          const candidate = join(dir, `${name}-${host}-${f.path.replaceAll('/', '_')}`);
          writeFileSync(candidate, f.content);
          return { live: f.path, candidate, content: f.content };
        });
      const check = nginxChecker(pairs);
      const ok = await run(check.argv[0], check.argv.slice(1), { timeoutMs: 30_000 });
      expect(ok.code, `${host}: ${ok.stderr}`).toBe(0);
      const broken = pairs.find((p) => p.live.includes('conf.d/'))!;
      writeFileSync(broken.candidate, broken.content.replace('\tkeepalive ', '\tkeepalive_broken '));
      const bad = await run(check.argv[0], check.argv.slice(1), { timeoutMs: 30_000 });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain(`unknown directive "keepalive_broken" in ${broken.live}`);
    }
  });
});

function awkwardSite(): ReturnType<typeof renderSite> {
  const site = parseSite(WEB_LAYOUTS['one-host'], 'one-host.yaml');
  return renderSite(sizeSite(site, loadProfile('1000', { baseDir: process.cwd() })), site, AWKWARD);
}

test('app.php passes php -l and gives the app every value back exactly, awkward passwords included', async () => {
  const app = awkwardSite().find((f) => f.path === '/etc/stackscale/app.php')!;
  const path = join(dir, 'app.php');
  writeFileSync(path, app.content);
  expect((await run('php', ['-n', '-l', path])).code).toBe(0);
  const res = await run('php', ['-n', '-r', 'echo json_encode(require $argv[1]);', path]);
  const got = JSON.parse(res.stdout);
  expect(got.db).toEqual({ write: { host: '127.0.0.1', port: 6033 }, read: [{ host: '127.0.0.1', port: 6033 }], via: 'proxysql', user: 'restro', password: AWKWARD.app_db_password, database: 'restro' });
  expect(got.redis).toEqual({ host: '127.0.0.1', port: 6379, database: 0, password: AWKWARD.redis_password });
  expect(got.cache_ttls).toEqual({ get_menu_items: 300, get_dashboard_stats: 30, get_tables: 120, get_orders: 10, get_reservations: 30 });
  expect(got.sessions).toBe('redis');
});

describe('sessions in Redis: a real phpredis round trip through the rendered session.save_path', () => {
  let redis: Daemon | undefined;
  const sock = (): string => join(dir, 'sessions.sock');

  beforeAll(async () => {
    const server = requireBinary('redis-server', 'redis-server');
    mkdirSync(join(dir, 'redis'), { recursive: true });
    const conf = join(dir, 'redis', 'redis.conf');
    // The password as redis.conf takes it (double-quoted, \ and " escaped); no TCP port: a unix socket only.
    writeFileSync(conf, `port 0\nunixsocket ${sock()}\nsave ""\nrequirepass "${AWKWARD.redis_password.replace(/["\\]/g, (c) => `\\${c}`)}"\n`);
    redis = new Daemon(server, [conf, '--dir', join(dir, 'redis'), '--daemonize', 'no', '--logfile', '']);
    await waitFor('redis to listen', async () => {
      if (!redis!.running) throw new Error(redis!.output);
      const r = await run('redis-cli', ['-s', sock(), 'PING'], { env: { ...process.env, REDISCLI_AUTH: AWKWARD.redis_password }, timeoutMs: 5_000 });
      return r.stdout.trim() === 'PONG' ? true : undefined;
    });
  });
  afterAll(async () => redis?.stop());

  const script = `<?php session_id('stackscale1test2'); session_start();
if (isset($argv[1])) { $_SESSION['v'] = $argv[1]; echo "wrote"; } else { echo $_SESSION['v'] ?? 'NOTHING'; }
session_write_close();`;

  async function php(savePath: string, ...args: string[]) {
    const file = join(dir, 'session.php');
    writeFileSync(file, script);
    return run('php', ['-d', 'session.save_handler=redis', '-d', `session.save_path="${savePath}"`, file, ...args], { timeoutMs: 15_000 });
  }

  test('the percent-encoded password authenticates; written in one process, read in the next', async () => {
    const pool = awkwardSite().find((f) => f.path === '/etc/php/8.2/fpm/pool.d/www.conf')!;
    const line = /^php_admin_value\[session\.save_path\] = "(tcp:\/\/127\.0\.0\.1:6379\?auth=([^&]+)&database=0&timeout=2\.5)"$/m.exec(pool.content);
    expect(line, pool.content).not.toBeNull();
    expect(pool.secrets).toEqual(['redis_password']);
    expect(pool.mode.toString(8)).toBe('600');
    // php-fpm reads the line back as it is (its INI parser leaves the encoded password alone).
    const poolFile = join(dir, 'www.conf');
    writeFileSync(poolFile, `[global]\nerror_log = ${join(dir, 'fpm.log')}\n${pool.content}`);
    const tt = await run(requireBinary('php-fpm8.2', 'php8.2-fpm'), ['-tt', '-y', poolFile], { timeoutMs: 15_000 });
    expect(tt.code, tt.stderr).toBe(0);
    expect(tt.stderr).toContain(`php_admin_value[session.save_path] = ${line![1]}\n`);
    // The same query string, over the unix socket of the throw-away server instead of 127.0.0.1:6379.
    const path = line![1].replace('tcp://127.0.0.1:6379', `unix://${sock()}`);
    expect((await php(path, 'kept in redis')).stdout).toBe('wrote');
    expect((await php(path)).stdout).toBe('kept in redis');
    // The raw password in the same place does not get through: the encoding is what makes it work.
    const raw = await php(path.replace(line![2], AWKWARD.redis_password));
    expect(raw.stdout).toContain('NOTHING');
  });
});
