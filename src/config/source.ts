// A YAML file kept with its positions, so every problem in it can say `file:line:col`, and the turn
// of zod issues into Problems: the key path, the bad value, what is allowed, and a fix.
//
// Convention for schema messages (see schema.ts): a leaf's error text is `noun|allowed`, which reads as
// `"webb" is not a role (one of: web, ...)`; a text starting with `!` is printed as it stands and never shows the value
// (secrets).
import { relative, isAbsolute } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod';
import { InvalidInputError, type Problem } from '../errors.js';
import { excerpt } from '../util/excerpt.js';

export type Path = readonly PropertyKey[];

export interface YamlSource {
  /** The file as shown in messages: relative to the working directory when inside it. */
  shown: string;
  doc: Document;
  lines: LineCounter;
  data: unknown;
}

/** A problem with the offset it was found at, so a file's problems print in reading order. */
export interface Located extends Problem {
  offset: number;
}

export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** A site file or profile is a few kilobytes; a 1,000-host site about 200 KB. Anything much larger is the wrong file. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** YAML errors reported at most; a file that is not YAML at all would otherwise give thousands. */
const MAX_YAML_ERRORS = 10;

/**
 * The text of a site file or profile, refused (never quoted) when it is too large or not UTF-8 text: a binary file
 * or the wrong file given by mistake (`--site .env`) must not end up on stderr or in a CI log.
 */
export function configText(data: Buffer, file: string, what: string): string {
  const where = `${shownPath(file)}`;
  const fix = `check the path: ${what} is a YAML text file`;
  if (data.length > MAX_CONFIG_BYTES) {
    throw new InvalidInputError({ where, message: `is ${(data.length / 1024 / 1024).toFixed(1)} MiB, not ${what} (at most ${MAX_CONFIG_BYTES / 1024 / 1024} MiB)`, fix });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new InvalidInputError({ where, message: `is not UTF-8 text, so not ${what}`, fix });
  }
  if (text.includes('\0')) throw new InvalidInputError({ where, message: `holds NUL bytes: a binary file, not ${what}`, fix });
  return text.replace(/^\uFEFF/, '');
}

/** Parse YAML text; syntax errors (and duplicate keys) come back as problems with their line and column. */
export function parseYaml(text: string, file: string): { source: YamlSource; problems: Located[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source: YamlSource = { shown: shownPath(file), doc, lines, data: undefined };
  const problems: Located[] = doc.errors.slice(0, MAX_YAML_ERRORS).map((e) => ({
    where: at(source, e.pos[0]),
    message: `YAML: ${yamlMessage(e.message)}`,
    fix: e.code === 'DUPLICATE_KEY' ? 'each key once per map' : 'fix the YAML syntax at this point',
    offset: e.pos[0],
  }));
  if (doc.errors.length > MAX_YAML_ERRORS) {
    const last = problems[problems.length - 1];
    problems.push({ where: source.shown, message: `and ${doc.errors.length - MAX_YAML_ERRORS} more YAML errors`, fix: 'is this the right file?', offset: last.offset + 1 });
  }
  if (problems.length === 0) {
    try {
      source.data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An alias bomb (`a: &a [*b, *b, ...]` nested): the parser refuses to expand it; the input is at fault.
      problems.push({ where: at(source, 0), message: `YAML: ${yamlMessage((err as Error).message)}`, fix: 'use fewer aliases (*name); a site file needs none', offset: 0 });
    }
  }
  return { source, problems };
}

/** The first line of a YAML library message, cut short: some quote the source text they choke on. */
function yamlMessage(message: string): string {
  const line = message.split('\n')[0];
  return line.length > 120 ? `${line.slice(0, 120)}...` : line;
}

export function at(source: YamlSource, offset: number): string {
  const { line, col } = source.lines.linePos(offset);
  return `${source.shown}:${line}:${col}`;
}

/** `hosts.web1.roles[1]` */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/**
 * Where a path is written. `key: true` points at the key (for unknown keys); a path that does not exist points at the
 * nearest key above it (a missing key is reported where its parent is written).
 */
export function offsetOf(source: YamlSource, path: Path, { key = false } = {}): number {
  let node: unknown = source.doc.contents;
  let keyAt = rangeStart(node) ?? 0;
  let valueAt = keyAt;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return keyAt;
      keyAt = rangeStart(pair.key) ?? keyAt;
      if (i === path.length - 1 && key) return keyAt;
      node = pair.value;
      // `key:` with nothing after it: the value's range is an empty spot at the end of the line; point at the key.
      const empty = isScalar(pair.value) && pair.value.value === null && pair.value.source === '';
      valueAt = empty ? keyAt : (rangeStart(pair.value) ?? keyAt);
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      valueAt = rangeStart(node) ?? valueAt;
      keyAt = valueAt;
    } else {
      return keyAt;
    }
  }
  return valueAt;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

