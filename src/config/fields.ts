// Leaf schemas for the site file, the profiles and the pins. Each carries its error text as `noun|what is allowed`
// (source.ts turns it into `"webb" is not a role (one of: ...)`), so every message names the value and the way out.
import * as z from 'zod';
import { formatBytes, parseSize } from './size.js';

const msg = (noun: string, allowed: string) => `${noun}|${allowed}`;

export function wholeNumber(noun: string, lo: number, hi: number) {
  const error = msg(noun, `a whole number from ${lo} to ${hi}`);
  return z.number({ error }).int({ error }).min(lo, { error }).max(hi, { error });
}

/** A number within [lo, hi], fractions allowed. */
export function decimal(noun: string, lo: number, hi: number, { exclusiveLow = false } = {}) {
  const error = msg(noun, `a number ${exclusiveLow ? 'above' : 'from'} ${lo} ${exclusiveLow ? 'up to' : 'to'} ${hi}`);
  const n = z.number({ error });
  return (exclusiveLow ? n.gt(lo, { error }) : n.min(lo, { error })).max(hi, { error });
}

export function oneOf<const T extends readonly [string, ...string[]]>(noun: string, values: T) {
  return z.enum(values, { error: msg(noun, `one of: ${values.join(', ')}`) });
}

export function text(noun: string, pattern: RegExp, allowed: string) {
  const error = msg(noun, allowed);
  return z.string({ error }).regex(pattern, { error });
}

export function bool(noun: string) {
  return z.boolean({ error: msg(noun, 'true or false') });
}

/** A size (`40M`, `8G`, `512MiB`, bytes) -> bytes, within [lo, hi]. */
export function size(noun: string, lo: number, hi: number) {
  const allowed = `a size from ${formatBytes(lo)} to ${formatBytes(hi)}, written like 40M, 16G, 512MiB or bytes`;
  return z.unknown().transform((v, ctx) => {
    const bytes = typeof v === 'string' || typeof v === 'number' ? parseSize(v) : undefined;
    if (bytes === undefined || bytes < lo || bytes > hi) {
      ctx.issues.push({ code: 'custom', message: msg(noun, allowed), input: v });
      return z.NEVER;
    }
    return bytes;
  });
}

/** A map with exactly these keys: an unknown key (a typo) is an error that lists the allowed ones. */
export function strict<S extends z.ZodRawShape>(noun: string, shape: S) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `!allowed|${keys}` : msg(noun, `a map of ${keys}`)),
  });
}
