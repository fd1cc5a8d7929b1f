// The request mix: which paths the virtual users ask for, and how often. The default is the capacity guide's five
// read endpoints, each for a random one of the sample app's restaurants (examples/restaurant-api); `--paths FILE`
// replaces it with a YAML list of `{path, weight, method?}`.
import { readFileSync } from 'node:fs';
import { isMap, isSeq } from 'yaml';
import { InvalidInputError, type Problem } from '../errors.js';
import { at, parseYaml } from '../config/source.js';
import type { Rng } from './schedule.js';

export interface PathSpec {
  /** Path and query; `{1..50}` stands for a random whole number in that range, drawn per request. */
  path: string;
  weight: number;
  /** POST sends the query string as a form body. */
  method: 'GET' | 'POST';
}

/**
 * A dashboard-style session: menus and tables are looked at most, then orders, reservations and the stats panel.
 * The weights are a judgement of such an app's traffic, not a measurement; change them with --paths.
 */
export const DEFAULT_PATHS: PathSpec[] = [
  { path: '/get_menu_items.php?restaurant_id={1..50}', weight: 30, method: 'GET' },
  { path: '/get_tables.php?restaurant_id={1..50}', weight: 20, method: 'GET' },
  { path: '/get_orders.php?restaurant_id={1..50}', weight: 20, method: 'GET' },
  { path: '/get_reservations.php?restaurant_id={1..50}', weight: 15, method: 'GET' },
  { path: '/get_dashboard_stats.php?restaurant_id={1..50}', weight: 15, method: 'GET' },
];

const RANGE = /\{(\d+)\.\.(\d+)\}/g;

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
      for (const m of path.matchAll(RANGE)) if (Number(m[1]) > Number(m[2])) errs.push({ where: w, path: `[${i}].path`, message: `range {${m[1]}..${m[2]}} is empty` });
    }
    out.push({ path: String(path), weight: Number(weight), method: method as 'GET' | 'POST' });
  });
  if (errs.length > 0) throw new InvalidInputError(errs);
  return out;
}

/** Picks paths by weight and fills in their ranges. */
export class PathMix {
  private readonly cumulative: number[];
  private readonly total: number;
  constructor(
    readonly paths: readonly PathSpec[],
    private readonly rng: Rng,
  ) {
    let sum = 0;
    this.cumulative = paths.map((p) => (sum += p.weight));
    this.total = sum;
  }
  pick(): { spec: PathSpec; path: string } {
    const x = this.rng() * this.total;
    let i = this.cumulative.findIndex((c) => x < c);
    if (i < 0) i = this.paths.length - 1;
    const spec = this.paths[i];
    const path = spec.path.replace(RANGE, (_, lo: string, hi: string) => String(Number(lo) + Math.floor(this.rng() * (Number(hi) - Number(lo) + 1))));
    return { spec, path };
  }
}
