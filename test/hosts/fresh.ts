// Fresh-image test hosts (test/hosts/fresh.sh): new VPSes with only sshd, from the cached minimal Debian 12 image
// (test/hosts/image.sh), with the test distribution mirror and a signed ProxySQL repository served on their bridge.
// A test file starts its own set in beforeAll and stops it in afterAll. See test/hosts/README.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestHost } from './harness.js';
import { hostEntry, startSet, stopSets, type HostKind } from './sets.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FRESH_SH = path.join(HERE, 'fresh.sh');
export const IMAGE_SH = path.join(HERE, 'image.sh');
const ROOT = process.env.STACKSCALE_FRESH_ROOT ?? '/srv/stackscale-fresh-hosts';
const NET = process.env.STACKSCALE_FRESH_NET ?? '10.78';
const SLOTS = 16;

export interface FreshRepos {
  /** The stand-in for the provider's Debian mirror, already in each host's sources. */
  debianUrl: string;
  /** A flat, signed repository holding ProxySQL 2.4.8 (`deb [signed-by=...] <url> ./`). */
  proxysqlUrl: string;
  /** The key that signed it (ASCII-armoured, on this machine) and its fingerprint (40 hex digits). */
  proxysqlKey: string;
  proxysqlFingerprint: string;
  /** A key that signed nothing, for key mismatch tests. */
  otherKey: string;
  otherFingerprint: string;
}

export type FreshHost = TestHost & { repos: FreshRepos };

const KIND: HostKind = { label: 'fresh test hosts', script: FRESH_SH, root: ROOT, net: NET, bridgePrefix: 'ssfb', slots: SLOTS, busyHint: 'test/hosts/fresh.sh down --slot N' };

/** The image directory, built when absent (minutes; `.ci/run` builds it before the tests). */
export function ensureImage(): string {
  return execFileSync('bash', [IMAGE_SH, 'ensure'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 }).trim();
}

export async function startFreshHosts(names: string[], opts: { timeoutMs?: number } = {}): Promise<FreshHost[]> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new Error('fresh test hosts need root, as .ci/run runs the tests');
  const image = ensureImage();
  const octets = names.map((_, i) => 11 + i);
  const { slot } = await startSet(KIND, names.map((n, i) => `${n}:${octets[i]}`), { timeoutMs: opts.timeoutMs ?? 60_000 });
  const gateway = `${NET}.${slot}.1`;
  const repos: FreshRepos = {
    debianUrl: `http://${gateway}:8080/debian/`,
    proxysqlUrl: `http://${gateway}:8080/proxysql/`,
    proxysqlKey: path.join(image, 'proxysql-key.asc'),
    proxysqlFingerprint: readFileSync(path.join(image, 'proxysql-key.fpr'), 'utf8').trim(),
    otherKey: path.join(image, 'other-key.asc'),
    otherFingerprint: readFileSync(path.join(image, 'other-key.fpr'), 'utf8').trim(),
  };
  return names.map((name, i) => ({ ...hostEntry(KIND, slot, name, octets[i]), services: [], repos }));
}

export async function stopFreshHosts(hosts: FreshHost[]): Promise<void> {
  await stopSets(KIND, [...new Set(hosts.map((h) => h.slot))]);
}
