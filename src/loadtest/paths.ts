// The request mix: which paths the virtual users ask for, and how often. The default is the sample app's
// (examples/restaurant-api) read endpoints with their parameters drawn per request as a restaurant dashboard's staff
// would send them, and its one write; `--paths FILE` replaces it with a YAML list of `{path, weight, method?}`.
import { readFileSync } from 'node:fs';
import { isMap, isSeq } from 'yaml';
import { InvalidInputError, type Problem } from '../errors.js';
import { at, parseYaml } from '../config/source.js';
import type { Rng } from './schedule.js';

export interface PathSpec {
  /**
   * Path and query, with placeholders drawn per request: `{1..50}` a whole number in that range; `{a|b*3|c}` one of
   * the words (`*N` weighs one N times); `{date:-30..-1}` a day (YYYY-MM-DD, UTC) that many days from today.
   */
  path: string;
  weight: number;
  /** POST sends the query string as a form body. */
  method: 'GET' | 'POST';
  /** Built-in mixes only (never from a file): draws the whole path itself; `path` then only names it in reports. */
  draw?: (rng: Rng) => string;
}

/** The sample app's seeded layout (examples/restaurant-api/seed.php defaults), which the default mix draws from. */
export const SAMPLE_APP = { restaurants: 50, tables: 20, menu: 60 } as const;

/**
 * An order as a waiter enters it: a restaurant, one of its tables, 1 to 4 dishes on its menu (the seed takes every
 * 20th dish off the menu: those are never ordered), 1 to 3 of each. Ids follow the seed's layout: restaurant R's
 * tables are (R-1)*20+1 .. R*20, its dishes (R-1)*60+1 .. R*60.
 */
export function drawOrder(rng: Rng): string {
  const { restaurants, tables, menu } = SAMPLE_APP;
  const r = 1 + Math.floor(rng() * restaurants);
  const table = (r - 1) * tables + 1 + Math.floor(rng() * tables);
  const dishes = new Set<number>();
  for (let n = 1 + Math.floor(rng() * 4); dishes.size < n; ) {
    const i = 1 + Math.floor(rng() * menu);
    if (i % 20 !== 0) dishes.add((r - 1) * menu + i);
  }
  const items = [...dishes].map((id) => `${id}:${1 + Math.floor(rng() * 3)}`).join(',');
  return `/create_order.php?restaurant_id=${r}&table_id=${table}&items=${items}`;
}

const R = '{1..50}';
const CATEGORIES = 'starters|mains|pizza|pasta|salads|desserts|drinks';

/**
 * A restaurant dashboard's traffic: 1000 users are ~20 staff sessions for each of the 50 restaurants (uniform: the
 * seed gives every restaurant the same business). The endpoint shares (menu 30, tables 20, orders 20, reservations
 * 15, dashboard 15 of the reads) and each parameter's distribution are a judgement of how such staff use the app,
 * not a measurement; change them with --paths. Writes: about one request in 100 is a new order (a waiter entering
 * one every few minutes of a service), which drops the restaurant's cached answers it changes.
 */
export const DEFAULT_PATHS: PathSpec[] = [
  // The menu: mostly whole, often one category (the order screen's tabs).
  { path: `/get_menu_items.php?restaurant_id=${R}`, weight: 18, method: 'GET' },
  { path: `/get_menu_items.php?restaurant_id=${R}&category={${CATEGORIES}}`, weight: 12, method: 'GET' },
  // The floor plan.
  { path: `/get_tables.php?restaurant_id=${R}`, weight: 20, method: 'GET' },
  // Today's orders, mostly all or the kitchen's open / preparing lists, mostly the first page; sometimes an earlier
  // day of the last month (a manager's look back), all or paid or cancelled.
  { path: `/get_orders.php?restaurant_id=${R}&status={all*4|open*3|preparing*2|served}&date={date:0..0}&page={1*5|2}`, weight: 14, method: 'GET' },
  { path: `/get_orders.php?restaurant_id=${R}&status={all*3|paid|cancelled}&date={date:-30..-1}&page={1*3|2}`, weight: 6, method: 'GET' },
  // Reservations: today's, else a day of the next two weeks.
  { path: `/get_reservations.php?restaurant_id=${R}&date={date:0..0}`, weight: 8, method: 'GET' },
  { path: `/get_reservations.php?restaurant_id=${R}&date={date:1..14}`, weight: 7, method: 'GET' },
  // The dashboard's period: mostly today.
  { path: `/get_dashboard_stats.php?restaurant_id=${R}&period={today*9|7d*4|30d*2}`, weight: 15, method: 'GET' },
  // A new order.
  { path: '/create_order.php?restaurant_id={1..50}&table_id=...&items=...', weight: 1, method: 'POST', draw: drawOrder },
];

/** A placeholder: `{...}` with no braces inside. */
const PLACEHOLDER = /\{([^{}]+)\}/g;
const INT_RANGE = /^(\d+)\.\.(\d+)$/;
const DATE_RANGE = /^date:(-?\d+)\.\.(-?\d+)$/;
const CHOICE = /^[^|*]+(\*\d+)?(\|[^|*]+(\*\d+)?)+$/;

