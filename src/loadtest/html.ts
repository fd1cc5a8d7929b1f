// `--report FILE.html`: one self-contained page (inline SVG and CSS, no script, no font or CDN), readable offline:
// the figures and verdicts, then latency, throughput and users over time, the client's own CPU, and the sampled
// site figures as line charts.
import type { LoadtestReport } from './report.js';
import { cpuShares } from './report.js';
import type { SiteSample } from './sample.js';

export interface Series {
  name: string;
  points: [number, number][];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
const W = 720;
const H = 240;
const PAD = { l: 56, r: 16, t: 16, b: 36 };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (x <= m * p) return m * p;
  return 10 * p;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? String(Math.round(x)) : String(Math.round(x * 100) / 100));

/** One line chart as an SVG element; `id` names it for the reader (and for tests: data-chart). */
export function lineChart(id: string, title: string, unit: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = niceMax(Math.max(0, ...all.map((p) => p[1])));
  const x = (v: number) => PAD.l + (v / xMax) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(f * yMax)}" y2="${y(f * yMax)}" class="grid"/><text x="${PAD.l - 6}" y="${y(f * yMax) + 4}" text-anchor="end">${fmt(f * yMax)}</text>`)
    .join('');
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(f * xMax)}" y="${H - PAD.b + 16}" text-anchor="middle">${fmt(f * xMax)}</text>`).join('');
  const lines = series
    .map((s, i) => {
      if (s.points.length === 0) return '';
      if (s.points.length === 1) return `<circle cx="${x(s.points[0][0]).toFixed(1)}" cy="${y(s.points[0][1]).toFixed(1)}" r="3" fill="${COLOURS[i % COLOURS.length]}" data-series="${escapeHtml(s.name)}"/>`;
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
      return `<path d="${d}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.8" data-series="${escapeHtml(s.name)}"/>`;
    })
    .join('');
  const legend = series
    .map((s, i) => `<tspan fill="${COLOURS[i % COLOURS.length]}">■</tspan> ${escapeHtml(s.name)}`)
    .join('   ');
  return [
    `<figure class="chart" data-chart="${escapeHtml(id)}"><figcaption>${escapeHtml(title)} <span>(${escapeHtml(unit)})</span></figcaption>`,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">`,
    grid,
    xTicks,
    `<text x="${(W + PAD.l) / 2}" y="${H - 4}" text-anchor="middle">seconds</text>`,
    lines,
    `<text x="${PAD.l}" y="12" class="legend">${legend}</text>`,
    '</svg></figure>',
  ].join('');
}

/** The site's sampled series: hit ratio between samples, DB threads, FPM active and queue, host CPU. */
export function siteSeries(samples: SiteSample[]): { id: string; title: string; unit: string; series: Series[] }[] {
  if (samples.length < 2) return [];
  const hosts = Object.keys(samples[0].hosts);
  const per = (pick: (s: SiteSample, h: string) => number | null | undefined, label: (h: string) => string): Series[] =>
    hosts
      .map((h) => ({ name: label(h), points: samples.flatMap((s) => { const v = pick(s, h); return typeof v === 'number' ? [[Math.max(0, s.t), v] as [number, number]] : []; }) }))
      .filter((s) => s.points.length > 0);
  const hit: Series[] = hosts
    .map((h) => ({
      name: `${h} hit ratio`,
      points: samples.slice(1).flatMap((s, i): [number, number][] => {
        const a = samples[i].hosts[h]?.redis;
        const b = s.hosts[h]?.redis;
        if (!a || !b) return [];
        const lookups = b.hits - a.hits + (b.misses - a.misses);
        return lookups > 0 ? [[Math.max(0, s.t), (100 * (b.hits - a.hits)) / lookups]] : [];
      }),
    }))
    .filter((s) => s.points.length > 0);
  const cpu: Series[] = hosts
    .map((h) => ({ name: `${h} CPU`, points: cpuShares(samples, h).flatMap((v, i): [number, number][] => (v === null ? [] : [[Math.max(0, samples[i + 1].t), v * 100]])) }))
    .filter((s) => s.points.length > 0);
  const out = [
    { id: 'cache-hit-ratio', title: 'Redis hit ratio between samples', unit: '%', series: hit },
    { id: 'db-threads', title: 'MySQL threads connected', unit: 'connections', series: per((s, h) => s.hosts[h]?.mysql?.threadsConnected, (h) => h) },
    { id: 'fpm', title: 'PHP-FPM active workers and listen queue', unit: 'count', series: [...per((s, h) => s.hosts[h]?.fpm?.active, (h) => `${h} active`), ...per((s, h) => s.hosts[h]?.fpm?.listenQueue, (h) => `${h} queue`)] },
    { id: 'proxysql', title: 'ProxySQL backend connections in use', unit: 'connections', series: per((s, h) => s.hosts[h]?.proxysql?.used, (h) => h) },
    { id: 'host-cpu', title: 'Host CPU', unit: '%', series: cpu },
  ];
  return out.filter((c) => c.series.length > 0);
}

