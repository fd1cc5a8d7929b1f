// Where the load may go. A load test is indistinguishable from an attack to the host that receives it, so stackscale
// sends load only to the site's own front hosts (its `lb` hosts, else its `web` hosts), to a host of the site, or to
// this machine (loopback); anything else is refused unless the operator says, with --allow-any-target, that the
// address is theirs.
import { isIP } from 'node:net';
import type { Site } from '../config/types.js';
import { InvalidInputError } from '../errors.js';

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
}

/** The site's front: hosts with the `lb` role, else those with `web`. */
export function frontHosts(site: Site): Site['hosts'] {
  const has = (role: string) => site.hosts.filter((h) => (h.roles as string[]).includes(role));
  const lb = has('lb');
  return lb.length > 0 ? lb : has('web');
}

/**
 * The base URLs to load: `--url` when given (checked), else `http://<address>/` of each front host of the site.
 * Throws (exit 3) for a URL that is not http(s), or whose host is neither loopback nor a host of the site.
 */
export function resolveTargets(args: { url?: string; site?: Site; allowAny: boolean }): string[] {
  const { url, site, allowAny } = args;
  if (url === undefined) {
    const front = site ? frontHosts(site) : [];
    if (!site || front.length === 0) {
      throw new InvalidInputError({
        path: '--url',
        message: site ? 'the site has no web or lb host to load' : 'no target: no site file and no --url',
        fix: 'pass --url http://HOST[:PORT] (loopback or a host of the site), or --site with a web or lb host',
      });
    }
    return front.map((h) => `http://${h.address.includes(':') ? `[${h.address}]` : h.address}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError({ path: '--url', message: `"${url}" is not a URL`, fix: 'e.g. http://10.0.0.10 or http://127.0.0.1:8080' });
  }
  if (parsed.protocol !== 'http:') {
    throw new InvalidInputError({ path: '--url', message: `"${url}": only http:// is supported`, fix: 'load the plain-HTTP listener of the web host (TLS belongs in front of it)' });
  }
  if (parsed.username || parsed.password) throw new InvalidInputError({ path: '--url', message: 'a URL with credentials is not supported' });
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const ours = site?.hosts.some((h) => [h.address, h.privateAddress, h.name].includes(host)) ?? false;
  if (!allowAny && !isLoopback(host) && !ours) {
    const known = site ? site.hosts.map((h) => `${h.name} (${h.address})`).join(', ') : 'none: no site file';
    throw new InvalidInputError({
      path: '--url',
      message: `${host} is neither loopback nor a host of the site (hosts: ${known}); load is sent only to your own site`,
      fix: 'point --url at a web or lb host of the site, or pass --allow-any-target if this address is yours',
    });
  }
  return [`${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/$/, '')}`];
}
