// The "why" comment lines at the top of every rendered file: one a setting, from the sizing model's derivations.
import type { Derived } from '../sizing/types.js';
import { commentText } from './quote.js';

/** `name = shown: why`, on one line; `shown` defaults to the value itself. */
export function derivationLine(name: string, d: Derived<unknown>, shown?: string): string {
  const value = shown ?? String(d.value);
  const pinned = d.pinned ? ' (pinned by the profile)' : '';
  return commentText(`${name} = ${value}${pinned}: ${d.why}`);
}

/** The view fields every template's header uses. */
export interface HeaderView {
  profile: string;
  host: string;
  derivations: string[];
}
