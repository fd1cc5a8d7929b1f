// `stackscale slowlog` against real hosts: a primary and a replica set up by `apply` from a profile that logs every
// statement (long_query_time pinned to 0), a sample schema with and without an index, a workload of a few thousand
// statements of several shapes. The digest must agree with pt-query-digest on the same log; the unindexed lookup
// must top the report with a high examined/sent ratio; --explain must run on the replica (its general log shows the
// EXPLAIN, the primary's does not), flag the full scan and suggest the index; with the index added, the statement
// drops out of the log's newer part.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlowlogReport } from '../../src/slowlog/report.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';
import { runCli, SECRET_ENV, writeSite } from '../helpers/cli.js';
import { expectSameDigest, ourDigest, ptDigest } from '../helpers/pt-digest.js';
import { check } from '../unit/cli-schema.js';
import { EXPLAIN_DEFAULTS } from '../../src/slowlog/explain.js';

let primary: TestHost;
let replica: TestHost;
let dir: string;
let site: string;
const env = { HOME: '/nonexistent', ...SECRET_ENV };
const SLOW_LOG = '/var/log/mysql/mariadb-slow.log';
const ORDERS = 60_000;

async function sh(h: TestHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(h, cmd, { input, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const sql = (h: TestHost, text: string, flags = '') => sh(h, `mariadb --batch --skip-column-names ${flags}`, text);

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** A mixed workload: lookups with and without an index, an aggregate, writes, multi-line and commented statements. */
function workload(seed: number, scans: number): string {
  const lines: string[] = [];
  let x = seed;
  const rnd = (n: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  for (let i = 0; i < 1500; i++) lines.push(`SELECT name, price FROM menu_items WHERE restaurant_id = ${rnd(200)} AND available = 1;`);
  for (let i = 0; i < scans; i++) lines.push(`SELECT * FROM orders WHERE customer_id = ${rnd(5000)};`);
  for (let i = 0; i < 400; i++) lines.push(`UPDATE orders SET status = '${['open', 'paid', 'served'][rnd(3)]}' WHERE id = ${1 + rnd(ORDERS)};`);
  for (let i = 0; i < 300; i++) lines.push(`INSERT INTO reservations (guest, seats, day) VALUES ('guest ${rnd(1000)}', ${1 + rnd(8)}, '2025-0${1 + rnd(9)}-1${rnd(9)}');`);
  for (let i = 0; i < 20; i++) lines.push(`/* get_dashboard_stats.php */ SELECT status, COUNT(*)\n  FROM orders\n WHERE status IN ('open', 'paid'${i % 2 ? ", 'served'" : ''})\n GROUP BY status;`);
  for (let i = 0; i < 200; i++) lines.push(`SELECT id, seats FROM reservations WHERE id = ${1 + rnd(300)};`);
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  [primary, replica] = await startHosts([
    { name: 'sl1', services: ['mariadb'] },
    { name: 'sl2', services: ['mariadb'] },
  ]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-slowlog-'));
  // The shipped 1000 profile with the slow log threshold pinned to 0: every statement is logged.
  writeFileSync(path.join(dir, 'all.yaml'), readFileSync(path.join(import.meta.dirname, '..', '..', 'profiles', '1000.yaml'), 'utf8').replace(/^pin: \{\}$/m, 'pin:\n  mysql.long_query_time: 0'));
  site = writeSite(path.join(dir, 'stackscale.yaml'), './all.yaml', [
    { name: 'sl1', address: primary.address, identity: primary.rootKey, hostKey: primary.hostKeyFingerprint, roles: ['db-primary'] },
    { name: 'sl2', address: replica.address, identity: replica.rootKey, hostKey: replica.hostKeyFingerprint, roles: ['db-replica'] },
  ]);
  const apply = await runCli(['apply', '--yes', '--site', site], { env });
  if (apply.code !== 0) throw new Error(`apply failed (${apply.code}): ${apply.stdout}\n${apply.stderr}`);

  await sql(primary, [
    'CREATE DATABASE restro;',
    'USE restro;',
    'CREATE TABLE menu_items (id INT AUTO_INCREMENT PRIMARY KEY, restaurant_id INT NOT NULL, name VARCHAR(60), price DECIMAL(8,2), available TINYINT, KEY idx_restaurant (restaurant_id));',
    // No index on customer_id: the lookup by customer reads the whole table.
    'CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(12), total DECIMAL(10,2), created_at DATETIME);',
    'CREATE TABLE reservations (id INT AUTO_INCREMENT PRIMARY KEY, guest VARCHAR(40), seats INT, day DATE);',
    'INSERT INTO menu_items (restaurant_id, name, price, available) SELECT seq % 200, CONCAT(\'dish \', seq), seq % 40 + 0.5, seq % 3 > 0 FROM seq_1_to_4000;',
    `INSERT INTO orders (customer_id, status, total, created_at) SELECT seq % 5000, ELT(1 + seq % 3, 'open', 'paid', 'served'), seq % 90, NOW() - INTERVAL seq MINUTE FROM seq_1_to_${ORDERS};`,
    '',
  ].join('\n'));
  await waitFor('the schema on the replica', async () => (await sql(replica, `SELECT COUNT(*) FROM restro.orders;`).catch(() => '')).trim() === String(ORDERS));
  // The workload, through the client with comments kept (as an application's driver sends them).
  await sql(primary, workload(7, 150), '--comments restro');
}, 300_000);

afterAll(async () => {
  if (primary) await stopHosts([primary]);
});

const slowlog = async (args: string[]): Promise<{ code: number; report: SlowlogReport; stderr: string }> => {
  const r = await runCli(['slowlog', '--site', site, '--json', ...args], { env });
  for (const v of Object.values(SECRET_ENV)) expect(r.stdout + r.stderr).not.toContain(v);
  const report = JSON.parse(r.stdout) as SlowlogReport;
  expect(check(report, 'slowlog.schema.json')).toEqual([]);
  return { code: r.code, report, stderr: r.stderr };
};

describe('slowlog on a primary and a replica', () => {
  it('agrees with pt-query-digest on the log the workload wrote (fingerprints, counts, total times)', async () => {
    const local = path.join(dir, 'primary-slow.log');
    writeFileSync(local, await sh(primary, `cat ${SLOW_LOG}`));
    const ours = ourDigest(readFileSync(local, 'utf8'));
    expect([...ours.values()].reduce((n, c) => n + c.count, 0)).toBeGreaterThan(2500);
    expect(ours.size).toBeGreaterThanOrEqual(6);
    expectSameDigest(ours, ptDigest(local));
  }, 120_000);

  it('puts the unindexed lookup on top; --explain runs on the replica, flags the full scan and suggests the index', async () => {
    const general = "SET GLOBAL general_log_file = '/var/lib/mysql/general.log'; SET GLOBAL general_log = 1;";
    await sql(primary, general);
    await sql(replica, general);
    const { code, report } = await slowlog(['--host', 'sl1', '--top', '3', '--explain', '--mask-literals']);
    expect(code).toBe(0);
    const top = report.statements[0];
    expect(top.fingerprint).toBe('select * from orders where customer_id = ?');
    expect(top.count).toBe(150);
    expect(top.rowsExamined).toBe(150 * ORDERS);
    expect(top.examinedPerSent).toBeGreaterThan(1000);
    expect(top.example.sql).toBe('SELECT * FROM orders WHERE customer_id = ?');
    expect(top.explain?.host).toBe('sl2');
    expect(top.explain?.database).toBe('restro');
    expect(top.explain?.findings?.[0]).toMatch(/^full table scan of orders \(type ALL/);
    expect(top.explain?.suggestion).toMatchObject({ table: 'orders', columns: ['customer_id'] });
    expect(report.sources).toEqual([{ host: 'sl1', files: [{ path: SLOW_LOG, bytes: expect.any(Number) }], entries: expect.any(Number) }]);
    expect(report.profile).toMatchObject({ queriesPerRequest: 4, responseTargetMs: 200, perQueryBudgetMs: 50, longQueryTime: 0 });
    // A write in the top list is never explained.
    for (const s of report.statements.filter((x) => x.verb !== 'SELECT')) expect(s.explain?.skipped).toMatch(/only SELECTs/);

    const seen = async (h: TestHost) => (await ssh(h, "grep -c 'EXPLAIN SELECT \\* FROM orders WHERE customer_id' /var/lib/mysql/general.log")).stdout.trim();
    expect(Number(await seen(replica))).toBeGreaterThanOrEqual(1);
    expect(await seen(primary)).toBe('0');
    // It ran as the read-only account, never as root: the general log names the user of the EXPLAIN's connection.
    const asExplain = (await ssh(replica, "grep -c 'Connect.*stackscale_explain@localhost' /var/lib/mysql/general.log")).stdout.trim();
    expect(Number(asExplain)).toBeGreaterThanOrEqual(1);
    const off = 'SET GLOBAL general_log = 0;';
    await sql(primary, off);
    await sql(replica, off);
  }, 120_000);

  it('the EXPLAIN account: on both hosts, its own 0600 option file, SELECT and SHOW VIEW only, a write refused', async () => {
    for (const h of [primary, replica]) {
      expect((await sh(h, `stat -c '%a %U' ${EXPLAIN_DEFAULTS}`)).trim()).toBe('600 root');
      const grants = (await sh(h, `mariadb --defaults-extra-file=${EXPLAIN_DEFAULTS} --batch --skip-column-names -e 'SHOW GRANTS'`)).trim();
      expect(grants).toMatch(/^GRANT SELECT, SHOW VIEW ON \*\.\* TO `stackscale_explain`@`localhost`/);
      const write = await ssh(h, `mariadb --defaults-extra-file=${EXPLAIN_DEFAULTS} restro`, { input: "INSERT INTO reservations (guest, seats, day) VALUES ('x', 1, '2025-01-01');\n" });
      expect(write.code).not.toBe(0);
      // The primary refuses it for want of the privilege; the replica may refuse it first for its read_only (its
      // grants, checked above, are the same SELECT and SHOW VIEW).
      expect(write.stderr).toMatch(h === primary ? /INSERT command denied to user 'stackscale_explain'@'localhost'/ : /INSERT command denied to user 'stackscale_explain'@'localhost'|--read-only option/);
    }
    // Each host made its own password (the account is kept out of the binary log).
    const pw = (h: TestHost) => sh(h, `sed -n 's/^password=//p' ${EXPLAIN_DEFAULTS}`);
    expect(await pw(primary)).not.toBe(await pw(replica));
    // In place: the plan has nothing more to do for it.
    const again = await runCli(['plan', '--json', '--site', site], { env });
    expect([0, 2]).toContain(again.code);
    expect((JSON.parse(again.stdout) as { hosts: unknown[] }).hosts).toHaveLength(2);
    expect(again.stdout).not.toContain('mysql-explain-account');
    // Without the option file, EXPLAIN is skipped with a note, never run as root.
    await sh(replica, `mv ${EXPLAIN_DEFAULTS} ${EXPLAIN_DEFAULTS}.away`);
    const { report } = await slowlog(['--host', 'sl1', '--top', '1', '--explain']).finally(() => sh(replica, `mv ${EXPLAIN_DEFAULTS}.away ${EXPLAIN_DEFAULTS}`));
    expect(report.statements[0].explain?.skipped).toMatch(/^no read-only account on sl2 \(\/var\/lib\/stackscale\/explain\.cnf is missing\)/);
    expect(report.statements[0].explain?.rows).toBeUndefined();
  }, 120_000);

  it('with the suggested index, the statement drops out of the slow log; an unindexed scan stays', async () => {
    await sql(primary, 'ALTER TABLE restro.orders ADD INDEX idx_orders_customer_id (customer_id);');
    // A threshold as a busy server would have, for the connections opened from now on: 2 ms, and (so that a lookup
    // slowed down by a loaded machine is not taken for a scan) at least 1000 rows examined. An index lookup of one
    // customer examines about a dozen rows; a scan of the table examines all of them.
    await sql(primary, 'SET GLOBAL long_query_time = 0.002; SET GLOBAL min_examined_row_limit = 1000;');
    await new Promise((r) => setTimeout(r, 2500));
    const since = Date.now();
    const scans = Array.from({ length: 20 }, (_, i) => `SELECT COUNT(*) FROM orders WHERE total > ${i};`).join('\n');
    await sql(primary, `${workload(11, 150)}${scans}\n`, 'restro');
    // Rotated files beside the live one: a recent one is read with --since, one last written two days ago is not.
    await sh(primary, `cp ${SLOW_LOG} ${SLOW_LOG}.1 && gzip -c ${SLOW_LOG} > ${SLOW_LOG}.2.gz && touch -d '2 days ago' ${SLOW_LOG}.2.gz`);
    // The window starts at `since` (the log's timestamps are whole seconds, hence the margin before it).
    const window = `${Math.ceil((Date.now() - since) / 1000) + 1}s`;
    const { code, report } = await slowlog(['--host', 'sl1', '--since', window, '--top', '20']).finally(() => sh(primary, `rm -f ${SLOW_LOG}.1 ${SLOW_LOG}.2.gz`));
    expect(code).toBe(0);
    expect(report.sources[0].files.map((f) => f.path)).toEqual([`${SLOW_LOG}.1`, SLOW_LOG]);
    const fps = report.statements.map((s) => s.fingerprint);
    expect(fps).not.toContain('select * from orders where customer_id = ?');
    expect(fps).toContain('select count(*) from orders where total > ?');
    expect(report.summary.skippedBeforeSince).toBeGreaterThan(2500);
  }, 120_000);

  it('bad input: a host without a database role (exit 3, before any connection), a missing log (exit 1, host and path)', async () => {
    const other = writeSite(path.join(dir, 'mixed.yaml'), '1000', [
      { name: 'sl1', address: primary.address, identity: primary.rootKey, hostKey: primary.hostKeyFingerprint, roles: ['db-primary'] },
      { name: 'web9', address: '192.0.2.9', roles: ['web'] },
    ]);
    const r = await runCli(['slowlog', '--site', other, '--host', 'web9'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('web9 --host: has no database role (roles: web)');

    // A database host that does not answer: the others are digested, the report says so, exit 4.
    const gone = writeSite(path.join(dir, 'gone.yaml'), '1000', [
      { name: 'sl1', address: primary.address, identity: primary.rootKey, hostKey: primary.hostKeyFingerprint, roles: ['db-primary'] },
      { name: 'gone', address: primary.address.replace(/\.\d+$/, '.250'), identity: primary.rootKey, roles: ['db-replica'] },
    ]);
    const g = await runCli(['slowlog', '--site', gone, '--json', '--connect-timeout', '2'], { env });
    expect(g.code).toBe(4);
    const doc = JSON.parse(g.stdout) as SlowlogReport;
    expect(check(doc, 'slowlog.schema.json')).toEqual([]);
    expect(doc).toMatchObject({ ok: false, exitCode: 4, sources: [{ host: 'sl1' }] });
    expect(doc.notes.join('\n')).toMatch(/^gone not read: /);

    await sh(replica, `mv ${SLOW_LOG} ${SLOW_LOG}.moved`);
    try {
      const m = await runCli(['slowlog', '--site', site, '--host', 'sl2'], { env });
      expect(m.code).toBe(1);
      expect(m.stderr).toContain(`error: sl2: ${SLOW_LOG} does not exist`);
    } finally {
      await sh(replica, `mv ${SLOW_LOG}.moved ${SLOW_LOG}`);
    }
  }, 60_000);
});
