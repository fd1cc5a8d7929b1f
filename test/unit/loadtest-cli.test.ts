// `stackscale loadtest` through the CLI, in-process, against test servers on loopback: bad input exits 3 before any
// request, a target that is neither loopback nor the site's is refused, --json follows its schema, the verdict and
// exit code follow the latency target, and --report writes the HTML page.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/loadtest-server.js';
import { check } from './cli-schema.js';

let server: TestServer | undefined;
afterEach(() => server?.stop());
const dir = mkdtempSync(join(tmpdir(), 'stackscale-loadtest-'));

describe('stackscale loadtest (CLI)', () => {
  it('refuses a target that is neither loopback nor a host of the site, before sending anything (exit 3)', async () => {
    const t = Date.now();
    const r = await runCli(['loadtest', '--url', 'http://192.0.2.1', '--users', '10', '--think', '1', '--duration', '5'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--url: 192\.0\.2\.1 is neither loopback nor a host of the site .*--allow-any-target/);
    // (module loading included; the duration asked for was 5 s)
    expect(Date.now() - t).toBeLessThan(4000);
  });

  it('reports bad flags and a bad paths file with exit 3', async () => {
    const base = ['loadtest', '--url', 'http://127.0.0.1:9'];
    expect((await runCli([...base, '--users', '10'], { cwd: dir })).stderr).toMatch(/--think: the mean think time is required/);
    expect((await runCli([...base, '--users', 'ten', '--think', '1'], { cwd: dir })).stderr).toMatch(/--users: "ten" is not a whole number/);
    expect((await runCli([...base, '--think', '1', '--ramp', '10/5s'], { cwd: dir })).code).toBe(3);
    expect((await runCli([...base, '--users', '1', '--think', '1', '--duration', '3h'], { cwd: dir })).stderr).toMatch(/over the 7200 s cap/);
    expect((await runCli([...base, '--users', '1', '--think', '1', '--report', 'no/such/dir/r.html'], { cwd: dir })).stderr).toMatch(/--report: .*no\/such\/dir does not exist/);
    expect((await runCli([...base, '--users', '1', '--think', '1', '--sample-interval', '0'], { cwd: dir })).stderr).toMatch(/--sample-interval: "0" is not a duration/);
    writeFileSync(join(dir, 'paths.yaml'), '- {path: /a, weight: 1}\n- {path: /b, weight: -1}\n');
    const r = await runCli([...base, '--users', '1', '--think', '1', '--paths', 'paths.yaml'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/paths\.yaml:2:3 \[1\]\.weight: -1 is not a positive number/);
  });

  it('passes against a fast loopback server: exit 0, --json per its schema, the HTML report written', async () => {
    server = await startTestServer(5);
    const report = join(dir, 'fast.html');
    const r = await runCli(['loadtest', '--url', server.url, '--users', '20', '--think', '0.2', '--duration', '3', '--json', '--report', report], { cwd: dir });
    const doc = JSON.parse(r.stdout);
    expect(doc.notes.join('\n')).toMatch(/no site file: the site was not sampled/);
    expect(check(doc, 'loadtest.schema.json')).toEqual([]);
    expect(r.code).toBe(0);
    expect(doc).toMatchObject({ schema: 'stackscale.loadtest/1', verdict: 'pass', exitCode: 0, errors: 0, profile: '1000', offered_rps: 100 });
    expect(doc.checks.map((c: { name: string; verdict: string }) => `${c.name}:${c.verdict}`)).toEqual(['avg_latency:pass', 'errors:pass']);
    expect(doc.requests).toBeGreaterThan(200);
    expect(doc.intervals.length).toBeGreaterThanOrEqual(3);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('data-chart="latency"');
    expect(html).toContain('verdict: pass');
  });

  it('fails when the average response is over the profile\'s target (exit 1), and prints why', async () => {
    server = await startTestServer(260);
    const r = await runCli(['loadtest', '--url', server.url, '--users', '10', '--think', '0.5', '--duration', '2', '--profile', '1000'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}average response \d+(\.\d+)? ms < 200 ms \(response_target_ms\)/);
    expect(r.stdout).toMatch(/verdict: fail \(avg_latency\)/);
  });

  it('shows a one-line progress display on a terminal only', async () => {
    server = await startTestServer(1);
    const args = ['loadtest', '--url', server.url, '--users', '5', '--think', '0.2', '--duration', '2'];
    const tty = await runCli(args, { cwd: dir, isTTY: true, env: { HOME: '/nonexistent' } });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\r1\/2 s {2}users 5 {2}\d+ req\/s {2}p95 \d+ ms {2}errors 0\x1b\[K/);
    const ci = await runCli(args, { cwd: dir, isTTY: true, env: { HOME: '/nonexistent', CI: 'true' } });
    expect(ci.stderr).not.toContain('\r');
  });

  it('exits 4 when nothing answers at the target', async () => {
    const r = await runCli(['loadtest', '--url', 'http://127.0.0.1:9', '--users', '5', '--think', '0.2', '--duration', '1', '--json'], { cwd: dir });
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.exitCode).toBe(4);
    expect(doc.errors_by_kind.refused).toBe(doc.requests);
    expect(check(doc, 'loadtest.schema.json')).toEqual([]);
  });
});
