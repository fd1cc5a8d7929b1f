// Benchmark (not a test): how fast `stackscale plan` is against the floor a bare SSH read sets.
//   1. on one test host: median wall time of `stackscale plan` vs a bare `ssh host cat <the managed files>`;
//   2. `plan` over 10 hosts vs over 1 host.
// Targets (issue 3): plan within 1.5x of the bare ssh read; 10 hosts within 2.5x of one.
// Run as root after `npm run build`:  npx vite-node bench/plan.ts   (starts and stops its own test hosts)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHosts, stopHosts, type TestHost } from '../test/hosts/harness.js';
import { sshArgs } from '../test/hosts/ssh.js';
import { SECRET_ENV, writeSite } from '../test/helpers/cli.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const CLI = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'bin', 'stackscale.js');

/** A site file for these hosts, all with these roles, logging in as root with the host's test key. */
function siteFile(dir: string, name: string, hosts: TestHost[], roles: string[]): string {
  return writeSite(join(dir, name), '300', hosts.map((h) => ({ name: h.name, address: h.address, identity: h.rootKey, roles })));
}

function timeIt(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 2) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function bench(label: string, argv: string[], env?: NodeJS.ProcessEnv): number {
  timeIt(argv, env); // warm-up: page cache, first connection
  const times = Array.from({ length: RUNS }, () => timeIt(argv, env));
  const m = median(times);
  console.log(`${label.padEnd(44)} median ${m.toFixed(0).padStart(5)} ms  (${RUNS} runs, min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
  return m;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stackscale-bench-'));
  const hosts = await startHosts([
    { name: 'b1', octet: 11, services: ['php-fpm', 'redis', 'mariadb'] },
    ...Array.from({ length: 10 }, (_, i) => ({ name: `l${i + 1}`, octet: 21 + i, services: [] as [] })),
  ]);
  try {
    // The hosts share this machine's cores with the CLI: with few cores, 10 hosts' facts scripts queue for CPU.
    console.log(`machine: ${availableParallelism()} cores, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const [full, ...light] = hosts;
    const env = { ...process.env, ...SECRET_ENV, CI: 'true' };
    const plan = (site: string) => ['node', CLI, 'plan', '--site', site, '--known-hosts', full.knownHosts];

    // 1. one all-roles host: plan vs the bare read of the same files
    const allRoles = ['web', 'cache', 'db-primary'];
    const site1 = siteFile(dir, 'one.yaml', [full], allRoles);
    const managed = ['/etc/php/8.2/fpm/pool.d/www.conf', '/etc/redis/redis.conf', '/etc/mysql/mariadb.conf.d/60-stackscale.cnf', '/var/lib/stackscale/state.json'];
    const sshCat = ['ssh', ...sshArgs(full), '--', `cat ${managed.join(' ')} 2>/dev/null; true`];
    const bare = bench('bare ssh cat of the managed files', sshCat);
    const planOne = bench('stackscale plan, 1 host (web, cache, db)', plan(site1), env);

    // 2. ten hosts vs one (sshd-only hosts with the web role)
    const siteL1 = siteFile(dir, 'l1.yaml', [light[0]], ['web']);
    const siteL10 = siteFile(dir, 'l10.yaml', light, ['web']);
    const one = bench('stackscale plan, 1 host (web)', plan(siteL1), env);
    const ten = bench('stackscale plan, 10 hosts (web)', plan(siteL10), env);

    console.log('');
    console.log(`plan / bare ssh read: ${(planOne / bare).toFixed(2)}x  (target <= 1.5x)`);
    console.log(`10 hosts / 1 host:    ${(ten / one).toFixed(2)}x  (target <= 2.5x)`);
  } finally {
    await stopHosts();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
