// A small JSON Schema checker for the documented --json schemas (docs/schemas/*.schema.json): the keywords those
// files use, and no more. Returns every violation with its JSON path, so a failing test says what drifted.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Schema = Record<string, unknown>;
const dir = resolve(import.meta.dirname, '../../docs/schemas');
const cache = new Map<string, Schema>();

export function loadSchema(file: string): Schema {
  let s = cache.get(file);
  if (!s) {
    s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Schema;
    cache.set(file, s);
  }
  return s;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function resolveRef(ref: string, file: string): { schema: Schema; file: string } {
  const [target, pointer = ''] = ref.split('#');
  const f = target || file;
  let node: unknown = loadSchema(f);
  for (const part of pointer.split('/').filter(Boolean)) node = (node as Schema)[part];
  if (!node) throw new Error(`unresolved $ref ${ref} in ${file}`);
  return { schema: node as Schema, file: f };
}

export function check(value: unknown, schemaFile: string): string[] {
  const errors: string[] = [];
  walk(value, loadSchema(schemaFile), schemaFile, '$', errors);
  return errors;
}

function walk(v: unknown, s: Schema, file: string, path: string, errors: string[]): void {
  if (typeof s.$ref === 'string') {
    const r = resolveRef(s.$ref, file);
    return walk(v, r.schema, r.file, path, errors);
  }
  if ('const' in s && v !== s.const) errors.push(`${path}: ${JSON.stringify(v)} is not ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(v as never)) errors.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
  if (s.type) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      errors.push(`${path}: a ${t}, not ${types.join(' or ')}`);
      return;
    }
  }
  if (typeof v === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v)) errors.push(`${path}: "${v}" does not match ${s.pattern}`);
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) errors.push(`${path}: more than ${s.maxItems} items`);
    if (s.items) v.forEach((item, i) => walk(item, s.items as Schema, file, `${path}[${i}]`, errors));
  }
  if (typeOf(v) === 'object') {
    const obj = v as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const k of (s.required ?? []) as string[]) if (!(k in obj)) errors.push(`${path}: required "${k}" is missing`);
    for (const [k, val] of Object.entries(obj)) {
      if (props[k]) walk(val, props[k], file, `${path}.${k}`, errors);
      else if (s.additionalProperties === false) errors.push(`${path}: "${k}" is not in the documented schema`);
      else if (typeof s.additionalProperties === 'object') walk(val, s.additionalProperties as Schema, file, `${path}.${k}`, errors);
    }
  }
}
