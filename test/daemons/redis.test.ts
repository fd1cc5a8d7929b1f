// Redis has no config check mode: the proof is a throw-away redis-server started on the rendered redis.conf, with the
// Debian paths, port and daemonize overridden on its command line (later arguments win), answering CONFIG GET with
// the rendered values. The password reaches redis-cli through REDISCLI_AUTH, never argv.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderHost } from '../../src/render/render.js';
import { referenceSecrets, referenceSite, referenceSizing } from '../fixtures/sizing.js';
import { Daemon, makeTempDir, removeDir, requireBinary, run, waitFor } from './helpers.js';

describe('redis-server on the rendered redis.conf', () => {
  let dir: string;
  let server: Daemon | undefined;
  let cli: string;
  let sock: string;
  const password = referenceSecrets.redis_password!;

  beforeAll(async () => {
    const redisServer = requireBinary('redis-server', 'redis-server');
    cli = requireBinary('redis-cli', 'redis-tools');
    dir = makeTempDir('redis');
    sock = join(dir, 'redis.sock');
    const sizing = referenceSizing();
    const web = sizing.hosts.find((h) => h.redis)!;
    const conf = renderHost(web, sizing, referenceSite(), referenceSecrets).find((f) => f.service === 'redis')!;
    const path = join(dir, 'redis.conf');
    writeFileSync(path, conf.content, { mode: 0o600 });
    // port 0: no TCP listener at all, so the rendered bind addresses (10.0.0.10) need not exist here.
    server = new Daemon(redisServer, [
      path,
      '--port', '0',
      '--unixsocket', sock,
      '--unixsocketperm', '700',
      '--dir', dir,
      '--pidfile', join(dir, 'redis.pid'),
      '--logfile', '',
      '--daemonize', 'no',
    ]);
    await waitFor('redis to answer PING', async () => {
      if (!server!.running) throw new Error(`redis-server exited:\n${server!.output}`);
      const res = await redisCli(['PING']);
      return res.stdout.trim() === 'PONG' ? true : undefined;
    }, 10_000);
  });

  afterAll(async () => {
    await server?.stop();
    removeDir(dir);
  });

  /** `auth` null: no password at all. */
  function redisCli(args: string[], auth: string | null = password) {
    const env = { ...process.env };
    delete env.REDISCLI_AUTH;
    if (auth !== null) env.REDISCLI_AUTH = auth;
    return run(cli, ['-s', sock, '--raw', ...args], { env, timeoutMs: 5_000 });
  }

  async function configGet(name: string): Promise<string> {
    const res = await redisCli(['CONFIG', 'GET', name]);
    expect(res.code, res.stderr).toBe(0);
    const [key, value] = res.stdout.split('\n');
    expect(key).toBe(name);
    return value;
  }

  test('CONFIG GET returns the rendered sizing', async () => {
    expect(await configGet('maxmemory')).toBe(String(2 ** 30));
    expect(await configGet('maxclients')).toBe('1000');
    expect(await configGet('maxmemory-policy')).toBe('allkeys-lru');
    expect(await configGet('timeout')).toBe('300');
    expect(await configGet('tcp-backlog')).toBe('511');
    expect(await configGet('save')).toBe('');
    expect(await configGet('appendonly')).toBe('no');
    expect(await configGet('protected-mode')).toBe('yes');
    expect(await configGet('bind')).toBe('127.0.0.1 -::1 10.0.0.10');
  });

  test('the quoted password (space, quote, backslash) is the one Redis requires', async () => {
    const denied = await redisCli(['GET', 'k'], null);
    expect(denied.stdout + denied.stderr).toMatch(/NOAUTH/);
    const wrong = await redisCli(['PING'], 'r3dis pa');
    expect(wrong.stdout + wrong.stderr).toMatch(/WRONGPASS|invalid/i);
    expect((await redisCli(['SET', 'k', 'v'])).stdout.trim()).toBe('OK');
    expect((await redisCli(['GET', 'k'])).stdout.trim()).toBe('v');
  });
});
