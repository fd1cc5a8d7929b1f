// Benchmark (not a test): how fast `stackscale plan` is against the floor bare SSH reads set, and where its time goes.
//   1. anchors: `node -e 0`, `stackscale --version`, `validate` (no SSH), the same through npx and node_modules/.bin;
//   2. one all-roles host: `plan` vs a bare OpenSSH `cat` of the same files, and the facts script's own time there;
//   3. 10 hosts: `plan` vs `plan` of 1 host, and vs 10 bare `ssh cat` run in parallel;
//   4. 50 and 100 light hosts (`--concurrency` default): wall, time per host, client CPU and peak RSS.
// Every `plan` run is split into phases from the CLI's own marks (STACKSCALE_TIMING, src/util/timing.ts): node start +
// module load, inputs (site, profile, sizing), connect + handshake (per host), facts (per host), daemon state
// (replication, ProxySQL runtime), render + diff, output, close; and client CPU (user + sys) against wall.
// Targets (issue 15): 1 host <= 1.5x the bare read; 10 hosts <= 2.5x 1 host and <= 1.5x ten parallel bare reads;
// 100 hosts < 10 s with RSS < 300 MB; `--version` <= 2x `node -e 0`.
// Run as root after `npm run build`:  npx vite-node bench/plan.ts   (starts and stops its own test hosts)
// BENCH_RUNS (default 9) runs per small case; BENCH_MANY (default "50,100", "" to skip) the large host counts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHosts, stopHosts, type TestHost } from '../test/hosts/harness.js';
import { sshArgs } from '../test/hosts/ssh.js';
import { SECRET_ENV, writeSite } from '../test/helpers/cli.js';
import { factsScript, PACKAGES_QUERY } from '../src/facts/gather.js';
import { STATE_FILE } from '../src/host-paths.js';
import { candidatePaths } from '../src/render/paths.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const MANY = (process.env.BENCH_MANY ?? '50,100').split(',').filter(Boolean).map(Number);
const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const CLI = join(ROOT, 'bin', 'stackscale.js');

interface Timing {
  marks: Record<string, number>;
  spans: Record<string, number[]>;
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssKb: number;
}
interface Run {
  wall: number;
  timing?: Timing;
}

function siteFile(dir: string, name: string, hosts: TestHost[], roles: string[]): string {
  return writeSite(join(dir, name), '300', hosts.map((h) => ({ name: h.name, address: h.address, identity: h.rootKey, roles })));
}

/** One child process, timed from spawn to exit; with `timingFile`, the CLI's own phase marks too. */
function runOnce(argv: string[], env: NodeJS.ProcessEnv = process.env, timingFile?: string, stdin?: string): Promise<Run & { stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env: timingFile ? { ...env, STACKSCALE_TIMING: timingFile } : env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0 && code !== 2) return reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const timing = timingFile ? (JSON.parse(readFileSync(timingFile, 'utf8')) as Timing) : undefined;
      resolve({ wall, timing, stdout });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const ms = (x: number): string => `${x.toFixed(0).padStart(5)} ms`;

async function series(label: string, runs: number, once: () => Promise<Run>): Promise<Run[]> {
  await once(); // warm-up: page cache, first connection
  const out: Run[] = [];
  for (let i = 0; i < runs; i++) out.push(await once());
  const walls = out.map((r) => r.wall);
  console.log(`${label.padEnd(46)} median ${ms(median(walls))}  (${runs} runs, min ${Math.min(...walls).toFixed(0)}, max ${Math.max(...walls).toFixed(0)})`);
  return out;
}

/** The phases of `plan` runs, each the median over the runs. */
function breakdown(runs: Run[], hosts: number): void {
  const t = runs.map((r) => r.timing as Timing);
  const phase = (f: (x: Timing, r: Run) => number) => median(t.map((x, i) => f(x, runs[i])));
  const m = (x: Timing, k: string) => x.marks[k];
  const perHost = (k: string) => median(t.flatMap((x) => x.spans[k] ?? []));
  const parts: [string, number][] = [
    ['node start + load', phase((x) => m(x, 'loaded'))],
    ['inputs', phase((x) => m(x, 'inputs') - m(x, 'loaded'))],
    [hosts === 1 ? 'connect + handshake' : 'connect + handshake (per host)', perHost('connect')],
    [hosts === 1 ? 'facts' : 'facts (per host)', perHost('facts')],
  ];
  if (hosts > 1) parts.push(['connect + facts, all hosts', phase((x) => m(x, 'collected') - m(x, 'inputs'))]);
  parts.push(
    ['daemon state', phase((x) => m(x, 'remote') - m(x, 'collected'))],
    ['render + diff', phase((x) => m(x, 'assembled') - m(x, 'remote'))],
    ['output', phase((x) => m(x, 'printed') - m(x, 'assembled'))],
    ['close + exit', phase((x, r) => r.wall - m(x, 'printed'))],
  );
  console.log(`    ${parts.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(' | ')}`);
  const cpu = phase((x) => x.cpuUserMs + x.cpuSystemMs);
  const wall = median(runs.map((r) => r.wall));
  console.log(
    `    client CPU user+sys ${cpu.toFixed(0)} ms (user ${phase((x) => x.cpuUserMs).toFixed(0)}, sys ${phase((x) => x.cpuSystemMs).toFixed(0)}) ` +
      `= ${((cpu / wall) * 100).toFixed(0)}% of wall; peak RSS ${(phase((x) => x.maxRssKb) / 1024).toFixed(0)} MB`,
  );
}

