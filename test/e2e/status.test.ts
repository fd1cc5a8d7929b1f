// `stackscale status` against real hosts: the shared test host h1 (read only: the run may write nothing, and the
// files stackscale manages are byte for byte the same afterwards), and a host of this file's own where the FPM pool has
// a status page and Redis a password, to read every FPM figure and prove the password stays off every command line.
// The CLI-level test runs main(['status', ...]) in-process against h1.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSpec, Role } from '../../src/config/types.js';
import { closeAll, collectFacts, type Collected } from '../../src/session/collect.js';
import { connectSsh } from '../../src/transport/ssh.js';
import { toShell, type Transport } from '../../src/transport/types.js';
import { assembleReport, hostStatus } from '../../src/status/report.js';
import { STATUS_SCHEMA, type Expectations, type HostReport, type StatusReport } from '../../src/status/types.js';
import { testHost, type TestHost } from '../hosts/context.js';
import { startHosts, stopHosts } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
import { check } from '../unit/cli-schema.js';

const ROLES: Role[] = ['web', 'cache', 'db-primary'];
const MANAGED = ['/etc/php/8.2/fpm/pool.d/www.conf', '/etc/redis/redis.conf', '/etc/mysql/mariadb.conf.d/60-stackscale.cnf'];

interface Recorded {
  command: string;
  stdin?: string;
}

/** A transport that records every command and refuses writes: status is read only. */
function recording(t: Transport, log: Recorded[]): Transport {
  return {
    host: t.host,
    run: (command, options) => {
      log.push({ command: toShell(command), stdin: options?.stdin === undefined ? undefined : Buffer.from(options.stdin).toString('utf8') });
      return t.run(command, options);
    },
    readFile: (p) => {
      log.push({ command: `readFile ${p}` });
      return t.readFile(p);
    },
    writeFile: async (f) => {
      throw new Error(`status wrote ${f.path}`);
    },
    close: () => t.close(),
  };
}

function spec(h: TestHost, roles: Role[] = ROLES): HostSpec {
  return { name: h.name, address: h.address, privateAddress: h.address, port: h.port, user: h.rootUser, identity: h.rootKey, roles };
}

async function statusOf(h: TestHost, log: Recorded[], expectations: Expectations, secrets: { redisPassword?: string } = {}): Promise<{ report: StatusReport; host: HostReport }> {
  const connect = async (s: HostSpec): Promise<Transport> =>
    recording(await connectSsh({ name: s.name, address: s.address, port: s.port, user: s.user, identity: s.identity, knownHostsFile: h.knownHosts, sshConfigFile: null, env: { HOME: '/nonexistent' } }), log);
  const collected: Collected[] = await collectFacts([spec(h)], connect, { concurrency: 2 });
  try {
    const c = collected[0];
    if (!c.ok) throw new Error(`${h.name}: ${c.error.message}`);
    const host = await hostStatus({ host: c.host, transport: c.transport, facts: c.facts, expectations, secrets, hostFigures: true });
    return { report: assembleReport('700', [host]), host };
  } finally {
    await closeAll(collected);
  }
}