/** A placeholder's problem, or null when it is well formed (text in braces that is no placeholder stays as it is). */
function placeholderProblem(inner: string): string | null {
  const int = INT_RANGE.exec(inner) ?? DATE_RANGE.exec(inner);
  if (int && Number(int[1]) > Number(int[2])) return `range {${inner}} is empty`;
  if (inner.includes('|') && !CHOICE.test(inner)) return `choice {${inner}} is not word|word*N|...`;
  if (inner.includes('|') && inner.split('|').some((a) => /\*0+$/.test(a))) return `choice {${inner}} has a weight 0`;
  return null;
}

type Draw = (rng: Rng) => string;

/** Compiles one placeholder into its draw; null when the text is no placeholder. */
function compile(inner: string): Draw | null {
  const int = INT_RANGE.exec(inner);
  if (int) {
    const lo = Number(int[1]);
    const n = Number(int[2]) - lo + 1;
    return (rng) => String(lo + Math.floor(rng() * n));
  }
  const date = DATE_RANGE.exec(inner);
  if (date) {
    const lo = Number(date[1]);
    const n = Number(date[2]) - lo + 1;
    return (rng) => new Date(Date.now() + (lo + Math.floor(rng() * n)) * 86_400_000).toISOString().slice(0, 10);
  }
  if (CHOICE.test(inner)) {
    const words: string[] = [];
    const upTo: number[] = [];
    let total = 0;
    for (const alt of inner.split('|')) {
      const [word, times] = alt.split('*');
      words.push(word);
      upTo.push((total += Number(times ?? 1)));
    }
    return (rng) => {
      const x = rng() * total;
      return words[upTo.findIndex((c) => x < c)] ?? words[words.length - 1];
    };
  }
  return null;
}

/** A path template compiled once: its literal text and placeholder draws, in order. */
function compilePath(path: string): Draw {
  const parts: (string | Draw)[] = [];
  let last = 0;
  for (const m of path.matchAll(PLACEHOLDER)) {
    const draw = compile(m[1]);
    if (!draw) continue;
    parts.push(path.slice(last, m.index), draw);
    last = m.index + m[0].length;
  }
  parts.push(path.slice(last));
  if (parts.length === 1) return () => path;
  return (rng) => parts.map((p) => (typeof p === 'string' ? p : p(rng))).join('');
}

/** Read a `--paths` file: every problem at once, each with file:line:col. */
export function loadPaths(file: string): PathSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInputError({ where: file, path: '--paths', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` });
  }
  return parsePaths(text, file);
}

export function parsePaths(text: string, file: string): PathSpec[] {
  const { source, problems } = parseYaml(text, file);
  if (problems.length > 0) throw new InvalidInputError(problems);
  const root = source.doc.contents;
  const where = (offset: number | undefined) => at(source, offset ?? 0);
  if (!isSeq(root) || root.items.length === 0) {
    throw new InvalidInputError({ where: where(root?.range?.[0]), message: 'expected a list of {path, weight}', fix: '- {path: /get_menu_items.php?restaurant_id={1..50}, weight: 30}' });
  }
  const out: PathSpec[] = [];
  const errs: Problem[] = [];
  root.items.forEach((node, i) => {
    const w = where((node as { range?: number[] }).range?.[0]);
    if (!isMap(node)) return void errs.push({ where: w, path: `[${i}]`, message: 'expected {path, weight}' });
    const item = node.toJSON() as Record<string, unknown>;
    for (const k of Object.keys(item)) {
      if (!['path', 'weight', 'method'].includes(k)) errs.push({ where: w, path: `[${i}].${k}`, message: `unknown key "${k}"`, fix: 'keys: path, weight, method' });
    }
    const path = item.path;
    if (typeof path !== 'string' || !path.startsWith('/')) errs.push({ where: w, path: `[${i}].path`, message: `${JSON.stringify(path)} is not a path`, fix: 'a path starting with /, e.g. /get_tables.php?restaurant_id={1..50}' });
    const weight = item.weight ?? 1;
    if (typeof weight !== 'number' || !(weight > 0)) errs.push({ where: w, path: `[${i}].weight`, message: `${JSON.stringify(weight)} is not a positive number` });
    const method = String(item.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'POST') errs.push({ where: w, path: `[${i}].method`, message: `"${String(item.method)}" is not GET or POST` });
    if (typeof path === 'string') {
      for (const m of path.matchAll(PLACEHOLDER)) {
        const problem = placeholderProblem(m[1]);
        if (problem) errs.push({ where: w, path: `[${i}].path`, message: problem, fix: 'placeholders: {1..50}, {a|b*3|c}, {date:-30..-1}' });
      }
    }
    out.push({ path: String(path), weight: Number(weight), method: method as 'GET' | 'POST' });
  });
  if (errs.length > 0) throw new InvalidInputError(errs);
  return out;
}

/** Picks paths by weight and draws their placeholders. */
export class PathMix {
  private readonly cumulative: number[];
  private readonly total: number;
  private readonly draws: Draw[];
  constructor(
    readonly paths: readonly PathSpec[],
    private readonly rng: Rng,
  ) {
    let sum = 0;
    this.cumulative = paths.map((p) => (sum += p.weight));
    this.total = sum;
    this.draws = paths.map((p) => p.draw ?? compilePath(p.path));
  }
  pick(): { spec: PathSpec; path: string } {
    const x = this.rng() * this.total;
    let i = this.cumulative.findIndex((c) => x < c);
    if (i < 0) i = this.paths.length - 1;
    return { spec: this.paths[i], path: this.draws[i](this.rng) };
  }
}