export function renderHtml(r: LoadtestReport): string {
  const iv = r.intervals;
  const end = (i: number) => iv[i].t + (iv[1] ? iv[1].t - iv[0].t : 1);
  const step = iv.length > 1 ? iv[1].t - iv[0].t : 1;
  const at = (pick: (i: (typeof iv)[number]) => number | undefined | null): [number, number][] =>
    iv.flatMap((p, i) => { const v = pick(p); return typeof v === 'number' ? [[end(i), v] as [number, number]] : []; });
  const charts = [
    lineChart('latency', 'Latency from the scheduled send time', 'ms', [
      { name: 'p50', points: at((p) => p.latency_ms?.p50) },
      { name: 'p95', points: at((p) => p.latency_ms?.p95) },
      { name: 'p99', points: at((p) => p.latency_ms?.p99) },
    ]),
    lineChart('throughput', 'Requests per second', 'req/s', [
      { name: 'offered (scheduled)', points: at((p) => p.sent / step) },
      { name: 'answered', points: at((p) => (p.done - p.errors) / step) },
      { name: 'errors', points: at((p) => p.errors / step) },
    ]),
    lineChart('users', 'Active virtual users', 'users', [{ name: 'users', points: at((p) => p.users) }]),
    lineChart('client-cpu', 'The load generator\'s own CPU', '% of one core', [{ name: 'client CPU', points: at((p) => p.client_cpu * 100) }]),
    ...siteSeries(r.samples).map((c) => lineChart(c.id, c.title, c.unit, c.series)),
  ];
  const l = r.latency_ms;
  const kinds = Object.entries(r.errors_by_kind).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
  const rows: [string, string][] = [
    ['targets', r.targets.join(', ')],
    ['load', `${r.users} users, ${r.think_s} s think, offered ${r.offered_rps} req/s${r.ramp.length ? `, ramp ${r.ramp.map((s) => `${s.users}:${s.seconds}s`).join(',')}` : ''}`],
    ['requests', `${r.requests} in ${r.duration_s} s; ${r.throughput_rps} req/s answered`],
    ['latency (ms)', `avg ${l.avg}, p50 ${l.p50}, p95 ${l.p95}, p99 ${l.p99}, max ${l.max}`],
    ['errors', kinds ? `${r.errors}: ${kinds}` : String(r.errors)],
    ['cache hit ratio', r.cache_hit_ratio === null ? 'n/a' : `${Math.round(r.cache_hit_ratio * 1000) / 10}%`],
    ['DB connections peak', String(r.db_connections_max ?? 'n/a')],
    ['new DB connections per hour', String(r.connections_per_hour ?? 'n/a')],
    ['FPM max children reached', String(r.fpm_max_children_reached ?? 'n/a')],
    ['client CPU', `${Math.round(r.client.cpu_avg * 100)}% of a core on average, peak ${Math.round(r.client.cpu_max * 100)}%${r.client.saturated ? ' — SATURATED' : ''}`],
  ];
  const checks = r.checks
    .map((c) => `<tr class="${c.verdict}"><td>${c.verdict}</td><td>${escapeHtml(c.text)}</td><td>${escapeHtml(c.note ?? '')}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stackscale load test ${escapeHtml(r.time)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:780px}
h1{font-size:20px} table{border-collapse:collapse;margin:8px 0 16px} td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
tr.pass td:first-child{color:#2a7a2a;font-weight:bold} tr.fail td:first-child{color:#b00;font-weight:bold} tr.unknown td:first-child{color:#a60}
.verdict{font-size:18px;font-weight:bold} .verdict.pass{color:#2a7a2a} .verdict.fail{color:#b00}
figure{margin:16px 0} figcaption{font-weight:bold;margin-bottom:4px} figcaption span{font-weight:normal;color:#666}
svg text{font-size:11px;fill:#444} svg .grid{stroke:#e4e4e4} .note{color:#a60}
</style></head><body>
<h1>stackscale load test — profile ${escapeHtml(r.profile)}</h1>
<p class="verdict ${r.verdict}">verdict: ${r.verdict}</p>
<p>${escapeHtml(r.time)}</p>
<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<h2>Targets</h2><table><tr><th>verdict</th><th>check</th><th>note</th></tr>${checks}</table>
${r.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
<h2>Over time</h2>
${charts.join('\n')}
</body></html>
`;
}