async function sh(h: TestHost, cmd: string): Promise<string> {
  const r = await ssh(h, cmd);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const figure = (host: HostReport, key: string) => host.services.flatMap((s) => s.figures).find((f) => f.key === key);

describe('status on the shared host h1 (read only)', () => {
  it('shows FPM, Redis and MariaDB figures, writes nothing, and parses as the documented JSON', async () => {
    const h1 = testHost('h1');
    const sums = () => sh(h1, `sha256sum ${MANAGED.join(' ')} 2>/dev/null; ls -la /etc/php/8.2/fpm/pool.d /etc/redis`).catch((e: Error) => e.message);
    const before = await sums();
    // If another test's apply gave Redis a password, it is the site's secret here, and must stay off argv.
    const password = /^requirepass\s+"?([^"\n]*)"?$/m.exec(await sh(h1, 'cat /etc/redis/redis.conf'))?.[1];
    const log: Recorded[] = [];
    const { report, host } = await statusOf(h1, log, { fpm: { maxChildren: 140 }, cacheHitRatio: 0.75, mysql: { maxConnections: 130 } }, { redisPassword: password });

    expect(host.reachable).toBe(true);
    expect(host.services.map((s) => [s.service, s.answered, s.error])).toEqual([['host', true, undefined], ['php-fpm', true, undefined], ['redis', true, undefined], ['mysql', true, undefined]]);
    // The host: CPU busy over a second (a ratio), memory available (bytes, below the host's total).
    const cpu = Number(figure(host, 'host.cpu_busy')?.value);
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(cpu).toBeLessThanOrEqual(1);
    const mem = figure(host, 'host.memory_available');
    expect(Number(mem?.value)).toBeGreaterThan(0);
    expect(Number(mem?.value)).toBeLessThanOrEqual(Number(mem?.limit));
    // MySQL connection errors since start, a counter (0 on a healthy test host).
    expect(figure(host, 'mysql.connection_errors')).toMatchObject({ unit: 'count' });
    expect(Number(figure(host, 'mysql.aborted_connects')?.value)).toBeGreaterThanOrEqual(0);
    // FPM: the live pool's pm.max_children against the profile's; workers counted (from the status page if the pool
    // has one, else from ps).
    expect(figure(host, 'fpm.max_children')).toMatchObject({ planned: 140 });
    // The live figures are the host's own values, read here another way.
    const poolMax = /^pm\.max_children\s*=\s*(\d+)/m.exec(await sh(h1, 'cat /etc/php/8.2/fpm/pool.d/www.conf'))?.[1];
    expect(Number(figure(host, 'fpm.max_children')?.value)).toBe(Number(poolMax));
    expect(Number(figure(host, 'fpm.total')?.value)).toBeGreaterThan(0);
    // Redis: INFO read.
    const auth = password ? `AUTH "${password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n` : '';
    const r = await ssh(h1, 'redis-cli -h 127.0.0.1', { input: `${auth}CONFIG GET maxclients\n` });
    expect(Number(figure(host, 'redis.maxclients')?.value)).toBe(Number(r.stdout.trim().split('\n').at(-1)));
    expect(Number(figure(host, 'redis.used_memory')?.value)).toBeGreaterThan(0);
    expect(figure(host, 'redis.hit_ratio')?.unit).toBe('ratio');
    // MariaDB: at least our own client is connected.
    expect(Number(figure(host, 'mysql.threads_connected')?.value)).toBeGreaterThanOrEqual(1);
    expect(Number(figure(host, 'mysql.max_connections')?.value)).toBe(Number(await sh(h1, "mariadb -N -B -e 'SELECT @@max_connections'")));
    expect(figure(host, 'mysql.max_connections')?.planned).toBe(130);

    // The documented JSON (docs/schemas/status.schema.json).
    const doc = JSON.parse(JSON.stringify(report));
    expect(check(doc, 'status.schema.json')).toEqual([]);
    expect(Object.keys(doc).sort()).toEqual(['exitCode', 'hosts', 'notes', 'ok', 'profile', 'schema', 'summary', 'time']);
    expect(doc.schema).toBe(STATUS_SCHEMA);
    expect(doc.exitCode).toBe(0);
    expect(doc.summary).toMatchObject({ hosts: 1, unreachable: 0, servicesDown: 0 });
    for (const svc of doc.hosts[0].services) {
      for (const f of svc.figures) {
        expect(typeof f.key).toBe('string');
        expect(typeof f.label).toBe('string');
        expect(['ok', 'warn']).toContain(f.mark);
        expect(['number', 'string', 'boolean', 'object']).toContain(typeof f.value);
      }
    }

    // Read only: no write was attempted (the transport throws on one), the files are as they were.
    expect(log.every((c) => !c.command.startsWith('writeFile'))).toBe(true);
    expect(await sums()).toBe(before);
    if (password) for (const c of log) expect(c.command).not.toContain(password);
  });
});

describe('status on a host with an FPM status page and a Redis password', () => {
  const PASSWORD = 'st4tus "redis" pw';
  let h: TestHost;
  beforeAll(async () => {
    [h] = await startHosts([{ name: 'stat1', services: ['php-fpm', 'redis', 'mariadb'] }]);
    await sh(h, [
      "sed -i 's|^;\\?pm.status_path = .*|pm.status_path = /fpm-status|; s|^pm.max_children = .*|pm.max_children = 6|' /etc/php/8.2/fpm/pool.d/www.conf",
      'service php8.2-fpm restart >/dev/null',
    ].join(' && '));
    const r = await ssh(h, 'cat >> /etc/redis/redis.conf && service redis-server restart >/dev/null', { input: `maxmemory 64mb\nrequirepass "${PASSWORD.replace(/"/g, '\\"')}"\n` });
    if (r.code !== 0) throw new Error(r.stderr);
  }, 120_000);
  afterAll(async () => {
    if (h) await stopHosts([h]);
  });

  it('reads every FPM figure from the status page; the password only on stdin', async () => {
    const log: Recorded[] = [];
    const { host } = await statusOf(h, log, { fpm: { maxChildren: 6 }, redis: { maxmemory: 64 * 2 ** 20, maxclients: 10000 } }, { redisPassword: PASSWORD });
    expect(host.services.every((s) => s.answered)).toBe(true);
    for (const key of ['fpm.active', 'fpm.idle', 'fpm.total', 'fpm.listen_queue', 'fpm.max_listen_queue', 'fpm.max_children_reached']) {
      expect(typeof figure(host, key)?.value, key).toBe('number');
    }
    expect(Number(figure(host, 'fpm.active')?.value)).toBeGreaterThanOrEqual(1); // the worker answering the status request
    expect(figure(host, 'fpm.listen_queue')).toMatchObject({ value: 0, mark: 'ok' });
    expect(figure(host, 'fpm.max_children')).toMatchObject({ value: 6, planned: 6, mark: 'ok' });
    expect(figure(host, 'redis.maxmemory')).toMatchObject({ value: 64 * 2 ** 20, mark: 'ok' });
    expect(figure(host, 'redis.auth')).toBeUndefined();

    const redis = log.filter((c) => c.command.startsWith('redis-cli'));
    expect(redis).toHaveLength(1);
    expect(redis[0].stdin).toContain('AUTH');
    for (const c of log) expect(c.command).not.toContain(PASSWORD);
    expect(JSON.stringify(host)).not.toContain(PASSWORD);
  });

  it('a wrong site password falls back to the host\'s requirepass; a stopped Redis is a service down (exit 1)', async () => {
    const log: Recorded[] = [];
    const { host } = await statusOf(h, log, {}, { redisPassword: 'not-the-password' });
    expect(host.services.find((s) => s.service === 'redis')?.answered).toBe(true);
    expect(log.filter((c) => c.command.startsWith('redis-cli'))).toHaveLength(2);

    await sh(h, 'service redis-server stop >/dev/null');
    try {
      const { report } = await statusOf(h, [], {});
      expect(report.hosts[0].services.find((s) => s.service === 'redis')).toMatchObject({ answered: false, error: 'redis-server is not running' });
      expect(report.exitCode).toBe(1);
      expect(check(JSON.parse(JSON.stringify(report)), 'status.schema.json')).toEqual([]);
    } finally {
      await sh(h, 'service redis-server start >/dev/null');
    }
  });
});

