// Third-party APT repositories a role installs from (ProxySQL's own; Oracle's for MySQL 8), each with its key pinned
// like a host key: the key's fingerprint must match the site file's `key_fingerprint`, or the one accepted on first
// use (`--accept-new-repo-key`) and recorded on the host; a key that changed is refused.
import type { RepositorySpec, Site } from '../config/types.js';
import type { HostFacts } from '../facts/types.js';
import type { PackageSource } from './roles.js';

export type RepoName = Exclude<PackageSource, 'distro'>;

/** Where stackscale records the repository keys it accepted on first use, on each host. */
export const REPO_KEYS_FILE = '/var/lib/stackscale/repo-keys.json';
export const KEYRING_DIR = '/etc/apt/keyrings';

/** ProxySQL's default series: its repository has one tree per series (`proxysql-2.7.x`). */
export const PROXYSQL_SERIES = '2.7';

export interface RepoSource {
  name: RepoName;
  /** The `deb` line's URL and suite (`./` for a flat repository). */
  url: string;
  suite: string;
  /** Where the key comes from: a file on this machine or a URL (fetched by stackscale, not by the host). */
  keyFile?: string;
  keyUrl?: string;
  pinned?: string;
}

/** The repository of `name` for a host of this OS, from the site file's `repositories` or the vendor's defaults. */
export function repoSource(name: RepoName, site: Pick<Site, 'repositories'>, os: HostFacts['os']): RepoSource {
  const spec: RepositorySpec = site.repositories?.[name as 'proxysql'] ?? {};
  const codename = os.codename ?? 'bookworm';
  let url: string;
  let suite: string;
  let keyUrl: string | undefined;
  if (name === 'proxysql') {
    const base = `https://repo.proxysql.com/ProxySQL/proxysql-${spec.series ?? PROXYSQL_SERIES}.x/`;
    url = spec.url ?? `${base}${codename}/`;
    suite = './';
    keyUrl = spec.url ? `${spec.url}repo_pub_key.gpg` : `${base}repo_pub_key.gpg`;
  } else {
    url = spec.url ?? `http://repo.mysql.com/apt/${os.id}/`;
    suite = `${codename} mysql-8.0`;
    keyUrl = 'https://repo.mysql.com/RPM-GPG-KEY-mysql-2023';
  }
  const src: RepoSource = { name, url, suite };
  if (spec.keyFile) src.keyFile = spec.keyFile;
  else src.keyUrl = keyUrl;
  if (spec.keyFingerprint) src.pinned = spec.keyFingerprint;
  return src;
}

export function keyringPath(name: RepoName, armoured: boolean): string {
  return `${KEYRING_DIR}/stackscale-${name}.${armoured ? 'asc' : 'gpg'}`;
}

export function sourcesListPath(name: RepoName): string {
  return `/etc/apt/sources.list.d/stackscale-${name}.list`;
}

/** `deb [signed-by=<keyring>] <url> <suite>`: the key is trusted for this repository only (never apt-key). */
export function sourcesLine(src: Pick<RepoSource, 'url' | 'suite'>, keyring: string): string {
  return `deb [signed-by=${keyring}] ${src.url} ${src.suite}\n`;
}

export interface RecordedKey {
  fingerprint: string;
  url: string;
  accepted: string;
}

/** The keys accepted earlier on this host (REPO_KEYS_FILE); anything unreadable counts as none. */
export function recordedKeys(facts: HostFacts): Partial<Record<RepoName, RecordedKey>> {
  const text = facts.files[REPO_KEYS_FILE]?.content;
  if (!text) return {};
  try {
    const data = JSON.parse(text) as Record<string, RecordedKey>;
    const out: Partial<Record<RepoName, RecordedKey>> = {};
    for (const name of ['proxysql', 'mysql'] as const) {
      const k = data[name];
      if (k && typeof k.fingerprint === 'string') out[name] = k;
    }
    return out;
  } catch {
    return {};
  }
}

export type Trust = 'pinned' | 'recorded' | 'new';

/** How a key is trusted, or why it is refused (a mismatch with what was pinned or accepted before). */
export function trustKey(
  src: RepoSource,
  fingerprint: string,
  recorded: RecordedKey | undefined,
): { trust: Trust } | { refused: string } {
  if (src.pinned) {
    if (src.pinned === fingerprint) return { trust: 'pinned' };
    return {
      refused:
        `the ${src.name} repository key (${src.keyFile ?? src.keyUrl}) has fingerprint ${fingerprint}, not ${src.pinned} as ` +
        `repositories.${src.name}.key_fingerprint pins it: nothing was installed. Check the key with its vendor, then fix the key or the pin`,
    };
  }
  if (recorded) {
    if (recorded.fingerprint === fingerprint) return { trust: 'recorded' };
    return {
      refused:
        `the ${src.name} repository key changed: ${fingerprint} now, ${recorded.fingerprint} when it was accepted on ${recorded.accepted}. ` +
        `Nothing was installed. If the vendor rotated its key, pin the new one as repositories.${src.name}.key_fingerprint`,
    };
  }
  return { trust: 'new' };
}
