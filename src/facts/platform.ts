// Which releases stackscale installs on, and the PHP version a web host gets. Facts decide it (facts/gather.ts reads
// the PHP sections of that version) before packages/roles.ts lists what a fresh host lacks.
import type { Site } from '../config/types.js';
import type { HostFacts } from './types.js';

/**
 * The releases stackscale installs on, with the PHP version each ships as its default (Debian's and Ubuntu's
 * `php-defaults`). Elsewhere it still tunes what is installed, but refuses to install.
 */
export const SUPPORTED_OS: Record<string, { php: string }> = {
  'debian 11': { php: '7.4' },
  'debian 12': { php: '8.2' },
  'debian 13': { php: '8.4' },
  'ubuntu 22.04': { php: '8.1' },
  'ubuntu 24.04': { php: '8.3' },
};

export function supportedOs(facts: HostFacts): { php: string } | undefined {
  return facts.packageManager === 'apt' ? SUPPORTED_OS[`${facts.os.id} ${facts.os.versionId}`] : undefined;
}

/** The PHP version a web host gets: the one installed, else the site's `php_version`, else the distribution's. */
export function phpVersionFor(facts: HostFacts, site: Pick<Site, 'phpVersion'>): string {
  return facts.php?.version ?? site.phpVersion ?? supportedOs(facts)?.php ?? '8.2';
}