describe('stackscale status (CLI) on h1', () => {
  it('--json prints the report on stdout; the human form one block per host; exit 0', async () => {
    const { main } = await import('../../src/cli/main.js');
    const h1 = testHost('h1');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-status-'));
    const env = { HOME: '/nonexistent', REDIS_PASSWORD: 'status-cli-pw' };
    writeFileSync(path.join(dir, 'stackscale.yaml'), [
      'profile: 700', 'hosts:', '  h1:', `    address: ${h1.address}`, '    user: root', `    identity: ${h1.rootKey}`, `    host_key: ${h1.hostKeyFingerprint}`,
      '    roles: [web, cache, db-primary]', 'app:', '  database: restro', '  db_user: restro', 'secrets:', '  redis_password: env:REDIS_PASSWORD', '',
    ].join('\n'));
    const run = async (args: string[], isTTY = false) => {
      let stdout = '';
      let stderr = '';
      const code = await main([...args, '--site', path.join(dir, 'stackscale.yaml')], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY, env, cwd: dir });
      expect(stdout + stderr).not.toContain(env.REDIS_PASSWORD);
      return { code, stdout, stderr };
    };
    const json = await run(['status', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as StatusReport;
    expect(check(doc, 'status.schema.json')).toEqual([]);
    expect(doc.schema).toBe(STATUS_SCHEMA);
    expect(doc.profile).toBe('700');
    expect(doc.hosts[0].services.map((s) => s.service)).toEqual(['host', 'php-fpm', 'redis', 'mysql']);
    expect(doc.hosts[0].services.flatMap((s) => s.figures).find((f) => f.key === 'fpm.max_children')?.planned).toBeGreaterThan(0);
    const human = await run(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^== h1 \(web, cache, db-primary\)/m);
    expect(human.stdout).toMatch(/^ {4}(ok|warn) +threads connected/m);
    expect(human.stdout).toMatch(/^status: 1 host, 0 not reached, 0 services down/m);
    expect(human.stdout).not.toMatch(/\x1b\[/);
    expect(human.stdout).toMatch(/^ {4}(ok|warn) +CPU busy +\d/m);
    expect(human.stdout).toMatch(/^ {4}(ok|warn) +memory available +[\d.]+ \w+ \/ /m);
    expect(human.stdout).toMatch(/^ {4}(ok|warn) +connection errors since start +\d+/m);

    // --watch without a terminal: plain blocks one after another, each with its time; --count bounds it.
    const watched = await run(['status', '--watch', '1', '--count', '2']);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout.match(/^\d{4}-\d\d-\d\dT\S+ {2}every 1 s \([12]\/2\)$/gm)).toHaveLength(2);
    expect(watched.stdout.match(/^== h1 /gm)).toHaveLength(2);
    expect(watched.stdout).not.toMatch(/\x1b\[/);
    // On a terminal: each block clears the screen and redraws in place.
    const tty = await run(['status', '--watch', '1', '--count', '2', '--no-color'], true);
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout.split('\x1b[H\x1b[2J')).toHaveLength(3);
    // --watch is for people: with --json it is refused before any connection (exit 3).
    expect((await run(['status', '--watch', '--json'])).code).toBe(3);
  });
});
