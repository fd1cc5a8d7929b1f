// Real VPS-like test hosts for end-to-end tests: TypeScript side of test/hosts/hosts.sh.
// See test/hosts/README.md for what a host is and what tests get.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostEntry, startSet, stopSets, type HostKind } from './sets.js';

export { fingerprint } from './sets.js';

export type Service = 'mariadb' | 'redis' | 'php-fpm' | 'nginx' | 'proxysql';
/** What a host runs when its spec names no services. */
export const ALL_SERVICES: readonly Service[] = ['php-fpm', 'redis', 'mariadb'];
/**
 * Services a host may be given; nginx (Debian's default site, as the package installs it) and proxysql (on the
 * package's sample cnf) only when asked for.
 */
const KNOWN_SERVICES: readonly Service[] = [...ALL_SERVICES, 'nginx', 'proxysql'];

/** What to start. */
export interface HostSpec {
  /** Host name (also its hostname inside): lower case, digits, dashes. Unique within one startHosts call. */
  name: string;
  /** Last octet of its address in the set's /24 (10.77.<slot>.<octet>); default 11, 12, ... in order. */
  octet?: number;
  /**
   * Services started with their init scripts before sshd. Default: php-fpm, redis, mariadb. [] = sshd only.
   * `nginx` and `proxysql` are never defaults; `proxysql` starts ProxySQL on the package's sample cnf (every host has
   * it installed either way).
   */
  services?: readonly Service[];
}

/** What a test gets for one running host. Plain data (it crosses vitest's provide/inject). */
export interface TestHost {
  name: string;
  address: string;
  port: number;
  services: Service[];
  /** Root logs in with this private key (ed25519, no passphrase). */
  rootUser: 'root';
  rootKey: string;
  /** Non-root user with `deploy ALL=(ALL) NOPASSWD:ALL`; same key as root. */
  deployUser: 'deploy';
  deployKey: string;
  /** The client's public key file (what authorized_keys holds). */
  publicKey: string;
  /** known_hosts holding the host key of every host of this set (plain `<address> ssh-ed25519 ...` lines). */
  knownHosts: string;
  /** This host's own key: `ssh-ed25519 AAAA...`, and its OpenSSH fingerprint `SHA256:...`. */
  hostKey: string;
  hostKeyFingerprint: string;
  /** An ssh_config with a `Host <name>` entry for each host (for people: `ssh -F <sshConfig> h1`). */
  sshConfig: string;
  /** The set it belongs to: slot number, bridge, gateway (this machine's address on the bridge), state dir. */
  slot: number;
  bridge: string;
  gateway: string;
  stateDir: string;
  /** The host's start log (init scripts' output, sshd's stderr). */
  log: string;
}

export interface StartOptions {
  /** Bound on the whole start, ms (default 90 s). */
  timeoutMs?: number;
  /** Use this slot instead of the first free one. */
  slot?: number;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const HOSTS_SH = path.join(HERE, 'hosts.sh');
export const STATE_ROOT = process.env.STACKSCALE_HOSTS_ROOT ?? '/srv/stackscale-test-hosts';
const NET = process.env.STACKSCALE_HOSTS_NET ?? '10.77';
const SLOTS = Number(process.env.STACKSCALE_HOSTS_SLOTS ?? 16);

/** The default set the vitest globalSetup starts. */
export const DEFAULT_HOSTS: HostSpec[] = [
  { name: 'h1', octet: 11, services: ['php-fpm', 'redis', 'mariadb'] },
  { name: 'h2', octet: 12, services: ['mariadb'] },
  { name: 'h3', octet: 13, services: ['mariadb'] },
];

const KIND: HostKind = {
  label: 'test hosts',
  script: HOSTS_SH,
  root: STATE_ROOT,
  net: NET,
  bridgePrefix: 'ssbr',
  slots: SLOTS,
  busyHint: 'test/hosts/hosts.sh status; hosts.sh down --slot N',
};

/** Start the hosts (all at once, on one new bridge) and resolve when every one is ready. */
export async function startHosts(specs: HostSpec[], opts: StartOptions = {}): Promise<TestHost[]> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  if (specs.length === 0) throw new Error('startHosts: no hosts asked for');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('test hosts need root (network namespaces, a bridge, overlays); run the tests as root, as .ci/run does');
  }
  const octets = assignOctets(specs);
  const { slot } = await startSet(KIND, specs.map((s, i) => `${s.name}:${octets[i]}:${servicesArg(s.services)}`), {
    timeoutMs,
    slot: opts.slot,
    env: { STACKSCALE_HOSTS_TIMEOUT: String(Math.max(5, Math.floor(timeoutMs / 1000) - 5)) },
  });
  return specs.map((s, i): TestHost => ({ ...hostEntry(KIND, slot, s.name, octets[i]), services: [...(s.services ?? ALL_SERVICES)] }));
}

/** Stop the sets the given hosts belong to, or every set this process started. Safe to call twice. */
export async function stopHosts(hosts?: TestHost[]): Promise<void> {
  await stopSets(KIND, hosts ? [...new Set(hosts.map((h) => h.slot))] : undefined);
}

function servicesArg(services: readonly Service[] | undefined): string {
  if (!services) return 'all';
  for (const s of services) if (!KNOWN_SERVICES.includes(s)) throw new Error(`startHosts: unknown service ${String(s)}`);
  return services.length ? services.join(',') : 'none';
}

function assignOctets(specs: HostSpec[]): number[] {
  const used = new Set(specs.flatMap((s) => (s.octet === undefined ? [] : [s.octet])));
  const names = new Set<string>();
  let next = 11;
  return specs.map((s) => {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(s.name)) throw new Error(`startHosts: bad host name '${s.name}'`);
    if (names.has(s.name)) throw new Error(`startHosts: host name ${s.name} given twice`);
    names.add(s.name);
    if (s.octet !== undefined) {
      if (!Number.isInteger(s.octet) || s.octet < 2 || s.octet > 254) throw new Error(`startHosts: bad octet ${s.octet}`);
      return s.octet;
    }
    while (used.has(next)) next++;
    used.add(next);
    return next;
  });
}
