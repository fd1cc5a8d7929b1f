// The HTML report of a real load test, opened in a real browser (headless Chromium, Debian's `chromium`): the page
// parses, every chart is an inline SVG with its lines drawn, and nothing is fetched (the browser runs with networking
// features off and a fresh profile; the page has no script, link or import).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/loadtest-server.js';
import { makeTempDir, removeDir, requireBinary, run } from './helpers.js';

const dir = makeTempDir('loadtest-report');
afterAll(() => removeDir(dir));

describe('loadtest --report in headless Chromium', () => {
  it('renders the charts', async () => {
    const chromium = requireBinary('chromium', 'chromium');
    const server = await startTestServer(5);
    const report = join(dir, 'report.html');
    try {
      const r = await runCli(['loadtest', '--url', server.url, '--users', '10', '--think', '0.2', '--duration', '3', '--report', report], { cwd: dir });
      expect(r.code).toBe(0);
    } finally {
      server.stop();
    }
    expect(readFileSync(report, 'utf8')).not.toMatch(/<script|\s(src|href)=|@import|url\(/);
    const out = await run(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`, '--dump-dom', `file://${report}`],
      { timeoutMs: 60_000, env: { ...process.env, HOME: dir } },
    );
    expect(out.code, out.stderr).toBe(0);
    const dom = out.stdout;
    // The DOM as the browser built it: each chart a figure holding an svg with at least one drawn line.
    const figures = [...dom.matchAll(/<figure class="chart" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g)];
    expect(figures.map((f) => f[1])).toEqual(['latency', 'throughput', 'users', 'client-cpu']);
    for (const [, id, body] of figures) {
      expect(body, id).toMatch(/<svg[^>]*viewBox="0 0 720 240"/);
      expect(body, id).toMatch(/<path d="M[\d.]+,[\d.]+ L/);
    }
    expect(dom).toContain('verdict: pass');
  }, 90_000);
});