export function problemAt(source: YamlSource, path: Path, message: string, fix?: string, opts: { key?: boolean } = {}): Located {
  const offset = offsetOf(source, path, opts);
  return { where: at(source, offset), path: formatPath(path), message, ...(fix ? { fix } : {}), offset };
}

export function valueAt(data: unknown, path: Path): { present: boolean; value: unknown } {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object' || !(String(seg) in (v as object))) return { present: false, value: undefined };
    v = (v as Record<string, unknown>)[seg as string];
  }
  return { present: true, value: v };
}

export { excerpt, EXCERPT_CHARS } from '../util/excerpt.js';

/** How a bad value is shown: strings as short excerpts, collections named (never dumped). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return excerpt(v);
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return String(v);
}

/** Every zod issue as a located problem (several for one unknown-keys issue). */
export function zodProblems(source: YamlSource, error: z.ZodError): Located[] {
  const out: Located[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.message.replace(/^!?allowed\|/, '').split(', ');
      for (const k of issue.keys) {
        const guess = closest(k, allowed);
        const fix = `${guess ? `did you mean "${guess}"? ` : ''}allowed here: ${allowed.join(', ')}`;
        out.push(problemAt(source, [...path, k], `unknown key "${k}"`, fix, { key: true }));
      }
      continue;
    }
    const [head, detail] = splitMessage(issue.message);
    const { present, value } = valueAt(source.data, path);
    if (path.length === 0) {
      // The whole document is not a map: the wrong file (`--site .env`). Never quote it: it may hold secrets.
      out.push(problemAt(source, path, `the file is not a YAML mapping (it reads as ${kindOf(value)})`, `${detail ?? head}; is this the right file?`));
      continue;
    }
    if (head.startsWith('!')) {
      out.push(problemAt(source, path, head.slice(1), detail));
    } else if (!present || value === undefined) {
      const last = path[path.length - 1];
      out.push(problemAt(source, path, 'missing', `add ${String(last)}: ${detail ?? head}`));
    } else if (detail !== undefined) {
      out.push(problemAt(source, path, `${showValue(value)} is not ${head}`, detail));
    } else {
      out.push(problemAt(source, path, `${showValue(value)}: ${head}`));
    }
  }
  return out;
}

function kindOf(v: unknown): string {
  if (typeof v === 'string') return `one text of ${[...v].length} characters`;
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'nothing';
  return `a ${typeof v}`;
}

function splitMessage(m: string): [string, string | undefined] {
  const i = m.indexOf('|');
  return i < 0 ? [m, undefined] : [m.slice(0, i), m.slice(i + 1)];
}

/** The allowed word a typo most likely meant: edit distance at most 2, or one a prefix of the other. */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const [w, c] = [word.toLowerCase(), a.toLowerCase()];
    const d = w.length >= 3 && (c.startsWith(w) || w.startsWith(c)) ? 1 : distance(w, c);
    if (d < bestD) {
      best = a;
      bestD = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Problems in reading order, without their offsets. */
export function sorted(problems: Located[]): Problem[] {
  return [...problems].sort((a, b) => a.offset - b.offset).map(({ offset: _offset, ...p }) => p);
}
