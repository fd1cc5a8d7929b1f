import type { SecretKey } from '../config/types.js';

export type Service = 'php-fpm' | 'redis' | 'mysql' | 'proxysql' | 'stackscale' | 'nginx' | 'sysctl';

/** One file stackscale manages on a host, as it should be. */
export interface RenderedFile {
  host: string;
  /** Absolute path on the host. */
  path: string;
  content: string;
  mode: number; // e.g. 0o640
  owner: string;
  group: string;
  service: Service;
  /** Secrets this file holds; such a file is shown only as changed/unchanged, never diffed. */
  secrets: SecretKey[];
  /** How apply checks the candidate when not by its service's own checker: `php -l`, or not at all. */
  check?: 'php-lint' | 'none';
}

/** Secret values by key. When a value is missing, render puts the placeholder in its place. */
export type SecretValues = Partial<Record<SecretKey, string>>;

/** The marked placeholder that stands in for a secret in `render` output without `--with-secrets`. */
export function secretPlaceholder(key: SecretKey): string {
  return `STACKSCALE-SECRET-NOT-RENDERED(${key})`;
}
