// Benchmark (not a test): `stackscale apply` on a fresh VPS (install included) against a no-change apply on the same
// host afterwards. One fresh-image host (test/hosts/fresh.sh) with every single-host role: web, cache, proxysql,
// db-primary; packages from the local mirror on the test bridge, ProxySQL from the signed local repository.
// Run as root after `npm run build`:  npx vite-node bench/fresh-apply.ts   (builds the image when absent; starts and
// stops its own host). BENCH_RUNS (default 5) no-change applies are timed; the fresh apply happens once per host.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFreshHosts, stopFreshHosts, type FreshHost } from '../test/hosts/fresh.js';
import { SECRET_ENV } from '../test/helpers/cli.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLI = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'bin', 'stackscale.js');

function siteFile(dir: string, h: FreshHost): string {
  const file = join(dir, 'site.yaml');
  writeFileSync(
    file,
    [
      'profile: 300', 'hosts:', `  ${h.name}:`, `    address: ${h.address}`, `    identity: ${h.rootKey}`, `    host_key: ${h.hostKeyFingerprint}`,
      '    roles: [web, cache, proxysql, db-primary]', 'app:', '  database: restro', '  db_user: restro',
      'repositories:', '  proxysql:', `    url: ${h.repos.proxysqlUrl}`, `    key_file: ${h.repos.proxysqlKey}`, `    key_fingerprint: ${h.repos.proxysqlFingerprint}`,
      'secrets:', '  redis_password: env:REDIS_PASSWORD', '  app_db_password: env:APP_DB_PASSWORD', '  replication_password: env:REPL_PASSWORD',
      '  proxysql_admin_password: env:PROXYSQL_ADMIN_PASSWORD', '  proxysql_monitor_password: env:PROXYSQL_MONITOR_PASSWORD', '',
    ].join('\n'),
  );
  return file;
}

function timeApply(site: string): { ms: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('node', [CLI, 'apply', '--yes', '--site', site], { env: { ...process.env, ...SECRET_ENV, HOME: '/nonexistent', CI: 'true' }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`apply exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { ms, out: r.stdout + r.stderr };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stackscale-bench-fresh-'));
  const [h] = await startFreshHosts(['bf1']);
  try {
    console.log(`machine: ${availableParallelism()} cores, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const site = siteFile(dir, h);
    const fresh = timeApply(site);
    if (!/installed mariadb-server proxysql/.test(fresh.out)) throw new Error('the first apply did not install the stack');
    console.log(`${'fresh apply, 1 host (install + configure + start)'.padEnd(52)} ${(fresh.ms / 1000).toFixed(1).padStart(6)} s`);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = timeApply(site);
      if (!/nothing to change/.test(r.out)) throw new Error(`apply ${i + 2} changed something:\n${r.out.slice(-1500)}`);
      times.push(r.ms);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`${'no-change apply, same host'.padEnd(52)} ${sorted[Math.floor(sorted.length / 2)].toFixed(0).padStart(6)} ms median (${RUNS} runs, min ${sorted[0].toFixed(0)}, max ${sorted.at(-1)?.toFixed(0)})`);
  } finally {
    await stopFreshHosts([h]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
