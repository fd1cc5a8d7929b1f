// A secret reference as the site file writes it (`env:NAME`, `file:PATH`) and as the code holds it (SecretRef): the
// two conversions, kept together so the text form is parsed and written in one place.
import type { SecretRef } from './types.js';

/** A variable name as a shell would take it. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env:NAME` or `file:PATH` -> the reference; undefined for anything else (a bad name, an empty path, a literal). */
export function parseSecretRef(text: string): SecretRef | undefined {
  const m = /^(env|file):(.+)$/.exec(text);
  if (!m) return undefined;
  if (m[1] === 'file') return { kind: 'file', path: m[2] };
  return ENV_NAME.test(m[2]) ? { kind: 'env', name: m[2] } : undefined;
}

/** The reference as the site file writes it. */
export function secretRefText(ref: SecretRef): string {
  return ref.kind === 'env' ? `env:${ref.name}` : `file:${ref.path}`;
}
