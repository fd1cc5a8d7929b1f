// Benchmark (not a test): `stackscale validate` on a site of 1,000 hosts (the most a site file may hold).
// Target (issue 11): under 2 s wall time, the whole process (node start, YAML, schema, sizing, every rule).
// Run after `npm run build`:  npx vite-node bench/validate.ts   (no hosts needed: validate opens no connection)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const CLI = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'bin', 'stackscale.js');

/** web hosts in 10.1.0.0/16, a cache, a ProxySQL host, a primary and two replicas; every host sized. */
function siteText(n: number): string {
  const lines = ['profile: 1000', 'hosts:'];
  const fixed = [
    '  cache1: {address: 10.0.0.2, roles: [cache], size: {memory: 8G, cores: 4}}',
    '  proxy1: {address: 10.0.0.3, roles: [proxysql], size: {memory: 8G, cores: 4}}',
    '  db1: {address: 10.0.0.4, roles: [db-primary], size: {memory: 32G, cores: 16}}',
    '  db2: {address: 10.0.0.5, roles: [db-replica], size: {memory: 32G, cores: 16}}',
    '  db3: {address: 10.0.0.6, roles: [db-replica], size: {memory: 32G, cores: 16}}',
  ];
  for (let i = 0; i < n - fixed.length; i++) lines.push(`  web${i + 1}: {address: 10.1.${Math.floor(i / 250)}.${(i % 250) + 1}, roles: [web], size: {memory: 4G, cores: 2}}`);
  lines.push(...fixed, 'app: {database: restro, db_user: restro}');
  return lines.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'stackscale-bench-validate-'));
try {
  const file = join(dir, 'site.yaml');
  writeFileSync(file, siteText(HOSTS));
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, 'validate', '--no-secrets', '--site', file], { encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`validate exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`validate, ${HOSTS} hosts: median ${Math.round(median)} ms over ${RUNS} runs (min ${Math.round(times[0])}, max ${Math.round(times[times.length - 1])}); target < 2000 ms: ${median < 2000 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
