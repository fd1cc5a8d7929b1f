// What sizing knows of a host: live facts when they were read, else the site file's `size`, else the default size.
import { DEFAULT_HOST_SIZE } from '../config/site.js';
import type { HostSpec } from '../config/types.js';
import type { HostResources } from './types.js';

/** Assumed where nothing was read: Debian 12's PHP and MariaDB, and Linux >= 5.4's somaxconn. */
export const ASSUMED = { somaxconn: 4096, phpVersion: '8.2', dbFlavour: 'mariadb', dbVersion: '10.11' } as const;

export function resourcesOf(host: HostSpec, live?: HostResources): HostResources {
  if (live) return live;
  const size = host.size ?? DEFAULT_HOST_SIZE;
  return { memory: size.memory, cores: size.cores, ...ASSUMED, source: host.size ? 'site file' : 'default size' };
}
