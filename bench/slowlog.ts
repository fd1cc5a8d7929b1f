// Benchmark (not a test): `stackscale slowlog --file` against pt-query-digest on the same 100 MB slow log.
//   1. writes a MariaDB 10.11-format slow log of realistic statements (a dozen shapes with varying literals, IN lists
//      of varying length, multi-line and commented statements) to a temp dir, streamed, BENCH_SLOWLOG_MB (100) MB;
//   2. runs each tool on it as a separate process and prints wall time and peak resident memory (VmHWM from
//      /proc/<pid>/status, polled), and checks that both found the same number of statements.
// Targets (issue 18): faster than pt-query-digest; memory bounded (the log is streamed, never loaded whole).
// Run after `npm run build`, with percona-toolkit installed:  npx vite-node bench/slowlog.ts
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const MB = Number(process.env.BENCH_SLOWLOG_MB ?? 100);
const CLI = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'bin', 'stackscale.js');

let seed = 42;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const list = (n: number): string => Array.from({ length: n }, () => String(rnd(100000))).join(', ');

const SHAPES: (() => string)[] = [
  () => `SELECT id, name, price FROM menu_items WHERE restaurant_id = ${rnd(500)} AND available = 1 ORDER BY name LIMIT ${rnd(50)}`,
  () => `SELECT * FROM orders WHERE customer_id = ${rnd(100000)}`,
  () => `SELECT * FROM orders WHERE id IN (${list(1 + rnd(30))})`,
  () => `UPDATE orders SET status = '${['open', 'paid', 'served'][rnd(3)]}', updated_at = NOW() WHERE id = ${rnd(1000000)}`,
  () => `INSERT INTO order_items (order_id, item_id, qty) VALUES (${rnd(9999)}, ${rnd(999)}, ${1 + rnd(5)}), (${rnd(9999)}, ${rnd(999)}, ${1 + rnd(5)})`,
  () => `/* get_dashboard_stats.php */ SELECT status, COUNT(*), SUM(total)\n  FROM orders\n WHERE created_at >= '2025-0${1 + rnd(9)}-1${rnd(9)} 00:00:00'\n GROUP BY status`,
  () => `SELECT t.id, t.seats, r.guest_name FROM tables t LEFT JOIN reservations r ON r.table_id = t.id AND r.day = '2025-01-${10 + rnd(20)}' WHERE t.restaurant_id = ${rnd(500)}`,
  () => `SELECT COUNT(*) FROM reservations WHERE day BETWEEN '2025-01-01' AND '2025-0${1 + rnd(9)}-28' AND seats > ${rnd(10)}`,
  () => `DELETE FROM sessions WHERE expires_at < ${1700000000 + rnd(100000000)}`,
  () => `SELECT u.id, u.email FROM users u WHERE u.email = 'user${rnd(100000)}@example.com' LIMIT 1`,
  () => `SELECT name FROM menu_items WHERE name LIKE '%${['soup', 'salad', 'wine', 'bread'][rnd(4)]}%' ORDER BY price ASC, name`,
  () => `SELECT SLEEP(0.${rnd(9)})`,
];

async function writeLog(file: string): Promise<number> {
  const out = createWriteStream(file);
  const target = MB * 1024 * 1024;
  let bytes = 0;
  let entries = 0;
  let t = 1736496000;
  let lastSecond = -1;
  let db = '';
  out.write('/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:\nTcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n');
  while (bytes < target) {
    let chunk = '';
    for (let i = 0; i < 2000; i++) {
      if (rnd(10) === 0) t++;
      const parts: string[] = [];
      if (t !== lastSecond) {
        const d = new Date(t * 1000);
        const p2 = (n: number) => String(n).padStart(2, '0');
        parts.push(`# Time: ${String(d.getUTCFullYear()).slice(2)}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${String(d.getUTCHours()).padStart(2)}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`);
        lastSecond = t;
      }
      const schema = rnd(20) === 0 ? 'reporting' : 'restro';
      const examined = rnd(200000);
      parts.push(
        `# User@Host: restro[restro] @ web${1 + rnd(3)} [10.0.0.${21 + rnd(3)}]`,
        `# Thread_id: ${100 + rnd(400)}  Schema: ${schema}  QC_hit: No`,
        `# Query_time: ${(rnd(500000) / 1e6).toFixed(6)}  Lock_time: ${(rnd(200) / 1e6).toFixed(6)}  Rows_sent: ${rnd(100)}  Rows_examined: ${examined}`,
        `# Rows_affected: ${rnd(3)}  Bytes_sent: ${rnd(5000)}`,
      );
      if (schema !== db) {
        parts.push(`use ${schema};`);
        db = schema;
      }
      parts.push(`SET timestamp=${t};`, `${SHAPES[rnd(SHAPES.length)]()};`);
      chunk += parts.join('\n') + '\n';
      entries++;
    }
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return entries;
}

/** Run a command, polling its peak resident memory; wall time, peak RSS and stdout. */
async function measure(cmd: string, args: string[]): Promise<{ seconds: number; peakMb: number; stdout: string }> {
  const start = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => void (stdout += d.toString('utf8')));
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // exited
    }
  }, 20);
  const [code] = (await once(child, 'close')) as [number];
  clearInterval(poll);
  if (code !== 0) throw new Error(`${cmd} exited ${code}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakMb: peak / 1024, stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'stackscale-bench-slowlog-'));
try {
  const log = join(dir, 'mariadb-slow.log');
  const written = await writeLog(log);
  const size = statSync(log).size / 1024 / 1024;
  console.log(`log: ${size.toFixed(1)} MB, ${written} statements, ${SHAPES.length} shapes (${log})`);

  const ours = await measure(process.execPath, [CLI, 'slowlog', '--file', log, '--json', '--top', '20']);
  const oursEntries = (JSON.parse(ours.stdout) as { summary: { entries: number } }).summary.entries;
  console.log(`stackscale slowlog --file   ${ours.seconds.toFixed(1).padStart(7)} s   peak RSS ${ours.peakMb.toFixed(0).padStart(5)} MB   ${oursEntries} statements`);

  const pt = await measure('pt-query-digest', ['--output', 'json', '--limit', '20', log]);
  const ptJson = pt.stdout.slice(pt.stdout.indexOf('{'));
  const ptEntries = (JSON.parse(ptJson) as { global: { query_count: number } }).global.query_count;
  console.log(`pt-query-digest             ${pt.seconds.toFixed(1).padStart(7)} s   peak RSS ${pt.peakMb.toFixed(0).padStart(5)} MB   ${ptEntries} statements`);
  console.log(`speed-up: ${(pt.seconds / ours.seconds).toFixed(1)}x (target > 1x); memory: ${ours.peakMb.toFixed(0)} MB for a ${size.toFixed(0)} MB log`);
  if (oursEntries !== written || ptEntries !== written) console.log(`WARNING: statement counts differ: written ${written}, ours ${oursEntries}, pt ${ptEntries}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
