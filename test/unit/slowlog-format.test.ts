// The terminal form of a slowlog report: the table, each statement's example, EXPLAIN findings and suggestion, and
// the profile check.
import { describe, expect, test } from 'vitest';
import { Digest } from '../../src/slowlog/aggregate.js';
import { formatSlowlog } from '../../src/slowlog/format.js';
import { INDEX_RULE, assembleSlowlogReport, profileCheck } from '../../src/slowlog/report.js';

const plain = { bold: (s: string) => s, red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s, cyan: (s: string) => s };

describe('formatSlowlog', () => {
  test('table, example, EXPLAIN, suggestion and the profile', () => {
    const d = new Digest(undefined, 0.05);
    for (let i = 0; i < 40; i++) d.add({ sql: `SELECT * FROM orders WHERE customer_id = ${i}`, queryTime: 0.08, lockTime: 0, rowsSent: 2, rowsExamined: 60000, db: 'restro', time: 1736496000 + i, line: 1 }, 'db1');
    d.add({ sql: "UPDATE orders SET status = 'paid' WHERE id = 9", queryTime: 0.2, lockTime: 0.1, rowsSent: 0, rowsExamined: 1, db: 'restro', time: 1736496100, line: 1 }, 'db1');
    const r = assembleSlowlogReport(d, { top: 5, maskLiterals: true, sources: [{ host: 'db1', files: [{ path: '/var/log/mysql/mariadb-slow.log', bytes: 1234 }], entries: 41 }], notes: [] });
    r.profile = profileCheck(d, r.statements, { name: '1000', queriesPerRequest: 4, responseTargetMs: 200, longQueryTime: 0.05 });
    r.statements[0].explain = {
      host: 'db2', database: 'restro',
      rows: [{ table: 'orders', type: 'ALL', possibleKeys: null, key: null, rows: 59800, extra: 'Using where' }],
      findings: ['full table scan of orders (type ALL, about 59800 rows, no usable index)'],
      suggestion: { table: 'orders', columns: ['customer_id'], statement: 'ALTER TABLE `orders` ADD INDEX `idx_orders_customer_id` (`customer_id`)', rule: INDEX_RULE },
    };
    r.statements[1].explain = { host: 'db2', skipped: 'UPDATE: only SELECTs are explained, writes never' };
    const text = formatSlowlog(r, plain).join('\n');
    expect(text).toContain('slow log: 41 statements, 2 shapes, 3.4s of database time');
    expect(text).toMatch(/\n {2}1 +94% +3\.2s +40 +80\.0ms +\d+\.\dms +80\.0ms +30000  select \* from orders where customer_id = \?\n/);
    expect(text).toContain('  example (literals masked): SELECT * FROM orders WHERE customer_id = ?');
    expect(text).toContain('  EXPLAIN on db2 (restro):\n    orders: type ALL, key none, rows 59800, Using where\n  ! full table scan of orders');
    expect(text).toContain('  suggestion (not applied): ALTER TABLE `orders` ADD INDEX `idx_orders_customer_id` (`customer_id`)');
    expect(text).toContain('  EXPLAIN on db2: UPDATE: only SELECTs are explained, writes never');
    expect(text).toContain('profile 1000: 4 queries per request, 200 ms response target -> 50 ms per query (long_query_time 0.05 s)');
    expect(text).toContain('41 of 41 logged statements took longer than the 50 ms per-query share');
    expect(text).toContain('one statement shape (#1, SELECT) takes 94% of the logged database time: start there');
  });
});
