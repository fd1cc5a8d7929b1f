// Small helpers the model uses to build its Derived values: pins, rounding that ignores float noise, number texts.
import type { Profile } from '../config/types.js';
import { formatBytes } from '../config/size.js';
import type { PinKey, PinValues } from '../config/pins.js';
import type { Derived } from './types.js';

export function derived<T>(value: T, why: string): Derived<T> {
  return { value, why };
}

/** The model's value, unless the profile pins the key: then the pin, saying what the model would have given. */
export function pinOr<K extends PinKey, T>(profile: Profile, key: K, model: Derived<T>, show: (v: T) => string = String): Derived<T> {
  const pin = profile.pins[key] as PinValues[K] | undefined;
  if (pin === undefined) return model;
  return { value: pin as unknown as T, why: `pinned by profile ${profile.name} (${key}); the model gives ${show(model.value)}: ${model.why}`, pinned: true };
}

/** ceil and round that do not turn 700 x 0.2 = 140.00000000000003 into 141. */
export function ceil(x: number): number {
  return Math.ceil(x - 1e-9);
}
export function round(x: number): number {
  return Math.round(x + 1e-9);
}

/** `0.2` -> `0.20`: ratios as the profiles write them. */
export function ratio(x: number): string {
  return x.toFixed(2);
}

export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export const bytes = formatBytes;

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
