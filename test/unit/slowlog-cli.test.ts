// `stackscale slowlog --file`: local logs digested through the CLI, the JSON document against its schema, and the
// bad-input paths (exit codes and messages) that need no host.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { check } from './cli-schema.js';
import type { SlowlogReport } from '../../src/slowlog/report.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'slowlog');

describe('slowlog --file', () => {
  test('two MySQL logs digested together, top N by total time, literals masked, the profile checked', async () => {
    const r = await runCli(['slowlog', '--file', join(DIR, 'mysql-8.0.log'), '--file', join(DIR, 'mysql-8.0-slow-extra.log'), '--top', '2', '--mask-literals', '--profile', '1000', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as SlowlogReport;
    expect(check(doc, 'slowlog.schema.json')).toEqual([]);
    expect(doc.summary).toMatchObject({ entries: 12, fingerprints: 9 });
    expect(doc.statements.map((s) => [s.fingerprint, s.count, s.totalTime])).toEqual([
      ['select * from orders where customer_id = ? order by created_at desc limit ?', 2, 0.81],
      ['select id, name, price from menu_items where restaurant_id = ? and available = ? order by name limit ?', 3, 0.730131],
    ]);
    expect(doc.statements[0]).toMatchObject({ examinedPerSent: 10001, example: { sql: 'SELECT * FROM orders WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?', masked: true } });
    expect(doc.profile).toMatchObject({ profile: '1000', perQueryBudgetMs: 50, overBudget: 11 });
    expect(doc.profile?.findings.join('\n')).toMatch(/11 of 12 logged statements took longer than the 50 ms per-query share/);
  });

  test('the table on a terminal', async () => {
    const r = await runCli(['slowlog', '--file', join(DIR, 'mysql-8.4.log'), '--no-color']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/slow log: 4 statements, 2 shapes/);
    expect(r.stdout).toMatch(/\n {2}1 +82% +2\.0s +1 .*select sleep\(\?\)\n/);
    expect(r.stdout).toContain('example: SELECT SLEEP(2)');
  });

  test('bad input', async () => {
    const notLog = await runCli(['slowlog', '--file', join(DIR, '..', '..', '..', 'package.json')]);
    expect(notLog.code).toBe(1);
    expect(notLog.stderr).toMatch(/package\.json:1: no "# Query_time:" line: not a MySQL or MariaDB slow query log/);
    const missing = await runCli(['slowlog', '--file', '/nonexistent/slow.log']);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('/nonexistent/slow.log: cannot read the slow log')]);
    const since = await runCli(['slowlog', '--file', join(DIR, 'mysql-8.4.log'), '--since', 'yesterday']);
    expect([since.code, since.stderr]).toEqual([3, expect.stringContaining('--since: "yesterday" is not a duration')]);
    const top = await runCli(['slowlog', '--file', join(DIR, 'mysql-8.4.log'), '--top', '0']);
    expect(top.code).toBe(3);
    const explain = await runCli(['slowlog', '--file', join(DIR, 'mysql-8.4.log'), '--explain', '--json']);
    expect(explain.code).toBe(3);
    expect(JSON.parse(explain.stdout)).toMatchObject({ ok: false, exitCode: 3 });
  });
});
