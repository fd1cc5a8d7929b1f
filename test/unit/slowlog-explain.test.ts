// EXPLAIN: which statements may be explained, the script sent, the plan read back, findings and the index rule.
import { describe, expect, test } from 'vitest';
import { explainScript, findings, notExplainable, parseExplain, suggestIndex } from '../../src/slowlog/explain.js';

describe('what is explained', () => {
  test('only a single SELECT, never a write, a locking read or SELECT ... INTO', () => {
    expect(notExplainable("SELECT * FROM orders WHERE status = 'open'")).toBeUndefined();
    expect(notExplainable('UPDATE orders SET status = 1')).toBe('UPDATE: only SELECTs are explained, writes never');
    expect(notExplainable('DELETE FROM orders')).toMatch(/only SELECTs/);
    expect(notExplainable('SELECT * FROM t FOR UPDATE')).toMatch(/locking read/);
    expect(notExplainable("SELECT * FROM t INTO OUTFILE '/tmp/x'")).toMatch(/INTO/);
    expect(notExplainable('SELECT 1; DROP TABLE t')).toMatch(/more than one statement/);
    expect(notExplainable("SELECT ';' AS x")).toBeUndefined();
  });

  test('the script: EXPLAIN in a read-only transaction, rolled back', () => {
    expect(explainScript('SELECT 1;')).toBe('SET SESSION max_statement_time = 10;\nSET SESSION TRANSACTION READ ONLY;\nSTART TRANSACTION READ ONLY;\nEXPLAIN SELECT 1;\nROLLBACK;\n');
    expect(explainScript('SELECT 1', 'mysql').split('\n')[0]).toBe('SET SESSION max_execution_time = 10000;');
  });
});

describe('the plan', () => {
  const MARIADB = 'id\tselect_type\ttable\ttype\tpossible_keys\tkey\tkey_len\tref\trows\tExtra\n1\tSIMPLE\torders\tALL\tNULL\tNULL\tNULL\tNULL\t99823\tUsing where; Using filesort\n';
  const MYSQL = 'id\tselect_type\ttable\tpartitions\ttype\tpossible_keys\tkey\tkey_len\tref\trows\tfiltered\tExtra\n1\tSIMPLE\to\tNULL\tref\tidx_c\tidx_c\t5\tconst\t12\t100.00\tNULL\n';

  test('MariaDB and MySQL columns', () => {
    expect(parseExplain(MARIADB)).toEqual([{ table: 'orders', type: 'ALL', possibleKeys: null, key: null, rows: 99823, extra: 'Using where; Using filesort' }]);
    expect(parseExplain(MYSQL)).toEqual([{ table: 'o', type: 'ref', possibleKeys: 'idx_c', key: 'idx_c', rows: 12, extra: '' }]);
  });

  test('findings: full scans always, filesort and temporary tables on many rows', () => {
    expect(findings(parseExplain(MARIADB))).toEqual(['full table scan of orders (type ALL, about 99823 rows, no usable index)', 'filesort over about 99823 rows of orders']);
    expect(findings(parseExplain(MYSQL))).toEqual([]);
  });
});

describe('index suggestion', () => {
  test('equality columns in order, then one range column', () => {
    expect(suggestIndex("SELECT * FROM orders WHERE customer_id = 42 AND status IN ('a','b') AND created > '2024-01-01' AND total < 5", 'orders')).toEqual({
      table: 'orders', columns: ['customer_id', 'status', 'created'],
      statement: 'ALTER TABLE `orders` ADD INDEX `idx_orders_customer_id_status_created` (`customer_id`, `status`, `created`)',
    });
  });
  test('ORDER BY columns follow the equality columns when there is no range', () => {
    expect(suggestIndex('SELECT * FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 25', 'orders')?.columns).toEqual(['customer_id', 'created_at']);
  });
  test('joins: only columns qualified with the scanned table\'s alias', () => {
    const sql = 'SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = ? AND o.status = 3';
    expect(suggestIndex(sql, 'o')).toMatchObject({ table: 'orders', columns: ['status'] });
    expect(suggestIndex(sql, 'c')).toMatchObject({ table: 'customers', columns: ['email'] });
  });
  test('nothing to suggest without a usable predicate', () => {
    expect(suggestIndex('SELECT * FROM orders', 'orders')).toBeUndefined();
    expect(suggestIndex("SELECT * FROM orders WHERE note LIKE '%x%'", 'orders')).toBeUndefined();
  });
});