function machine(): string {
  const model = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${model}, ${availableParallelism()} cores, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

/**
 * Where the facts script's time goes on the host: the script run with a timestamp before each section and the package
 * query (each timestamp is a `date`, ~1 ms of its own), medians over the runs, the largest first. The first section
 * that asks a daemon's version also pays the one grep of the package file lists; the first that asks whether a daemon
 * without a live pidfile runs pays the one pgrep.
 */
async function sectionTimes(host: TestHost, script: string): Promise<string[]> {
  const stamp = (label: string) => `echo "$(date +%s%N) ${label}" >&2`;
  let timed = script.replace(/^sec\(\) \{ echo "(.*)"; \}$/m, (_, marker: string) => `sec() { echo "${marker}"; echo "$(date +%s%N) $1" >&2; }`);
  timed = timed.replace(PACKAGES_QUERY, `${stamp('packages')}\n${PACKAGES_QUERY}`);
  timed = timed.replace(/\necho "@@stackscale:end"\n/, `\n${stamp('end')}\necho "@@stackscale:end"\n`);
  const per = new Map<string, number[]>();
  for (let i = 0; i < RUNS; i++) {
    const out = (await runOnce(['ssh', ...sshArgs(host), '--', 'sh -s 2>&1 >/dev/null'], process.env, undefined, timed)).stdout;
    const marks = out.split('\n').filter((l) => /^\d+ /.test(l)).map((l) => ({ t: Number(l.slice(0, l.indexOf(' '))) / 1e6, label: l.slice(l.indexOf(' ') + 1) }));
    const sums = new Map<string, number>();
    for (let j = 0; j + 1 < marks.length; j++) sums.set(marks[j].label, (sums.get(marks[j].label) ?? 0) + marks[j + 1].t - marks[j].t);
    for (const [k, v] of sums) per.set(k, [...(per.get(k) ?? []), v]);
  }
  return [...per.entries()].map(([k, v]) => [k, median(v)] as const).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(1)}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stackscale-bench-'));
  const timingFile = join(dir, 'timing.json');
  const lightCount = Math.max(10, ...MANY);
  console.log(`machine: ${machine()}`);
  const hosts = await startHosts([
    { name: 'b1', octet: 11, services: ['php-fpm', 'redis', 'mariadb'] },
    ...Array.from({ length: lightCount }, (_, i) => ({ name: `l${i + 1}`, octet: 21 + i, services: [] as [] })),
  ]);
  try {
    const [full, ...light] = hosts;
    const env = { ...process.env, ...SECRET_ENV, CI: 'true' };
    const cli = (args: string[]) => ['node', CLI, ...args];
    const plan = (site: string) => cli(['plan', '--site', site, '--known-hosts', full.knownHosts]);
    const timedPlan = (site: string) => () => runOnce(plan(site), env, timingFile);

    // 1. start-up anchors
    const nodeZero = median((await series('node -e 0', RUNS, () => runOnce(['node', '-e', '0']))).map((r) => r.wall));
    const version = median((await series('stackscale --version (node bin/stackscale.js)', RUNS, () => runOnce(cli(['--version'])))).map((r) => r.wall));
    // What `npm link` / `npm install -g` or a project's node_modules/.bin/stackscale run: the bin file itself.
    await series('bin/stackscale.js --version (as npm link runs it)', 3, () => runOnce([CLI, '--version']));
    await series('npx stackscale --version', 3, () => runOnce(['npx', '--no-install', 'stackscale', '--version'], { ...process.env, npm_config_update_notifier: 'false' }));
    const allRoles = ['web', 'cache', 'db-primary'];
    const site1 = siteFile(dir, 'one.yaml', [full], allRoles);
    await series('stackscale validate, 1 host (no SSH)', RUNS, () => runOnce(cli(['validate', '--site', site1]), env));

    // 2. one all-roles host: plan vs the bare read of the same files
    console.log('');
    const managed = [...candidatePaths(allRoles as never), STATE_FILE];
    const sshCat = (h: TestHost) => ['ssh', ...sshArgs(h), '--', `cat ${managed.join(' ')} 2>/dev/null; true`];
    const bare = median((await series('bare ssh cat of the managed files, 1 host', RUNS, () => runOnce(sshCat(full)))).map((r) => r.wall));
    // The facts script's own run time on the host, measured there (no connection, no transfer).
    const onHost = ['ssh', ...sshArgs(full), '--', 'a=$(date +%s%N); sh -s >/dev/null 2>&1; b=$(date +%s%N); echo $(( (b - a) / 1000000 ))'];
    const script = factsScript(managed);
    const hostTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) hostTimes.push(Number((await runOnce(onHost, process.env, undefined, script)).stdout.trim()));
    console.log(`${'facts script on the host itself'.padEnd(46)} median ${ms(median(hostTimes))}`);
    console.log(`    by section: ${(await sectionTimes(full, script)).join(' | ')}`);
    const planOneRuns = await series('stackscale plan, 1 host (web, cache, db)', RUNS, timedPlan(site1));
    breakdown(planOneRuns, 1);
    const planOne = median(planOneRuns.map((r) => r.wall));
    // The first run on a machine (or after an upgrade) compiles the bundle and writes the code cache (bin/code-cache.cjs).
    const cold = await runOnce(plan(site1), { ...env, STACKSCALE_CODE_CACHE: join(dir, `cold-cache`) });
    console.log(`${'  the same, first run (no code cache yet)'.padEnd(46)} ${ms(cold.wall)}`);

    // 3. ten hosts vs one (sshd-only hosts with the web role), and vs ten bare reads at once
    console.log('');
    const ten = light.slice(0, 10);
    const oneRuns = await series('stackscale plan, 1 host (web)', RUNS, timedPlan(siteFile(dir, 'l1.yaml', [light[0]], ['web'])));
    breakdown(oneRuns, 1);
    const tenRuns = await series('stackscale plan, 10 hosts (web)', RUNS, timedPlan(siteFile(dir, 'l10.yaml', ten, ['web'])));
    breakdown(tenRuns, 10);
    const bareTen = median(
      (
        await series('10 bare ssh cat in parallel', RUNS, async () => {
          const t0 = process.hrtime.bigint();
          await Promise.all(ten.map((h) => runOnce(sshCat(h))));
          return { wall: Number(process.hrtime.bigint() - t0) / 1e6 };
        })
      ).map((r) => r.wall),
    );
    const one = median(oneRuns.map((r) => r.wall));
    const tenWall = median(tenRuns.map((r) => r.wall));

    // 4. many light hosts
    const many: { n: number; wall: number; rss: number }[] = [];
    for (const n of MANY) {
      console.log('');
      const runs = await series(`stackscale plan, ${n} hosts (web)`, 3, timedPlan(siteFile(dir, `l${n}.yaml`, light.slice(0, n), ['web'])));
      breakdown(runs, n);
      const wall = median(runs.map((r) => r.wall));
      const rss = median(runs.map((r) => (r.timing as Timing).maxRssKb / 1024));
      console.log(`    time per host ${(wall / n).toFixed(1)} ms`);
      many.push({ n, wall, rss });
    }

    console.log('');
    console.log(`machine at the end: ${machine()}`);
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    console.log(`plan 1 host / bare ssh read:        ${(planOne / bare).toFixed(2)}x  (target <= 1.5x) ${verdict(planOne / bare <= 1.5)}`);
    console.log(`10 hosts / 1 host:                  ${(tenWall / one).toFixed(2)}x  (target <= 2.5x) ${verdict(tenWall / one <= 2.5)}`);
    console.log(`10 hosts / 10 parallel bare reads:  ${(tenWall / bareTen).toFixed(2)}x  (target <= 1.5x) ${verdict(tenWall / bareTen <= 1.5)}`);
    console.log(`--version / node -e 0:              ${(version / nodeZero).toFixed(2)}x  (target <= 2x) ${verdict(version / nodeZero <= 2)}`);
    for (const m of many) {
      console.log(
        `${`${m.n} hosts:`.padEnd(36)}${(m.wall / 1000).toFixed(2)} s, ${(m.wall / m.n).toFixed(1)} ms/host, RSS ${m.rss.toFixed(0)} MB` +
          (m.n === 100 ? `  (target < 10 s, < 300 MB) ${verdict(m.wall < 10_000 && m.rss < 300)}` : ''),
      );
    }
  } finally {
    await stopHosts();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
