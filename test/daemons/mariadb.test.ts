// mariadbd takes the rendered primary and replica drop-ins: its option check (--help --verbose, the MariaDB stand-in
// for --validate-config) passes, a real server starts on each with a throw-away datadir, and the variables it reports
// are the rendered ones. Networking is off (the rendered bind_address is a private address this machine lacks).
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderHost } from '../../src/render/render.js';
import type { RenderedFile } from '../../src/render/types.js';
import { referenceSecrets, referenceSite, referenceSizing } from '../fixtures/sizing.js';
import { Daemon, makeTempDir, removeDir, requireBinary, run, waitFor } from './helpers.js';

describe('mariadbd on the rendered drop-ins', () => {
  let dir: string;
  let mariadbd: string;
  let client: string;
  const daemons: Daemon[] = [];
  const files: Record<'primary' | 'replica', RenderedFile> = {} as never;
  const confPath = (role: string) => join(dir, `${role}.cnf`);

  beforeAll(async () => {
    mariadbd = requireBinary('mariadbd', 'mariadb-server');
    client = requireBinary('mariadb', 'mariadb-client');
    const installDb = requireBinary('mariadb-install-db', 'mariadb-server');
    dir = makeTempDir('mariadb');
    const sizing = referenceSizing('mariadb', '10.11');
    for (const h of sizing.hosts.filter((x) => x.mysql)) {
      const f = renderHost(h, sizing, referenceSite(), referenceSecrets).find((x) => x.service === 'mysql')!;
      files[h.mysql!.role] = f;
      writeFileSync(confPath(h.mysql!.role), f.content);
    }
    const res = await run(installDb, ['--no-defaults', `--datadir=${join(dir, 'base')}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db'], { timeoutMs: 30_000 });
    if (res.code !== 0) throw new Error(`mariadb-install-db failed:\n${res.stdout}\n${res.stderr}`);
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop(15_000)));
    removeDir(dir);
  });

  test('the rendered files hold the flavour\'s replication settings', () => {
    expect(files.primary.path).toBe('/etc/mysql/mariadb.conf.d/60-stackscale.cnf');
    expect(files.primary.content).toMatch(/^read_only = OFF$/m);
    expect(files.replica.content).toMatch(/^read_only = ON$/m);
    for (const f of [files.primary, files.replica]) {
      for (const line of ['binlog_format = ROW', 'gtid_strict_mode = 1', 'log_slave_updates = 1', 'log_bin = mariadb-bin', 'relay_log = mariadb-relay-bin', 'slow_query_log = 1']) {
        expect(f.content).toContain(`\n${line}\n`);
      }
    }
  });

  async function optionCheck(path: string) {
    return run(mariadbd, [`--defaults-file=${path}`, '--help', '--verbose'], { timeoutMs: 15_000 });
  }

  test('--help --verbose accepts both files with no unique-prefix note', async () => {
    for (const role of ['primary', 'replica']) {
      const res = await optionCheck(confPath(role));
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).not.toMatch(/unique option prefix/i);
      expect(res.stderr).not.toMatch(/\[ERROR\]/);
    }
  });

  test('--help --verbose fails on an unknown variable, and notes a shortened one (so stderr must be read)', async () => {
    const unknown = join(dir, 'unknown.cnf');
    writeFileSync(unknown, `${files.primary.content}gtid_strict_mode_typo = 1\n`);
    const bad = await optionCheck(unknown);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown variable 'gtid_strict_mode_typo=1'/);

    const prefix = join(dir, 'prefix.cnf');
    writeFileSync(prefix, `${files.primary.content}gtid_strict_mod = 1\n`);
    const noted = await optionCheck(prefix);
    expect(noted.code).toBe(0);
    expect(noted.stderr).toMatch(/unique option prefix/i);
  });

  async function query(sock: string, sql: string): Promise<string[]> {
    const res = await run(client, ['--no-defaults', '-S', sock, '-uroot', '-N', '-B', '-e', sql], { timeoutMs: 5_000 });
    if (res.code !== 0) throw new Error(res.stderr);
    return res.stdout.trim().split('\t');
  }

  /** Starts a server on the rendered file; paths this machine has no business writing are moved into the temp dir. */
  async function start(role: 'primary' | 'replica'): Promise<string> {
    const datadir = join(dir, `data-${role}`);
    cpSync(join(dir, 'base'), datadir, { recursive: true });
    const sock = join(dir, `${role}.sock`);
    const d = new Daemon(mariadbd, [
      `--defaults-file=${confPath(role)}`,
      `--datadir=${datadir}`,
      `--socket=${sock}`,
      `--pid-file=${join(dir, `${role}.pid`)}`,
      `--slow-query-log-file=${join(dir, `${role}-slow.log`)}`,
      '--skip-networking',
      '--user=root',
    ]);
    daemons.push(d);
    await waitFor(`mariadbd (${role}) to answer`, async () => {
      if (!d.running) throw new Error(`mariadbd exited:\n${d.output}`);
      return (await query(sock, 'SELECT 1'))[0] === '1' ? true : undefined;
    }, 30_000, 200);
    return sock;
  }

  test('primary and replica start, and report the rendered values', async () => {
    const [primary, replica] = await Promise.all([start('primary'), start('replica')]);
    const sql =
      'SELECT @@max_connections, @@server_id, @@read_only, @@innodb_buffer_pool_size, @@log_bin, @@binlog_format, ' +
      '@@gtid_strict_mode, @@log_slave_updates, @@gtid_domain_id, @@slow_query_log, @@long_query_time, ' +
      '@@thread_cache_size, @@table_open_cache, @@bind_address, @@relay_log, @@log_bin_basename';
    const p = await query(primary, sql);
    const r = await query(replica, sql);
    const common = ['130', '4294967296', '1', 'ROW', '1', '1', '0', '1', '0.200000', '100', '2000'];
    expect([p[0], p[3], ...p.slice(4, 13)]).toEqual(common);
    expect([r[0], r[3], ...r.slice(4, 13)]).toEqual(common);
    expect([p[1], p[2], p[13], p[14]]).toEqual(['1', '0', '10.0.0.31', 'mariadb-relay-bin']);
    expect([r[1], r[2], r[13], r[14]]).toEqual(['2', '1', '10.0.0.32', 'mariadb-relay-bin']);
    expect(p[15]).toBe(join(dir, 'data-primary', 'mariadb-bin'));
  });
});
