import type { SecretKey } from '../config/types.js';

export type Service = 'php-fpm' | 'redis' | 'mysql' | 'proxysql' | 'stackscale' | 'nginx' | 'sysctl' | MonitorService;

/** Prometheus, Alertmanager and the exporters of a site with a monitor host (Debian's prometheus-* packages). */
export const MONITOR_SERVICES = ['prometheus', 'alertmanager', 'node-exporter', 'mysqld-exporter', 'redis-exporter', 'nginx-exporter'] as const;
export type MonitorService = (typeof MONITOR_SERVICES)[number];

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
  /** Directories the daemon writes into because of this file (a log file's directory): apply makes sure they exist. */
  dirs?: DaemonDir[];
}

/**
 * A directory a daemon must be able to write into. A daemon that cannot open a file it was pointed at often says
 * nothing and logs nothing (MariaDB turns its slow log off), so the directory is part of what is deployed.
 */
export interface DaemonDir {
  path: string;
  mode: number; // e.g. 0o2750
  owner: string;
  group: string;
  /** The setting that needs it, for the plan. */
  why: string;
}

/** Secret values by key. When a value is missing, render puts the placeholder in its place. */
export type SecretValues = Partial<Record<SecretKey, string>>;

/** The marked placeholder that stands in for a secret in `render` output without `--with-secrets`. */
export function secretPlaceholder(key: SecretKey): string {
  return `STACKSCALE-SECRET-NOT-RENDERED(${key})`;
}
