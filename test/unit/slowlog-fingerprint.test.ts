// Fingerprints as pt-query-digest 3.2.1 computes them (each expected value below is pt's own output for the
// statement), literal masking for examples, and the bounded-memory digest.
import { describe, expect, test } from 'vitest';
import { fingerprint, fingerprintId, maskLiterals, verbOf } from '../../src/slowlog/fingerprint.js';
import { Digest, percentile } from '../../src/slowlog/aggregate.js';

describe('fingerprint', () => {
  test.each([
    ["SELECT id, total FROM orders WHERE customer_id = 42 AND status = 'open'", 'select id, total from orders where customer_id = ? and status = ?'],
    ["SELECT id, total FROM orders WHERE customer_id = 7 AND status = 'it''s'", 'select id, total from orders where customer_id = ? and status = ??'],
    ["/* app: get_orders.php */ SELECT COUNT(*) FROM orders WHERE created > '2024-01-01'", 'select count(*) from orders where created > ?'],
    ['SELECT * FROM orders\nWHERE id IN (1, 2, 3)\nORDER BY total ASC, created', 'select * from orders where id in(?+) order by total, created'],
    ['SELECT SLEEP(1.1)', 'select sleep(?)'],
    ['INSERT INTO orders (customer_id, status, total, created) VALUES (3, NULL, -1.5e3, NOW())', 'insert into orders (customer_id, status, total, created) values (?, ?, ?, now())'],
    ['INSERT INTO order_items (order_id, item_id, qty) VALUES (5001, 17, 2), (5001, 18, 1), (5001, 40, 3)', 'insert into order_items (order_id, item_id, qty) values(?+)'],
    ['SET NAMES utf8mb4', 'set names utf?m?'],
    ["SELECT 0x1F, b'101', TRUE, NULL", 'select ?f, ?, ?, ?'],
    ['SELECT id, name, price FROM menu_items WHERE restaurant_id = 3 AND available = 1 ORDER BY name LIMIT 20, 10', 'select id, name, price from menu_items where restaurant_id = ? and available = ? order by name limit ?'],
    ['SELECT r.id, r.guest_name\n  FROM reservations r\n# a line of the statement that starts with a hash\n WHERE r.table_id = 4', 'select r.id, r.guest_name from reservations r where r.table_id = ?'],
    ['SELECT a FROM t WHERE x = 1 UNION SELECT a FROM t WHERE x = 1', 'select a from t where x = ? /*repeat union*/'],
    ['CALL get_menu(17, "x")', 'call get_menu'],
    ['use shop', 'use ?'],
    ['administrator command: Quit', 'administrator command: Quit'],
    ['SELECT * FROM t LIMIT 5 OFFSET 10', 'select * from t limit ?'],
  ])('%s', (sql, want) => {
    expect(fingerprint(sql)).toBe(want);
  });

  test('pt-query-digest checksum: the last 16 hex digits of the MD5, upper case', () => {
    // pt's checksum for "select sleep(?)" is 59A74D08D407B5EDF9A57DD5A41825CA.
    expect(fingerprintId('select sleep(?)')).toBe('F9A57DD5A41825CA');
  });
});

describe('maskLiterals', () => {
  test('strings and numbers go, names and shape stay', () => {
    expect(maskLiterals("SELECT id FROM t2 WHERE email = 'ann@example.com' AND age > 42 AND x = -1.5e3")).toBe('SELECT id FROM t2 WHERE email = ? AND age > ? AND x = ?');
    expect(maskLiterals(`UPDATE users SET name = "O\\"Brien", note = 'it''s' WHERE id = 7`)).toBe('UPDATE users SET name = ?, note = ? WHERE id = ?');
  });
  test('verbs', () => {
    expect(verbOf('/* x */ select 1')).toBe('SELECT');
    expect(verbOf('(SELECT 1) UNION (SELECT 2)')).toBe('SELECT');
    expect(verbOf('  update t set a = 1')).toBe('UPDATE');
  });
});

describe('Digest', () => {
  const entry = (sql: string, queryTime: number, time: number, rowsExamined = 10, rowsSent = 1) => ({ sql, queryTime, time, rowsExamined, rowsSent, lockTime: 0, line: 1 });

  test('groups by fingerprint, sums, keeps the slowest as the example, sorts by total time', () => {
    const d = new Digest();
    d.add(entry('SELECT * FROM t WHERE a = 1', 0.1, 100), 'db1');
    d.add(entry('SELECT * FROM t WHERE a = 2', 0.3, 200), 'db2');
    d.add(entry('SELECT 1', 0.05, 150), 'db1');
    const [first, second] = d.sorted();
    expect(first).toMatchObject({ fingerprint: 'select * from t where a = ?', count: 2, rowsExamined: 20, rowsSent: 2, firstSeen: 100, lastSeen: 200 });
    expect(first.totalTime).toBeCloseTo(0.4, 9);
    expect(first.example).toMatchObject({ sql: 'SELECT * FROM t WHERE a = 2', host: 'db2', queryTime: 0.3 });
    expect([...first.hosts].sort()).toEqual(['db1', 'db2']);
    expect(second.fingerprint).toBe('select ?');
  });

  test('--since leaves out older entries and counts them', () => {
    const d = new Digest(150);
    d.add(entry('SELECT 1', 0.1, 100), 'h');
    d.add(entry('SELECT 1', 0.1, 200), 'h');
    expect([d.entries, d.skipped]).toEqual([1, 1]);
  });

  test('p95 within 5% of the true value, from the histogram', () => {
    const d = new Digest();
    for (let i = 1; i <= 100; i++) d.add(entry('SELECT 1', i / 1000, 1), 'h');
    const g = d.sorted()[0];
    const p = percentile(g, 0.95);
    expect(p).toBeGreaterThanOrEqual(0.095 * 0.95);
    expect(p).toBeLessThanOrEqual(0.095 * 1.05);
    expect(percentile(g, 1)).toBe(0.1);
  });
});
